// The API's authentication with a real redis-server: init -> login -> token, bearer, 401 on every protected
// route, wrong passwords throttled per address, and the request plumbing (CORS, JSON errors, body limits).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LoginThrottle } from '../../../src/control/auth/throttle.js';
import { call, cleanupAll, startPlane, startRedis, type Plane, type TestRedis } from './helpers.js';

/** Every protected route, by hand: a route missing here (or one that lost its auth) fails a test below. */
const PROTECTED: [string, string][] = [
  ['POST', '/terraform/v1/mgmt/token'],
  ['POST', '/terraform/v1/mgmt/status'],
  ['POST', '/terraform/v1/mgmt/secret/query'],
  ['POST', '/terraform/v1/mgmt/streams/query'],
  ['POST', '/terraform/v1/mgmt/streams/kickoff'],
  ['POST', '/terraform/v1/mgmt/beian/update'],
  ['POST', '/terraform/v1/mgmt/limits/query'],
  ['POST', '/terraform/v1/mgmt/limits/update'],
  ['POST', '/terraform/v1/mgmt/hphls/query'],
  ['POST', '/terraform/v1/mgmt/hphls/update'],
  ['POST', '/terraform/v1/mgmt/hlsll/query'],
  ['POST', '/terraform/v1/mgmt/hlsll/update'],
  ['POST', '/terraform/v1/mgmt/openai/query'],
  ['POST', '/terraform/v1/mgmt/openai/update'],
  ['POST', '/terraform/v1/hooks/srs/secret'],
  ['POST', '/terraform/v1/hooks/srs/secret/query'],
  ['POST', '/terraform/v1/hooks/srs/secret/update'],
  ['POST', '/terraform/v1/hooks/srs/secret/disable'],
  ['POST', '/terraform/v1/hooks/play/query'],
  ['POST', '/terraform/v1/hooks/play/apply'],
  ['POST', '/terraform/v1/hooks/play/token'],
  ['POST', '/terraform/v1/live/room/create'],
  ['POST', '/terraform/v1/live/room/query'],
  ['POST', '/terraform/v1/live/room/update'],
  ['POST', '/terraform/v1/live/room/list'],
  ['POST', '/terraform/v1/live/room/remove'],
  ['POST', '/terraform/v1/mgmt/hooks/query'],
  ['POST', '/terraform/v1/mgmt/hooks/apply'],
  ['POST', '/terraform/v1/mgmt/hooks/test'],
  ['POST', '/terraform/v1/mgmt/password'],
  ['POST', '/terraform/v1/hooks/record/query'],
  ['POST', '/terraform/v1/hooks/record/apply'],
  ['POST', '/terraform/v1/hooks/record/globs'],
  ['POST', '/terraform/v1/hooks/record/post-processing'],
  ['POST', '/terraform/v1/hooks/record/files'],
  ['POST', '/terraform/v1/hooks/record/end'],
  ['POST', '/terraform/v1/hooks/record/remove'],
  ['POST', '/terraform/v1/hooks/record/s3/check'],
  ['POST', '/terraform/v1/ffmpeg/forward/secret'],
  ['POST', '/terraform/v1/ffmpeg/forward/streams'],
  ['POST', '/terraform/v1/ffmpeg/camera/stream-url'],
  ['POST', '/terraform/v1/ffmpeg/camera/source'],
  ['POST', '/terraform/v1/ffmpeg/camera/secret'],
  ['POST', '/terraform/v1/ffmpeg/camera/streams'],
  ['POST', '/terraform/v1/ffmpeg/camera/remove'],
  ['POST', '/terraform/v1/mgmt/auto-self-signed-certificate'],
  ['POST', '/terraform/v1/mgmt/ssl'],
  ['POST', '/terraform/v1/mgmt/letsencrypt'],
  ['POST', '/terraform/v1/mgmt/cert/query'],
  ['POST', '/terraform/v1/ffmpeg/transcode/query'],
  ['POST', '/terraform/v1/ffmpeg/transcode/apply'],
  ['POST', '/terraform/v1/ffmpeg/transcode/task'],
  ['POST', '/terraform/v1/ffmpeg/transcode/streams/list'],
  ['POST', '/terraform/v1/ffmpeg/transcode/streams/update'],
  ['POST', '/terraform/v1/ffmpeg/transcode/streams/remove'],
  ['POST', '/terraform/v1/ffmpeg/vlive/upload/:filename'],
  ['POST', '/terraform/v1/ffmpeg/vlive/server'],
  ['POST', '/terraform/v1/ffmpeg/vlive/stream-url'],
  ['POST', '/terraform/v1/ffmpeg/vlive/streamUrl'],
  ['POST', '/terraform/v1/ffmpeg/vlive/source'],
  ['POST', '/terraform/v1/ffmpeg/vlive/secret'],
  ['POST', '/terraform/v1/ffmpeg/vlive/streams'],
  ['POST', '/terraform/v1/ffmpeg/vlive/remove'],
  ['GET', '/metrics'],
  ...['query', 'apply', 'check', 'reset', 'clear-subtitle', 'live-queue', 'asr-queue', 'fix-queue', 'overlay-queue'].map((x): [string, string] => ['POST', `/terraform/v1/ai/transcript/${x}`]),
  ['GET', '/api/v1/summaries'],
  ['GET', '/api/v1/vhosts'],
  ['GET', '/api/v1/streams'],
  ['GET', '/api/v1/streams/vid-nothere'],
  ['GET', '/api/v1/clients'],
  ['GET', '/api/v1/clients/nothere'],
  ['DELETE', '/api/v1/clients/nothere'],
];

/** Routes anyone may call (SRS Stack leaves these open too). */
const PUBLIC = [
  '/terraform/v1/host/versions',
  '/terraform/v1/mgmt/versions',
  '/terraform/v1/ffmpeg/versions',
  '/terraform/v1/hooks/versions',
  '/terraform/v1/tencent/versions',
  '/terraform/v1/openapi.json',
  '/terraform/v1/mgmt/init',
  '/terraform/v1/mgmt/check',
  '/terraform/v1/mgmt/envs',
  '/terraform/v1/mgmt/login',
  '/terraform/v1/mgmt/beian/query',
  '/terraform/v1/mgmt/hooks/example',
  // the public room page: title and stream, no secret
  '/terraform/v1/live/room/public',
  // a finished recording, for <video>: the unguessable uuid is the key (as in SRS Stack)
  '/terraform/v1/hooks/record/hls/:uuid/index.mp4',
  // its HLS view (also while it records) and the fragmented MP4 the playlist's byte ranges point into
  '/terraform/v1/hooks/record/hls/:uuid/index.m3u8',
  '/terraform/v1/hooks/record/hls/:name',
  '/terraform/v1/hooks/record/hls/:uuid/fragments.mp4',
  // the WebVTT subtitles as HLS (the task's uuid is the key, as in SRS Stack)
  '/terraform/v1/ai/transcript/hls/webvtt/:uuid/index.m3u8',
  '/terraform/v1/ai/transcript/hls/webvtt/:uuid/subtitles.m3u8',
  '/terraform/v1/ai/transcript/hls/webvtt/:uuid/:name',
  '/api/v1/versions',
  // liveness and readiness probes (Kubernetes, Docker HEALTHCHECK)
  '/healthz',
  '/readyz',
];

describe('control plane: auth', () => {
  let redis: TestRedis;
  let p: Plane;
  let token = '';
  let bearer = '';

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url }, { throttle: { failDelayMs: 50, maxFailures: 3, lockoutMs: 60_000 } });
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  it('the route table matches the lists of protected and public routes', () => {
    const table = new Map(p.cp.routes.map((r) => [r.path.replace(':id', ''), r.auth]));
    for (const [, path] of PROTECTED) {
      const key = path.replace(/\/(vid-nothere|nothere)$/, '/');
      assert.equal(table.get(key), true, `${path} should need auth`);
    }
    for (const path of PUBLIC) assert.equal(table.get(path), false, `${path} should be public`);
    const listed = new Set([...PROTECTED.map(([, x]) => x.replace(/\/(vid-nothere|nothere)$/, '/')), ...PUBLIC]);
    for (const r of p.cp.routes) {
      // SRS Stack paths not built here answer 501 to anyone (api-paths.test.ts checks them against README)
      if (r.notBuilt) {
        assert.equal(r.auth, false, `${r.path} (not built) should answer 501 without auth`);
        continue;
      }
      assert.ok(listed.has(r.path.replace(':id', '')), `route ${r.path} is in neither list of this test`);
    }
  });

  it('versions need no auth, with the envelope', async () => {
    const r = await call(p.base, 'GET', '/terraform/v1/mgmt/versions');
    assert.equal(r.status, 200);
    assert.equal(r.json.code, 0);
    assert.match(r.json.server, /^vid-/);
    assert.equal(r.json.data.version, '0.1.0');
    const v = await call(p.base, 'GET', '/api/v1/versions');
    assert.equal(v.status, 200);
    // SRS's API version we answer like (SRS Stack 5 runs SRS 5); our own version is in mgmt/versions
    assert.equal(v.json.data.major, 5);
    assert.equal(v.json.data.version, `5.${v.json.data.minor}.${v.json.data.revision}`);
    assert.equal(typeof v.json.service, 'string');
    assert.equal(v.json.pid, String(process.pid));
  });

  it('init reports not initialized, login before init says to init', async () => {
    const r = await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: {} });
    assert.deepEqual(r.json.data, { init: false, needSetupCode: false }, 'from loopback no setup code is needed');
    const l = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'x' } });
    assert.equal(l.status, 400);
    assert.match(l.json.message, /mgmt\/init/);
  });

  it('init -> token and bearer; init again is refused', async () => {
    const r = await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'hunter2-secret' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.code, 0);
    assert.equal(r.json.data.token.split('.').length, 3);
    assert.match(r.json.data.bearer, /^srs-v2-[0-9a-f]{32}$/);
    assert.ok(Date.parse(r.json.data.expireAt) > Date.parse(r.json.data.createAt));
    bearer = r.json.data.bearer;
    assert.equal(bearer, p.cp.platformSecret);
    const again = await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'other' } });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /already set/);
    const q = await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: {} });
    assert.deepEqual(q.json.data, { init: true, needSetupCode: false });
  });

  it('login -> token; the token works in the body, in ?token= and as a bearer', async () => {
    const r = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'hunter2-secret' } });
    assert.equal(r.status, 200, r.text);
    token = r.json.data.token;
    assert.equal(r.json.data.bearer, bearer);
    const a = await call(p.base, 'POST', '/terraform/v1/mgmt/secret/query', { body: { token } });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.data, bearer);
    const b = await call(p.base, 'GET', `/api/v1/streams?token=${token}`);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(b.json.streams, []);
    const c = await call(p.base, 'POST', '/terraform/v1/mgmt/token', { bearer: token });
    assert.equal(c.status, 200, c.text);
    assert.notEqual(c.json.data.token, token);
  });

  it('the bearer secret works on every protected route', async () => {
    for (const [method, path] of PROTECTED) {
      const r = await call(p.base, method, path, { bearer, body: {} });
      // 200, or the route's own answer to an empty body (a missing field, a stream or client that is not
      // there): never an auth error, and never a server error
      assert.ok([200, 400, 404].includes(r.status), `${method} ${path}: ${r.status} ${r.text}`);
      if (path === '/metrics') {
        assert.match(r.text, /^# HELP /m, 'metrics answer Prometheus text');
        continue;
      }
      assert.equal(typeof r.json?.code, 'number', `${method} ${path} answers JSON: ${r.text}`);
      if (r.status !== 200) assert.doesNotMatch(r.json.message, /Bearer|token|authenticat/i, `${method} ${path}: ${r.text}`);
    }
  });

  it('no token, a bad token or a wrong bearer -> 401 JSON on every protected route', async () => {
    const forged = `${token.slice(0, -4)}AAAA`;
    for (const [method, path] of PROTECTED) {
      for (const o of [{}, { body: { token: forged } }, { bearer: 'srs-v2-wrong' }, { headers: { Authorization: 'Basic abc' } }]) {
        const r = await call(p.base, method, path, o);
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(o)}: ${r.text}`);
        assert.equal(r.json.code, 401);
        assert.match(r.json.message, /Bearer|token/);
      }
      const q = await call(p.base, method, `${path}?token=${forged}`);
      assert.equal(q.status, 401, `${method} ${path}?token=forged`);
    }
  });

  it('wrong password -> 401 (slowly), then 429 after repeated tries; another address is not throttled', async () => {
    const t0 = Date.now();
    const w1 = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'nope' } });
    assert.ok(Date.now() - t0 >= 45, 'a wrong password is answered after the delay');
    assert.equal(w1.status, 401);
    assert.match(w1.json.message, /wrong password; 2 more wrong tries/);
    await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'nope' } });
    const w3 = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'nope' } });
    assert.equal(w3.status, 401);
    assert.match(w3.json.message, /locked out for 60 s/);
    const locked = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'hunter2-secret' } });
    assert.equal(locked.status, 429, 'even the right password waits out the lockout');
    assert.match(locked.json.message, /too many wrong passwords from 127\.0\.0\.1; try again in \d+ s/);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    // 127.0.0.2 is another loopback address: a different client for the server.
    const other = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'hunter2-secret' }, localAddress: '127.0.0.2' });
    assert.equal(other.status, 200, other.text);
    // The API itself still works for everyone with a token.
    const ok = await call(p.base, 'POST', '/terraform/v1/mgmt/status', { bearer });
    assert.equal(ok.status, 200);
  });

  it('malformed JSON -> 400, huge body -> 413, bad field -> 400 naming the field', async () => {
    const bad = await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { raw: '{"vlive": 1,', bearer });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /not valid JSON/);
    const arr = await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { raw: '[1,2]', bearer });
    assert.equal(arr.status, 400);
    assert.match(arr.json.message, /must be a JSON object/);
    const huge = await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { raw: `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`, bearer });
    assert.equal(huge.status, 413);
    assert.equal(huge.json.code, 413);
    assert.match(huge.json.message, /larger than 1024 KiB/);
    const field = await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { body: { vlive: 'fast', camera: 10 }, bearer });
    assert.equal(field.status, 400);
    assert.match(field.json.message, /field "vlive" must be an integer from 1 to 10000000, got the string "fast"/);
    const missing = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/disable', { body: {}, bearer });
    assert.equal(missing.status, 400);
    assert.match(missing.json.message, /field "pubNoAuth" must be true or false, got nothing/);
    const target = await call(p.base, 'POST', '/terraform/v1/mgmt/hooks/apply', { body: { all: true, target: 'ftp://x' }, bearer });
    assert.equal(target.status, 400);
    assert.match(target.json.message, /field "target"/);
    const login = await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 42 }, localAddress: '127.0.0.3' });
    assert.equal(login.status, 400);
    assert.match(login.json.message, /field "password"/);
  });

  it('CORS headers appear exactly once, OPTIONS answers the preflight, unknown paths get a JSON 404', async () => {
    for (const r of [
      await call(p.base, 'GET', '/terraform/v1/mgmt/versions'),
      await call(p.base, 'POST', '/terraform/v1/mgmt/status'),
      await call(p.base, 'OPTIONS', '/terraform/v1/mgmt/login'),
    ]) {
      const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
      for (const [h, v] of [
        ['access-control-allow-origin', '*'],
        ['access-control-allow-headers', '*'],
        ['access-control-allow-methods', '*'],
        ['access-control-expose-headers', '*'],
        ['access-control-allow-credentials', 'true'],
        ['server', 'srs-node/test'],
      ]) {
        assert.equal(names.filter((x) => x === h).length, 1, `${h} once`);
        assert.equal(r.headers[h!], v);
      }
    }
    const pre = await call(p.base, 'OPTIONS', '/api/v1/streams');
    assert.equal(pre.status, 200);
    assert.equal(pre.text, '');
    const nf = await call(p.base, 'GET', '/terraform/v1/nothing');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.code, 404);
    assert.match(nf.json.message, /no API GET \/terraform\/v1\/nothing/);
  });

  it('settings round trip through Redis', async () => {
    assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer })).json.data, { vlive: 5000, camera: 5000 });
    await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { bearer, body: { vlive: 800, camera: 900 } });
    assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer })).json.data, { vlive: 800, camera: 900 });
    await call(p.base, 'POST', '/terraform/v1/mgmt/beian/update', { bearer, body: { beian: 'icp', text: 'ICP 123' } });
    assert.deepEqual((await call(p.base, 'GET', '/terraform/v1/mgmt/beian/query')).json.data, { icp: 'ICP 123' });
    await call(p.base, 'POST', '/terraform/v1/mgmt/hphls/update', { bearer, body: { noHlsCtx: true } });
    assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/hphls/query', { bearer })).json.data, { noHlsCtx: true });
    await call(p.base, 'POST', '/terraform/v1/mgmt/hlsll/update', { bearer, body: { hlsLowLatency: true } });
    assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/hlsll/query', { bearer })).json.data, { hlsLowLatency: true });
    const o = await call(p.base, 'POST', '/terraform/v1/mgmt/openai/update', {
      bearer,
      body: { aiSecretKey: 'sk-test', aiBaseURL: 'http://127.0.0.1:9/v1', aiOrganization: 'org' },
    });
    assert.equal(o.status, 200, o.text);
    assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/openai/query', { bearer })).json.data, {
      aiSecretKey: 'sk-test',
      aiBaseURL: 'http://127.0.0.1:9/v1',
      aiOrganization: 'org',
    });
    const envs = await call(p.base, 'POST', '/terraform/v1/mgmt/envs', { body: { locale: 'en' } });
    assert.equal(envs.json.data.rtmpPort, '0');
    const check = await call(p.base, 'GET', '/terraform/v1/mgmt/check');
    assert.deepEqual(check.json.data, { upgrading: false });
  });
});

describe('login throttle (unit)', () => {
  it('locks one address after maxFailures, doubles the lockout, forgets after forgetMs; others unaffected', () => {
    let now = 1_000_000;
    const t = new LoginThrottle({ maxFailures: 2, lockoutMs: 1000, maxLockoutMs: 3000, forgetMs: 10_000 }, () => now);
    const fail = (ip: string) => {
      const a = t.begin(ip);
      assert.ok(a.ok, `${ip} should be allowed`);
      return a.failed();
    };
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 1, lockedForMs: 0 });
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 0, lockedForMs: 1000 });
    const r = t.begin('1.1.1.1');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.retryAfterMs, 1000);
    assert.ok(t.begin('::ffff:2.2.2.2').ok, 'another address is not throttled');
    assert.equal(t.begin('::ffff:1.1.1.1').ok, false, 'the IPv4-mapped form is the same address');
    now += 1001;
    fail('1.1.1.1');
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 0, lockedForMs: 2000 });
    now += 2001;
    fail('1.1.1.1');
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 0, lockedForMs: 3000 }, 'capped at maxLockoutMs');
    now += 3001 + 10_001;
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 1, lockedForMs: 0 }, 'forgotten after forgetMs');
    const ok = t.begin('1.1.1.1');
    assert.ok(ok.ok);
    ok.succeeded();
    assert.deepEqual(fail('1.1.1.1'), { triesLeft: 1, lockedForMs: 0 }, 'a success resets the count');
  });

  it('parallel attempts count against the remaining tries', () => {
    const t = new LoginThrottle({ maxFailures: 2 });
    const a = t.begin('3.3.3.3');
    const b = t.begin('3.3.3.3');
    assert.ok(a.ok && b.ok);
    assert.equal(t.begin('3.3.3.3').ok, false, 'a third guess may not run while two are in flight');
  });
});
