// Persistence and outages with a real redis-server: a new control plane on the same Redis keeps everything;
// Redis killed -> the API answers 503 at once, publishes are still checked (last known secret), and all recovers
// (even the secrets, when Redis comes back empty) once Redis is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createControlPlane } from '../../../src/control/index.js';
import type { SessionInfo } from '../../../src/servers/ports.js';
import { call, cleanupAll, fakeClient, logger, newHub, startPlane, startRedis, testConfig, waitFor, type Plane, type TestRedis } from './helpers.js';

function session(stream: string, param = ''): SessionInfo {
  return {
    clientId: 'c1',
    ip: '127.0.0.1',
    type: 'fmle-publish',
    url: { vhost: '__defaultVhost__', app: 'live', stream, param },
    requestUrl: `rtmp://127.0.0.1/live/${stream}${param}`,
  };
}

describe('control plane: restart keeps everything', () => {
  let redis: TestRedis;
  after(() => cleanupAll());

  it('secret, password, hooks and settings survive a new control plane on the same Redis', async () => {
    redis = await startRedis();
    const a = await startPlane({ REDIS_URL: redis.url });
    const bearer = a.cp.platformSecret;
    let token = '';
    try {
      token = (await call(a.base, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'pw-restart' } })).json.data.token;
      await call(a.base, 'POST', '/terraform/v1/hooks/srs/secret/update', { bearer, body: { secret: 'keepme' } });
      await call(a.base, 'POST', '/terraform/v1/mgmt/hooks/apply', { bearer, body: { all: true, target: 'http://127.0.0.1:9/h', opaque: 'op' } });
      await call(a.base, 'POST', '/terraform/v1/mgmt/limits/update', { bearer, body: { vlive: 123, camera: 456 } });
      await call(a.base, 'POST', '/terraform/v1/mgmt/hlsll/update', { bearer, body: { hlsLowLatency: true } });
    } finally {
      await a.close();
    }
    const b = await startPlane({ REDIS_URL: redis.url });
    try {
      assert.equal(b.cp.platformSecret, bearer, 'the generated API secret is kept');
      assert.equal((await call(b.base, 'POST', '/terraform/v1/mgmt/status', { body: { token } })).status, 200, 'old tokens still work');
      const login = await call(b.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'pw-restart' } });
      assert.equal(login.status, 200, login.text);
      assert.equal((await call(b.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer })).json.data.publish, 'keepme');
      // The secret passes, and the kept callback settings are used (the target does not listen: refused by it).
      assert.match((await b.cp.hooks.onPublish(session('x', '?secret=keepme'))) ?? '', /on_publish callback to http:\/\/127\.0\.0\.1:9\/h failed/);
      const h = (await call(b.base, 'POST', '/terraform/v1/mgmt/hooks/query', { bearer })).json.data;
      assert.equal(h.all, true);
      assert.equal(h.target, 'http://127.0.0.1:9/h');
      assert.equal(h.opaque, 'op');
      assert.deepEqual((await call(b.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer })).json.data, { vlive: 123, camera: 456 });
      assert.deepEqual((await call(b.base, 'POST', '/terraform/v1/mgmt/hlsll/query', { bearer })).json.data, { hlsLowLatency: true });
      // The password is stored only as a salted scrypt hash.
      const rc = new Redis(redis.url);
      const stored = await rc.get('SRS_MGMT_PASSWORD');
      rc.disconnect();
      assert.match(stored ?? '', /^scrypt\$16384\$8\$1\$/);
      assert.ok(!stored?.includes('pw-restart'));
    } finally {
      await b.close();
    }
  });

  it('SRS_PLATFORM_SECRET and MGMT_PASSWORD from the environment win', async () => {
    const p = await startPlane({ REDIS_URL: redis.url, SRS_PLATFORM_SECRET: 'env-secret-1', MGMT_PASSWORD: 'env-pw' });
    try {
      assert.equal(p.cp.platformSecret, 'env-secret-1');
      assert.equal((await call(p.base, 'POST', '/terraform/v1/mgmt/status', { bearer: 'env-secret-1' })).status, 200);
      assert.equal((await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'env-pw' } })).status, 200);
      assert.deepEqual((await call(p.base, 'POST', '/terraform/v1/mgmt/init', {})).json.data, { init: true, needSetupCode: false });
      const again = await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'x' } });
      assert.equal(again.status, 409);
      assert.match(again.json.message, /MGMT_PASSWORD/);
    } finally {
      await p.close();
    }
  });

  it('an unreachable REDIS_URL fails the start with a clear error naming the URL', async () => {
    const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
    await assert.rejects(
      createControlPlane({ config, hub: newHub(), logger, version: '0.1.0', options: { statsIntervalMs: 1000, redisConnectTimeoutMs: 1000 } }),
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: .*unset REDIS_URL/,
    );
  });
});

describe('control plane: Redis lost while running', () => {
  let redis: TestRedis;
  let p: Plane;
  let bearer = '';
  let secret = '';

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url }, { redisCommandTimeoutMs: 500 });
    bearer = p.cp.platformSecret;
    secret = (await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer })).json.data.publish;
    await call(p.base, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'pw-outage' } });
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  it('Redis killed: API 503 at once, streams go on, publishes still checked; all back when Redis returns', async () => {
    const url = { vhost: '__defaultVhost__', app: 'live', stream: 'during', param: '' };
    const pub = fakeClient(p.hub, url, 'fmle-publish', true);
    await redis.kill();
    await waitFor('the API to notice', async () => (await call(p.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer })).status === 503);

    const t0 = Date.now();
    const r = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer });
    assert.equal(r.status, 503);
    assert.equal(r.json.code, 503);
    assert.match(r.json.message, /the settings store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable.*media keeps flowing/);
    assert.equal((await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'pw-outage' } })).status, 503);
    assert.equal((await call(p.base, 'GET', '/terraform/v1/mgmt/check')).status, 503);
    assert.ok(Date.now() - t0 < 1000, 'no call waits for Redis');

    // What does not need Redis keeps working: the stream list comes from the hub.
    const s = await call(p.base, 'GET', '/api/v1/streams', { bearer });
    assert.equal(s.status, 200);
    assert.equal(s.json.streams.length, 1);
    assert.equal(s.json.streams[0].publish.active, true);
    assert.equal(p.hub.get(url)?.publisher, pub, 'the stream goes on');

    // Publishes are checked against the last known secret, and never hang.
    const t1 = Date.now();
    assert.equal(await p.cp.hooks.onPublish({ ...sessionOf('next', `?secret=${secret}`) }), null);
    assert.match((await p.cp.hooks.onPublish(sessionOf('next'))) ?? '', /missing secret/);
    assert.ok(Date.now() - t1 < 1500);

    // Redis comes back empty (it had no persistence): the API recovers and the secrets are put back.
    await redis.start();
    await waitFor('the API to recover', async () => (await call(p.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer })).status === 200, 15000);
    await waitFor('secrets restored', async () => {
      const q = await call(p.base, 'POST', '/terraform/v1/hooks/srs/secret/query', { bearer });
      return q.status === 200 && q.json.data.publish === secret;
    });
    assert.equal((await call(p.base, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'pw-outage' } })).status, 200);
    const rc = new Redis(redis.url);
    try {
      assert.equal(await rc.hget('SRS_PLATFORM_SECRET', 'token'), bearer);
      const active = await rc.hgetall('SRS_STREAM_ACTIVE');
      assert.deepEqual(Object.keys(active), ['live/during'], 'the active stream list is rewritten from the hub');
      assert.equal(JSON.parse(active['live/during']!).client_id, pub.id);
    } finally {
      rc.disconnect();
    }
    assert.match((await p.cp.hooks.onPublish(sessionOf('next'))) ?? '', /missing secret/, 'never falls open');
  });
});

function sessionOf(stream: string, param = ''): SessionInfo {
  return session(stream, param);
}
