// Configuration: defaults, and errors that name the variable and the expected value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';

test('defaults are the documented ports', () => {
  const c = loadConfig({});
  assert.equal(c.httpPort, 2022);
  assert.equal(c.rtmpPort, 1935);
  assert.equal(c.rtcPort, 8000);
  assert.equal(c.srtPort, 10080);
  assert.equal(c.httpsPort, 2443);
  assert.equal(c.gopCache, true);
  assert.equal(c.hlsFragment, 2);
  assert.equal(c.hlsWindow, 5);
  assert.equal(c.rtmpIdleTimeoutMs, 20000);
  assert.equal(loadConfig({ RTMP_IDLE_TIMEOUT_MS: '3000' }).rtmpIdleTimeoutMs, 3000);
});

test('bad values name the variable and what was expected', () => {
  assert.throws(() => loadConfig({ HTTP_PORT: '70000' }), /HTTP_PORT="70000" is invalid: expected an integer from 0 to 65535/);
  assert.throws(() => loadConfig({ GOP_CACHE: 'maybe' }), /GOP_CACHE="maybe" is invalid: expected on or off/);
  assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud" is invalid/);
  assert.throws(() => loadConfig({ REDIS_URL: 'http://x' }), /REDIS_URL/);
  assert.throws(() => loadConfig({ HLS_FRAGMENT: 'x' }), /HLS_FRAGMENT/);
  assert.throws(() => loadConfig({ RTMP_IDLE_TIMEOUT_MS: '0' }), /RTMP_IDLE_TIMEOUT_MS="0" is invalid/);
});
