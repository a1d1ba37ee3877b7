// End to end with the management plane: the real server (startApp) on a test redis-server, ffmpeg publishing
// RTMP. The publish secret (refused without, accepted with, in the stream name, after an update, pubNoAuth),
// the on_publish callback, /api/v1/streams with codec and size, kicking by DELETE and by kickoff, and Redis
// killed while a stream plays.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test as nodeTest, type TestContext } from 'node:test';
import { probe, publish, randomName, run, sleep, startServer, summarize, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { cleanupAll, startRedis, type TestRedis } from '../unit/control/helpers.js';

const BEARER = `srs-v2-${'e2e0'.repeat(8)}`;
let redis: TestRedis;
let server: TestServer;
let secret = '';
const procs: Proc[] = [];
/** Whether src/app.ts hands the API to the control plane. */
let wired = false;

before(async () => {
  redis = await startRedis();
  server = await startServer({ REDIS_URL: redis.url, SRS_PLATFORM_SECRET: BEARER, HOOK_TIMEOUT_MS: '2000' });
  wired = (await api('/api/v1/versions', undefined, 'GET')).status === 200;
  assert.ok(wired, 'src/app.ts must hand the API to the control plane');
  const q = await api('/terraform/v1/hooks/srs/secret/query');
  assert.equal(q.status, 200, JSON.stringify(q.json));
  secret = q.json.data.publish;
});

/** A test that needs the control plane wired into the app. */
function test(name: string, fn: () => Promise<void>): void {
  nodeTest(name, async (t: TestContext) => {
    assert.ok(wired, `${t.name}: the control plane is not wired`);
    await fn();
  });
}

after(async () => {
  for (const p of procs) p.kill();
  await server?.close();
  cleanupAll();
});

interface Res {
  status: number;
  // Test-only: the parsed JSON body.
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function api(path: string, body?: unknown, method = 'POST'): Promise<Res> {
  const r = await fetch(`${server.http}${path}`, {
    method,
    headers: { Authorization: `Bearer ${BEARER}`, 'Content-Type': 'application/json' },
    body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body ?? {}),
  });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, json };
}

function live(name: string) {
  return server.app.hub.list().find((s) => s.url.stream === name && s.active);
}

async function expectRefused(url: string, name: string): Promise<void> {
  const p = publish(url);
  procs.push(p);
  const code = await withTimeout(p.exited, 20000, () => p.kill());
  assert.notEqual(code, 0, `ffmpeg should fail to publish ${url}`);
  assert.equal(live(name), undefined);
}

async function expectAccepted(url: string, name: string): Promise<Proc> {
  const p = publish(url);
  procs.push(p);
  await waitFor(() => (live(name)?.frames ?? 0) > 10, 20000, `${name} to be published (${p.stderr()})`);
  return p;
}

async function stop(p: Proc, name: string): Promise<void> {
  p.kill();
  await p.exited;
  await waitFor(() => !live(name), 10000, `${name} to end`);
}

test('RTMP publish: refused without the secret, accepted with it, and with it in the stream name', async () => {
  const name = randomName('sec');
  await expectRefused(`${server.rtmp}/live/${name}`, name);
  await expectRefused(`${server.rtmp}/live/${name}?secret=wrong`, name);
  const p = await expectAccepted(`${server.rtmp}/live/${name}?secret=${secret}`, name);
  await stop(p, name);
  const inName = `${name}${secret}`;
  const q = await expectAccepted(`${server.rtmp}/live/${inName}`, inName);
  await stop(q, inName);
});

test('a secret update takes effect for the next publish; pubNoAuth turns the check off', async () => {
  const name = randomName('upd');
  assert.equal((await api('/terraform/v1/hooks/srs/secret/update', { secret: 'e2esecret2' })).status, 200);
  await expectRefused(`${server.rtmp}/live/${name}?secret=${secret}`, name);
  const p = await expectAccepted(`${server.rtmp}/live/${name}?secret=e2esecret2`, name);
  await stop(p, name);
  secret = 'e2esecret2';
  assert.equal((await api('/terraform/v1/hooks/srs/secret/disable', { pubNoAuth: true })).status, 200);
  const q = await expectAccepted(`${server.rtmp}/live/${name}`, name);
  await stop(q, name);
  assert.equal((await api('/terraform/v1/hooks/srs/secret/disable', { pubNoAuth: false })).status, 200);
  await expectRefused(`${server.rtmp}/live/${name}`, name);
});

test('on_publish: a receiver that fails refuses the publish, one that succeeds accepts it; it gets the exact fields', async () => {
  let fail = true;
  const bodies: Record<string, unknown>[] = [];
  const rcv: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(b) as Record<string, unknown>);
      if (fail) res.writeHead(500).end('{"code":1}');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => rcv.listen(0, '127.0.0.1', () => r()));
  const a = rcv.address();
  const target = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hooks`;
  try {
    assert.equal((await api('/terraform/v1/mgmt/hooks/apply', { all: true, target, opaque: 'e2e-opaque' })).status, 200);
    const name = randomName('hook');
    await expectRefused(`${server.rtmp}/live/${name}?secret=${secret}`, name);
    assert.ok(bodies.length >= 1);
    fail = false;
    const p = await expectAccepted(`${server.rtmp}/live/${name}?secret=${secret}`, name);
    const b = bodies.at(-1)!;
    assert.deepEqual(Object.keys(b).sort(), ['action', 'app', 'opaque', 'param', 'request_id', 'stream', 'vhost']);
    assert.equal(b.action, 'on_publish');
    assert.equal(b.opaque, 'e2e-opaque');
    assert.equal(b.vhost, '__defaultVhost__');
    assert.equal(b.app, 'live');
    assert.equal(b.stream, name);
    assert.equal(b.param, `?secret=${secret}`);
    assert.match(String(b.request_id), /^[0-9a-f-]{36}$/);
    const n = bodies.length;
    await stop(p, name);
    await waitFor(() => bodies.length > n, 5000, 'on_unpublish');
    assert.equal(bodies.at(-1)!.action, 'on_unpublish');
  } finally {
    await api('/terraform/v1/mgmt/hooks/apply', { all: false });
    rcv.closeAllConnections();
    rcv.close();
  }
});

test('/api/v1/streams lists the live stream with codec and size; DELETE of its publisher ends it', async () => {
  const name = randomName('api');
  const p = await expectAccepted(`${server.rtmp}/live/${name}?secret=${secret}`, name);
  const r = await api('/api/v1/streams', undefined, 'GET');
  assert.equal(r.status, 200);
  const st = r.json.streams.find((s: { name: string }) => s.name === name);
  assert.ok(st, JSON.stringify(r.json));
  assert.equal(st.app, 'live');
  assert.equal(st.publish.active, true);
  assert.equal(st.video.codec, 'H264');
  assert.equal(st.video.width, 320);
  assert.equal(st.video.height, 240);
  assert.equal(st.audio.codec, 'AAC');
  assert.equal(st.audio.sample_rate, 44100);
  assert.ok(st.recv_bytes > 0);
  const c = await api(`/api/v1/clients/${st.publish.cid}`, undefined, 'GET');
  assert.equal(c.json.client.type, 'fmle-publish');
  assert.equal(c.json.client.publish, true);
  const d = await api(`/api/v1/clients/${st.publish.cid}`, undefined, 'DELETE');
  assert.equal(d.status, 200);
  await waitFor(() => !live(name), 10000, 'the stream to end');
  const code = await withTimeout(p.exited, 10000, () => p.kill());
  assert.notEqual(code, null);
  const after = await api('/api/v1/streams', undefined, 'GET');
  assert.equal(after.json.streams.find((s: { name: string; publish: { active: boolean } }) => s.name === name && s.publish.active), undefined);
});

test('mgmt/streams/kickoff ends a stream', async () => {
  const name = randomName('kick');
  const p = await expectAccepted(`${server.rtmp}/live/${name}?secret=${secret}`, name);
  const q = await api('/terraform/v1/mgmt/streams/query');
  assert.ok(q.json.data.streams.some((s: { stream: string }) => s.stream === name));
  const k = await api('/terraform/v1/mgmt/streams/kickoff', { vhost: '__defaultVhost__', app: 'live', stream: name });
  assert.equal(k.status, 200, JSON.stringify(k.json));
  await waitFor(() => !live(name), 10000, 'the stream to end');
  await withTimeout(p.exited, 10000, () => p.kill());
});

test('Redis killed while a stream plays: the stream goes on, the API answers 503, and works again when Redis is back', async () => {
  const name = randomName('outage');
  await expectAccepted(`${server.rtmp}/live/${name}?secret=${secret}`, name);
  const file = `${tempDir()}/view.flv`;
  const viewer = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-rw_timeout', '15000000', '-i', `${server.http}/live/${name}.flv`, '-t', '8', '-c', 'copy', file]);
  procs.push(viewer);
  await sleep(1500);
  await redis.kill();
  const framesAtKill = live(name)!.frames;
  await waitFor(async () => (await api('/terraform/v1/mgmt/limits/query')).status === 503, 5000, 'the API to answer 503');
  const r = await api('/terraform/v1/hooks/srs/secret/query');
  assert.equal(r.status, 503);
  assert.match(r.json.message, /Redis .* is unavailable/);
  await sleep(2000);
  assert.ok(live(name)!.frames > framesAtKill + 25, 'the publisher keeps publishing');
  // A new publish is still checked (against the last known secret) and not stuck.
  const other = randomName('during');
  await expectRefused(`${server.rtmp}/live/${other}`, other);
  const code = await withTimeout(viewer.exited, 30000, () => viewer.kill());
  assert.equal(code, 0, viewer.stderr());
  const got = await probe(file);
  assert.equal(summarize(got.streams), 'aac, h264 320x240');
  assert.ok(Number(got.format?.duration) > 7, `the viewer got ${got.format?.duration} s`);
  await redis.start();
  await waitFor(async () => (await api('/terraform/v1/mgmt/limits/query')).status === 200, 15000, 'the API to recover');
  await waitFor(async () => (await api('/terraform/v1/hooks/srs/secret/query')).json?.data?.publish === secret, 5000, 'the secret to be restored');
});
