// hooks.onPublish with a real redis-server: the publish secret (query, stream name, update, pubNoAuth, room
// secrets) and the on_publish/on_unpublish HTTP callbacks to a local receiver.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { SessionInfo } from '../../../src/servers/ports.js';
import { checkPublishSecret, parseAuthHash } from '../../../src/control/hooks/publish-secret.js';
import { buildHookRequest, judgeResponse } from '../../../src/control/hooks/callbacks.js';
import { call, cleanupAll, sleep, startPlane, startRedis, waitFor, type Plane, type TestRedis } from './helpers.js';

function session(stream: string, param = '', app = 'live'): SessionInfo {
  return {
    clientId: 'c1',
    ip: '127.0.0.1',
    type: 'fmle-publish',
    url: { vhost: '__defaultVhost__', app, stream, param },
    requestUrl: `rtmp://127.0.0.1/${app}/${stream}${param}`,
  };
}

type Mode = 'ok' | 'zero' | 'fail' | 'code1' | 'slow' | 'empty';

interface Receiver {
  url: string;
  mode: Mode;
  bodies: Record<string, unknown>[];
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', mode: 'ok', bodies: [], server: createServer() };
  r.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      r.bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      assert.equal(req.headers['content-type'], 'application/json');
      if (r.mode === 'slow') return; // never answers
      if (r.mode === 'fail') {
        res.writeHead(500).end('{"code":500}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(r.mode === 'zero' ? '0' : r.mode === 'code1' ? '{"code":1}' : r.mode === 'empty' ? '{}' : '{"code":0}');
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', () => ok()));
  const a = r.server.address();
  r.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/api/v1/hooks`;
  return r;
}

describe('hooks: publish secret', () => {
  let redis: TestRedis;
  let p: Plane;
  let rc: Redis;
  let bearer = '';
  let secret = '';

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url });
    bearer = p.cp.platformSecret;
    rc = new Redis(redis.url);
  });
  after(async () => {
    rc?.disconnect();
    await p?.close();
    cleanupAll();
  });

  it('a publish secret is generated on first boot and shown by the API', async () => {
    const r = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer });
    assert.equal(r.status, 200, r.text);
    secret = r.json.data.publish;
    assert.match(secret, /^[0-9a-f]{32}$/);
    assert.equal(r.json.data.pubNoAuth, false);
    assert.equal(await rc.hget('SRS_AUTH_SECRET', 'pubSecret'), secret);
  });

  it('refuses a publish without the secret or with a wrong one, with a message that says what to do', async () => {
    const missing = await p.cp.hooks.onPublish(session('cam1'));
    assert.ok(missing);
    assert.match(missing, /publish refused for live\/cam1: missing secret; add \?secret=<the publish secret/);
    const wrong = await p.cp.hooks.onPublish(session('cam1', '?secret=nope'));
    assert.match(wrong ?? '', /wrong secret/);
  });

  it('accepts the secret as ?secret= or inside the stream name', async () => {
    assert.equal(await p.cp.hooks.onPublish(session('cam1', `?secret=${secret}`)), null);
    assert.equal(await p.cp.hooks.onPublish(session('cam1', `?foo=1&secret=${secret}`)), null);
    assert.equal(await p.cp.hooks.onPublish(session(`cam1${secret}`)), null);
    assert.equal(await p.cp.hooks.onPublish(session(secret)), null);
  });

  it('a secret update takes effect for the next publish', async () => {
    const u = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/update', { bearer, body: { secret: 'newsecret42' } });
    assert.equal(u.status, 200, u.text);
    assert.match((await p.cp.hooks.onPublish(session('cam1', `?secret=${secret}`))) ?? '', /wrong secret/);
    assert.equal(await p.cp.hooks.onPublish(session('cam1', '?secret=newsecret42')), null);
    assert.equal(await rc.get('SRS_SECRET_PUBLISH'), 'newsecret42');
    const bad = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/update', { bearer, body: { secret: 'has space' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /field "secret"/);
    secret = 'newsecret42';
  });

  it('pubNoAuth turns the check off and on', async () => {
    await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/disable', { bearer, body: { pubNoAuth: true } });
    assert.equal(await p.cp.hooks.onPublish(session('open1')), null);
    assert.equal((await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer })).json.data.pubNoAuth, true);
    await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/disable', { bearer, body: { pubNoAuth: false } });
    assert.ok(await p.cp.hooks.onPublish(session('open1')));
  });

  it('a room secret (room-pub-<stream>) wins over the global one', async () => {
    await rc.hset('SRS_AUTH_SECRET', 'room-pub-room7', 'roomsecret7');
    const g = await p.cp.hooks.onPublish(session('room7', `?secret=${secret}`));
    assert.match(g ?? '', /live room with its own secret/);
    assert.equal(await p.cp.hooks.onPublish(session('room7', '?secret=roomsecret7')), null);
    assert.ok(await p.cp.hooks.onPublish(session('other', '?secret=roomsecret7')), 'the room secret only opens its room');
    assert.equal(await p.cp.hooks.onPublish(session('other', `?secret=${secret}`)), null);
  });
});

describe('hooks: HTTP callbacks', () => {
  let redis: TestRedis;
  let p: Plane;
  let rcv: Receiver;
  let bearer = '';
  let secret = '';

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url, HOOK_TIMEOUT_MS: '800' });
    bearer = p.cp.platformSecret;
    secret = (await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer })).json.data.publish;
    rcv = await startReceiver();
  });
  after(async () => {
    rcv?.server.closeAllConnections();
    rcv?.server.close();
    await p?.close();
    cleanupAll();
  });

  const apply = (body: Record<string, unknown>) => call(p.base, 'POST', '/terraform/v1/mgmt/hooks/apply', { bearer, body });

  /** Callbacks are off while the target points at the receiver: neither on_publish nor on_unpublish reaches it. */
  async function assertNothingSentWhileOff(stream: string): Promise<void> {
    const q = (await call(p.base, 'POST', '/terraform/v1/mgmt/hooks/query', { bearer })).json.data;
    assert.deepEqual({ all: q.all, target: q.target }, { all: false, target: rcv.url }, 'the target is the receiver, callbacks off');
    const n = rcv.bodies.length;
    assert.equal(await p.cp.hooks.onPublish(session(stream, `?secret=${secret}`)), null);
    p.cp.hooks.onUnpublish(session(stream, `?secret=${secret}`));
    // Then turn them on: the next on_publish is awaited until the receiver answers, and on_unpublish is sent
    // before it; by then a callback of the off period would have arrived too.
    await apply({ all: true, target: rcv.url, opaque: 'probe' });
    assert.equal(await p.cp.hooks.onPublish(session(`${stream}-on`, `?secret=${secret}`)), null);
    await sleep(200);
    assert.deepEqual(rcv.bodies.slice(n).map((b) => `${String(b.action)} ${String(b.stream)}`), [`on_publish ${stream}-on`]);
  }

  it('callbacks off with a target set: no request is sent', async () => {
    const a = await apply({ all: false, target: rcv.url, opaque: 'mytoken' });
    assert.equal(a.status, 200, a.text);
    await assertNothingSentWhileOff('s0');
    rcv.bodies.length = 0;
  });

  it('on_publish to a receiver that says yes: allowed; it gets exactly SRS Stack fields', async () => {
    const a = await apply({ all: true, target: rcv.url, opaque: 'mytoken' });
    assert.equal(a.status, 200, a.text);
    assert.equal(await p.cp.hooks.onPublish(session('s1', `?secret=${secret}`)), null);
    assert.equal(rcv.bodies.length, 1);
    const b = rcv.bodies[0]!;
    assert.deepEqual(Object.keys(b).sort(), ['action', 'app', 'opaque', 'param', 'request_id', 'stream', 'vhost']);
    assert.match(String(b.request_id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual({ ...b, request_id: '' }, {
      request_id: '',
      action: 'on_publish',
      opaque: 'mytoken',
      vhost: '__defaultVhost__',
      app: 'live',
      stream: 's1',
      param: `?secret=${secret}`,
    });
    rcv.mode = 'zero';
    assert.equal(await p.cp.hooks.onPublish(session('s1', `?secret=${secret}`)), null, 'a body of 0 is a yes');
  });

  it('mgmt/hooks/query shows the settings and the last request and response', async () => {
    const q = await call(p.base, 'POST', '/terraform/v1/mgmt/hooks/query', { bearer });
    assert.equal(q.status, 200);
    assert.equal(q.json.data.all, true);
    assert.equal(q.json.data.target, rcv.url);
    assert.equal(q.json.data.opaque, 'mytoken');
    assert.match(q.json.data.host, /^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor('res recorded', async () => {
      const d = (await call(p.base, 'POST', '/terraform/v1/mgmt/hooks/query', { bearer })).json.data;
      return d.res === '0';
    });
    const d = (await call(p.base, 'POST', '/terraform/v1/mgmt/hooks/query', { bearer })).json.data;
    assert.equal(JSON.parse(d.req).action, 'on_publish');
  });

  it('on_publish to a receiver that fails, says code 1, says {} or does not answer: refused', async () => {
    rcv.mode = 'fail';
    const f = await p.cp.hooks.onPublish(session('s2', `?secret=${secret}`));
    assert.match(f ?? '', /publish refused for live\/s2: the on_publish callback to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/hooks said no: it answered HTTP 500/);
    assert.match(f ?? '', /hooks\/apply/);
    rcv.mode = 'code1';
    assert.match((await p.cp.hooks.onPublish(session('s2', `?secret=${secret}`))) ?? '', /answered code 1/);
    rcv.mode = 'empty';
    assert.match((await p.cp.hooks.onPublish(session('s2', `?secret=${secret}`))) ?? '', /not \{"code":0\} or 0/);
    rcv.mode = 'slow';
    const t0 = Date.now();
    const slow = await p.cp.hooks.onPublish(session('s2', `?secret=${secret}`));
    const took = Date.now() - t0;
    assert.match(slow ?? '', /no answer within 800 ms/);
    assert.ok(took >= 750 && took < 3000, `refused after the hook timeout (took ${took} ms)`);
    rcv.mode = 'ok';
  });

  it('the secret is checked before the callback: a wrong secret sends nothing', async () => {
    const n = rcv.bodies.length;
    assert.ok(await p.cp.hooks.onPublish(session('s3', '?secret=wrong')));
    assert.equal(rcv.bodies.length, n);
  });

  it('on_unpublish is fire-and-forget with SRS Stack fields (no param)', async () => {
    const n = rcv.bodies.length;
    rcv.mode = 'fail';
    p.cp.hooks.onUnpublish(session('s1', `?secret=${secret}`));
    await waitFor('on_unpublish', () => rcv.bodies.length > n);
    const b = rcv.bodies[n]!;
    assert.deepEqual(Object.keys(b).sort(), ['action', 'app', 'opaque', 'request_id', 'stream', 'vhost']);
    assert.equal(b.action, 'on_unpublish');
    rcv.mode = 'ok';
  });

  it('the sample receiver mgmt/hooks/example: ?fail=true refuses, ?fail=false accepts', async () => {
    await apply({ all: true, target: `${p.base}/terraform/v1/mgmt/hooks/example?fail=true`, opaque: 'x' });
    assert.match((await p.cp.hooks.onPublish(session('s4', `?secret=${secret}`))) ?? '', /HTTP 400.*fail as required/);
    await apply({ all: true, target: `${p.base}/terraform/v1/mgmt/hooks/example?fail=false`, opaque: 'x' });
    assert.equal(await p.cp.hooks.onPublish(session('s4', `?secret=${secret}`)), null);
  });

  it('callbacks off again: nothing sent; an unreachable receiver refuses quickly', async () => {
    rcv.mode = 'ok';
    await apply({ all: false, target: rcv.url, opaque: 'x' });
    await assertNothingSentWhileOff('s5');
    await apply({ all: true, target: 'http://127.0.0.1:1/nothing' });
    const t0 = Date.now();
    assert.match((await p.cp.hooks.onPublish(session('s5', `?secret=${secret}`))) ?? '', /ECONNREFUSED/);
    assert.ok(Date.now() - t0 < 1000);
    await apply({ all: false });
  });
});

describe('hooks: pure parts', () => {
  it('checkPublishSecret follows SRS Stack (query or stream name), room secrets win', () => {
    const st = parseAuthHash({ pubSecret: 'abc', 'room-pub-r1': 'xyz' });
    const u = (stream: string, param = '') => ({ vhost: 'v', app: 'live', stream, param });
    assert.equal(checkPublishSecret(st, u('s', '?secret=abc')).ok, true);
    assert.equal(checkPublishSecret(st, u('sabc')).ok, true);
    assert.equal(checkPublishSecret(st, u('s')).ok, false);
    assert.equal(checkPublishSecret(st, u('r1', '?secret=abc')).ok, false);
    assert.deepEqual(checkPublishSecret(st, u('r1', '?secret=xyz')), { ok: true, by: 'room' });
    assert.deepEqual(checkPublishSecret({ ...st, pubNoAuth: true }, u('s')), { ok: true, by: 'no-auth' });
  });

  it('judgeResponse: 200 with {"code":0} or 0 only', () => {
    assert.deepEqual(judgeResponse(200, '{"code":0}'), { ok: true });
    assert.deepEqual(judgeResponse(200, ' 0\n'), { ok: true });
    assert.equal(judgeResponse(200, '{"code":"0"}').ok, false);
    assert.equal(judgeResponse(201, '{"code":0}').ok, false);
    assert.equal(judgeResponse(200, 'ok').ok, false);
  });

  it('buildHookRequest: param only for on_publish, empty fields left out', () => {
    const url = { vhost: '__defaultVhost__', app: 'live', stream: 's', param: '' };
    assert.deepEqual(Object.keys(buildHookRequest('on_publish', 'o', url)).sort(), ['action', 'app', 'opaque', 'request_id', 'stream', 'vhost']);
    const withParam = buildHookRequest('on_publish', 'o', { ...url, param: '?a=1' });
    assert.equal(withParam.param, '?a=1');
    assert.equal(buildHookRequest('on_unpublish', 'o', { ...url, param: '?a=1' }).param, undefined);
  });
});
