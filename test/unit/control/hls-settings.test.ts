// The HLS settings reach the real HLS server through its port: loaded from Redis at start, pushed on each
// mgmt/hphls and mgmt/hlsll update, and after Redis comes back (lost settings written back, others applied).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createControlPlane } from '../../../src/control/index.js';
import { HlsServer } from '../../../src/servers/hls/hls.js';
import { call, cleanupAll, logger, newHub, startRedis, testConfig, waitFor } from './helpers.js';

test('HLS settings: loaded at start, pushed on update, restored after Redis comes back', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const direct = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  direct.on('error', () => {});
  await direct.connect();
  await direct.hset('SRS_LL_HLS', { hlsLowLatency: 'true' });
  const hub = newHub();
  const hls = new HlsServer(hub, { fragment: null, window: null });
  const cp = await createControlPlane({ config: testConfig({ REDIS_URL: redis.url }), hub, logger, version: '0.1.0', hls, options: { redisCommandTimeoutMs: 500 } });
  const server = createServer((req, res) => cp.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const bearer = cp.platformSecret;
  try {
    assert.deepEqual(hls.current, { lowLatency: true, noHlsCtx: false }, 'loaded from Redis at start');

    const r = await call(base, 'POST', '/terraform/v1/mgmt/hphls/update', { bearer, body: { noHlsCtx: true } });
    assert.equal(r.status, 200);
    assert.deepEqual(hls.current, { lowLatency: true, noHlsCtx: true }, 'pushed on update');
    await call(base, 'POST', '/terraform/v1/mgmt/hlsll/update', { bearer, body: { hlsLowLatency: false } });
    assert.deepEqual(hls.current, { lowLatency: false, noHlsCtx: true });
    await call(base, 'POST', '/terraform/v1/mgmt/hlsll/update', { bearer, body: { hlsLowLatency: true } });

    // Redis comes back empty (no persistence): the settings in force stay and are written back.
    await redis.kill();
    await redis.start();
    await waitFor('direct connection', async () => (await direct.ping().catch(() => '')) === 'PONG', 10000);
    await waitFor('the settings written back', async () =>
      (await direct.hget('SRS_LL_HLS', 'hlsLowLatency').catch(() => null)) === 'true' &&
      (await direct.hget('SRS_HP_HLS', 'noHlsCtx').catch(() => null)) === 'true', 15000);
    assert.deepEqual(hls.current, { lowLatency: true, noHlsCtx: true });
  } finally {
    direct.disconnect();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await cp.close();
    hls.close();
    await redis.kill();
    cleanupAll();
  }
});
