// SRS and SRS Stack compatibility of the whole server (src/app.ts wiring): the CORS headers and Server once each
// on an API answer, an error, HTTP-FLV, HLS and WHEP answers; OPTIONS 200 without auth anywhere; SRS 5's
// versions, summaries (every self.* and system.* field a number), streams and clients fields with ffmpeg
// publishing; mgmt/envs, check and status with SRS Stack's fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../src/version.js';
import { call, type Reply } from '../unit/control/helpers.js';
import { publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { clientPeer } from './werift-peer.js';
import { launchBrowser, pageServer } from './browser.js';

let server: TestServer;
let ff: Proc;
const live = randomName('compat');

before(async () => {
  server = await startServer();
  ff = publish(server.publishUrl(live), { seconds: 120 });
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === live && s.frames > 30), 20000, 'the RTMP publish');
});

after(async () => {
  ff?.kill();
  await server?.close();
});

const CORS: [string, string][] = [
  ['access-control-allow-origin', '*'],
  ['access-control-allow-headers', '*'],
  ['access-control-allow-methods', '*'],
  ['access-control-expose-headers', '*'],
  ['access-control-allow-credentials', 'true'],
  ['server', `srs-node/${VERSION}`],
];

function assertCommonHeaders(r: Reply, what: string): void {
  const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
  for (const [h, v] of CORS) {
    assert.equal(names.filter((x) => x === h).length, 1, `${what}: ${h} exactly once (${names.join(', ')})`);
    assert.equal(r.headers[h], v, `${what}: ${h}`);
  }
}

/** GET of a live HTTP stream: the head only, then the connection is dropped. */
function head(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(`${server.http}${path}`, { agent: false }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text: '', json: undefined });
        res.destroy();
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

test('CORS and Server once each on API, error, media and WHEP answers', async () => {
  const bearer = server.bearer;
  assertCommonHeaders(await call(server.http, 'GET', '/terraform/v1/mgmt/versions'), 'API');
  assertCommonHeaders(await call(server.http, 'GET', '/api/v1/summaries', { bearer }), 'SRS API');
  const unauth = await call(server.http, 'GET', '/api/v1/streams');
  assert.equal(unauth.status, 401);
  assertCommonHeaders(unauth, 'a 401');
  const nf = await call(server.http, 'GET', '/terraform/v1/nothing');
  assert.equal(nf.status, 404);
  assertCommonHeaders(nf, 'a 404');
  const nb = await call(server.http, 'POST', '/terraform/v1/ai/ocr/query', { body: {} });
  assert.equal(nb.status, 501);
  assertCommonHeaders(nb, 'a 501');

  const flv = await head(`/live/${live}.flv`);
  assert.equal(flv.status, 200);
  assertCommonHeaders(flv, 'HTTP-FLV');
  const noFlv = await call(server.http, 'GET', `/live/${randomName('none')}.flv`);
  assert.equal(noFlv.status, 404);
  assertCommonHeaders(noFlv, 'HTTP-FLV 404');
  const m3u8 = await waitFor(async () => {
    const r = await call(server.http, 'GET', `/live/${live}.m3u8`);
    return r.status === 200 ? r : null;
  }, 20000, 'the HLS playlist');
  assertCommonHeaders(m3u8, 'HLS playlist');

  const pc = clientPeer();
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const whep = await call(server.http, 'POST', `/rtc/v1/whep/?app=live&stream=${live}`, {
      raw: pc.localDescription!.sdp,
      headers: { 'Content-Type': 'application/sdp' },
    });
    assert.equal(whep.status, 201, whep.text);
    assertCommonHeaders(whep, 'WHEP 201');
    const del = await call(server.http, 'DELETE', String(whep.headers.location));
    assert.equal(del.status, 200, del.text);
    assertCommonHeaders(del, 'WHEP DELETE');
  } finally {
    await pc.close();
  }
  const bad = await call(server.http, 'POST', '/rtc/v1/whip/?app=live&stream=x', { raw: 'not sdp', headers: { 'Content-Type': 'application/sdp' } });
  assert.ok(bad.status >= 400, bad.text);
  assertCommonHeaders(bad, 'a WHIP error');
});

test('OPTIONS anywhere: 200, empty body, no auth', async () => {
  for (const path of ['/api/v1/streams', '/terraform/v1/mgmt/secret/query', `/live/${live}.flv`, `/live/${live}.m3u8`, '/rtc/v1/whip/', '/no/such/thing']) {
    const r = await call(server.http, 'OPTIONS', path, { headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(r.status, 200, `OPTIONS ${path}`);
    assert.equal(r.text, '', `OPTIONS ${path} has an empty body`);
    assertCommonHeaders(r, `OPTIONS ${path}`);
  }
});

test('a page on another origin calls the API with Authorization: Bearer (the preflight names the header)', async () => {
  const r = await call(server.http, 'OPTIONS', '/api/v1/summaries', {
    headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,content-type' },
  });
  assert.match(String(r.headers['access-control-allow-headers']), /authorization/);
  // localhost and 127.0.0.1 are different origins: the page is served from one, the API called on the other.
  const page = await pageServer({ '/': '<html><body>cross-origin</body></html>' });
  const browser = await launchBrowser();
  try {
    const p = await browser.newPage();
    await p.goto(page.url.replace('127.0.0.1', 'localhost'));
    const api = server.http.replace('localhost', '127.0.0.1');
    const got = await p.evaluate(async ([url, bearer]) => {
      const res = await fetch(`${url}/api/v1/summaries`, { headers: { Authorization: `Bearer ${bearer}` } });
      return { status: res.status, code: ((await res.json()) as { code: number }).code };
    }, [api, server.bearer] as const);
    assert.deepEqual(got, { status: 200, code: 0 });
  } finally {
    await browser.close();
    page.server.close();
  }
});

test("SRS 5's versions, summaries, streams and clients", async () => {
  const bearer = server.bearer;
  const v = await call(server.http, 'GET', '/api/v1/versions');
  assert.equal(v.json.data.major, 5);
  assert.equal(typeof v.json.server, 'string');
  assert.equal(typeof v.json.service, 'string');
  assert.equal(v.json.pid, String(process.pid));
  assert.equal((await call(server.http, 'GET', '/terraform/v1/mgmt/versions')).json.data.version, VERSION);

  const s = await call(server.http, 'GET', '/api/v1/summaries', { bearer });
  assert.equal(s.status, 200);
  assert.equal(s.json.pid, String(process.pid));
  const { self, system } = s.json.data;
  for (const k of ['pid', 'ppid', 'mem_kbyte', 'mem_percent', 'cpu_percent', 'srs_uptime']) assert.equal(typeof self[k], 'number', `self.${k}`);
  for (const k of ['version', 'argv', 'cwd']) assert.equal(typeof self[k], 'string', `self.${k}`);
  const systemNumbers = [
    'cpu_percent', 'disk_read_KBps', 'disk_write_KBps', 'disk_busy_percent', 'mem_ram_kbyte', 'mem_ram_percent', 'mem_swap_kbyte',
    'mem_swap_percent', 'cpus', 'cpus_online', 'uptime', 'ilde_time', 'load_1m', 'load_5m', 'load_15m', 'net_sample_time',
    'net_recv_bytes', 'net_send_bytes', 'net_recvi_bytes', 'net_sendi_bytes', 'srs_sample_time', 'srs_recv_bytes', 'srs_send_bytes',
    'conn_sys', 'conn_sys_et', 'conn_sys_tw', 'conn_sys_udp', 'conn_srs',
  ];
  for (const k of systemNumbers) assert.ok(typeof system[k] === 'number' && Number.isFinite(system[k]), `system.${k} is a number: ${system[k]}`);
  // real values, read from /proc
  assert.ok(self.mem_kbyte > 10_000, 'this process uses memory');
  assert.ok(system.mem_ram_kbyte > self.mem_kbyte, 'from /proc/meminfo');
  assert.ok(system.mem_ram_percent > 0 && system.mem_ram_percent < 1, 'a fraction, as SRS');
  assert.ok(system.cpus >= 1 && system.cpus_online >= 1);
  assert.ok(system.uptime > 0, 'from /proc/uptime');
  assert.ok(system.net_recv_bytes + system.net_recvi_bytes > 0, 'from /proc/net/dev');
  assert.ok(system.srs_recv_bytes > 0, 'the publisher sent bytes');
  assert.ok(system.conn_srs >= 1);

  const st = await call(server.http, 'GET', '/api/v1/streams', { bearer });
  const stream = st.json.streams.find((x: { name: string }) => x.name === live);
  assert.ok(stream, 'the live stream is listed');
  for (const k of ['id', 'name', 'vhost', 'app', 'tcUrl', 'url', 'live_ms', 'clients', 'frames', 'send_bytes', 'recv_bytes', 'kbps', 'publish', 'video', 'audio']) {
    assert.ok(k in stream, `streams[].${k}`);
  }
  assert.deepEqual(Object.keys(stream.kbps).sort(), ['recv_30s', 'send_30s']);
  assert.equal(stream.publish.active, true);
  assert.equal(typeof stream.publish.cid, 'string');
  // SRS's video fields, plus ours: fps (25 from ffmpeg's SPS)
  assert.deepEqual(Object.keys(stream.video).sort(), ['codec', 'fps', 'height', 'level', 'profile', 'width']);
  assert.equal(stream.video.width, 320);
  assert.equal(stream.video.fps, 25);
  assert.equal(stream.drops, 0);
  assert.deepEqual(Object.keys(stream.audio).sort(), ['channel', 'codec', 'profile', 'sample_rate']);
  const cl = await call(server.http, 'GET', '/api/v1/clients', { bearer });
  const pub = cl.json.clients.find((c: { id: string }) => c.id === stream.publish.cid);
  assert.ok(pub, 'the publisher is a client');
  for (const k of ['id', 'vhost', 'stream', 'ip', 'pageUrl', 'swfUrl', 'tcUrl', 'url', 'name', 'type', 'publish', 'alive', 'send_bytes', 'recv_bytes', 'kbps']) {
    assert.ok(k in pub, `clients[].${k}`);
  }
  assert.equal(pub.stream, stream.id);
  assert.equal(pub.publish, true);
});

test("mgmt/envs, check and status carry SRS Stack's fields; envs stores the locale", async () => {
  const e = await call(server.http, 'POST', '/terraform/v1/mgmt/envs', { body: { locale: 'zh' } });
  assert.equal(e.status, 200, e.text);
  const d = e.json.data;
  assert.equal(d.mgmtDocker, true);
  assert.equal(typeof d.platformDocker, 'boolean');
  assert.equal(d.candidate, false);
  for (const k of ['rtmpPort', 'httpPort', 'srtPort', 'rtcPort']) assert.equal(typeof d[k], 'string', k);
  for (const k of ['forwardLimit', 'vLiveLimit', 'cameraLimit']) assert.equal(d[k], 10, k);
  assert.equal(d.locale, 'zh');
  assert.equal((await call(server.http, 'GET', '/terraform/v1/mgmt/envs')).json.data.locale, 'zh', 'kept');
  assert.equal((await call(server.http, 'POST', '/terraform/v1/mgmt/envs', { body: { locale: 'fr' } })).json.data.locale, 'un');
  assert.equal((await call(server.http, 'POST', '/terraform/v1/mgmt/envs', { body: { locale: 7 } })).status, 400);
  assert.deepEqual((await call(server.http, 'GET', '/terraform/v1/mgmt/check')).json.data, { upgrading: false });
  const st = await call(server.http, 'POST', '/terraform/v1/mgmt/status', { bearer: server.bearer });
  assert.deepEqual(st.json.data, {
    version: `v${VERSION}`,
    releases: { version: `v${VERSION}`, stable: `v${VERSION}`, latest: `v${VERSION}` },
    upgrading: false,
    strategy: 'manual',
  });
});
