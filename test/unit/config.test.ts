// Configuration: defaults, and errors that name the variable and the expected value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';

test('defaults are the documented ports', () => {
  const c = loadConfig({});
  assert.equal(c.httpPort, 2022);
  assert.equal(c.rtmpPort, 1935);
  assert.equal(c.rtmpsPort, 1936);
  assert.equal(c.rtcPort, 8000);
  assert.equal(c.srtPort, 10080);
  assert.equal(c.httpsPort, 2443);
  assert.equal(c.gopCache, true);
  // HLS follows the hlsll setting (10 s fragments and a 60 s window; 2 s and 16 s with LL) unless overridden.
  assert.equal(c.hlsFragment, null);
  assert.equal(c.hlsWindow, null);
  const o = loadConfig({ HLS_FRAGMENT: '2', HLS_WINDOW: '5' });
  assert.equal(o.hlsFragment, 2);
  assert.equal(o.hlsWindow, 5);
  // MPEG-TS for H.264 and fMP4 for the rest; LL-HLS parts of 300 ms with the hlsll setting
  assert.equal(c.hlsFmp4, 'auto');
  assert.equal(c.hlsLowLatency, 'setting');
  assert.equal(c.hlsPartMs, 300);
  assert.equal(loadConfig({ HLS_FMP4: 'ON', HLS_LL: 'off' }).hlsFmp4, 'on');
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
  assert.throws(() => loadConfig({ HLS_FMP4: 'yes' }), /HLS_FMP4="yes" is invalid: expected one of auto, on, off/);
  assert.throws(() => loadConfig({ HLS_LL: '1' }), /HLS_LL="1" is invalid: expected one of setting, on, off/);
  assert.throws(() => loadConfig({ HLS_PART_MS: '50' }), /HLS_PART_MS="50" is invalid/);
  assert.throws(() => loadConfig({ HLS_WINDOW: '1' }), /HLS_WINDOW="1" is invalid: expected an integer from 2 to 100/);
});

test('HTTPS and ACME settings: named directories, URLs, RTMPS off, renewal', () => {
  const c = loadConfig({});
  assert.equal(c.acmeDirectoryUrl, 'https://acme-v02.api.letsencrypt.org/directory');
  assert.equal(c.certRenewDays, 30);
  assert.equal(c.certCheckIntervalMs, 86400_000);
  assert.equal(c.acmeHttpPort, 0);
  assert.equal(loadConfig({ ACME_DIRECTORY_URL: 'letsencrypt-staging' }).acmeDirectoryUrl, 'https://acme-staging-v02.api.letsencrypt.org/directory');
  assert.equal(loadConfig({ ACME_DIRECTORY_URL: 'https://ca.internal:14000/dir' }).acmeDirectoryUrl, 'https://ca.internal:14000/dir');
  assert.throws(() => loadConfig({ ACME_DIRECTORY_URL: 'ca.internal' }), /ACME_DIRECTORY_URL="ca.internal" is invalid: expected letsencrypt, letsencrypt-staging or the https:\/\/ URL/);
  assert.equal(loadConfig({ RTMPS_PORT: 'off' }).rtmpsPort, null);
  assert.throws(() => loadConfig({ CERT_RENEW_DAYS: '0' }), /CERT_RENEW_DAYS="0" is invalid/);
});
