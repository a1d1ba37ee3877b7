// Play tokens without a server: minted tokens admit the streams of their glob, from their IP, until they
// expire; anything else (another key, another stream, garbage, a console login token) is refused with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { issueToken } from '../../../src/control/auth/token.js';
import { checkPlayToken, generatePlayKey, mintPlayToken, parsePlayAuthHash, playAuthScope, tokenOf } from '../../../src/control/hooks/play-auth.js';

const url = (stream: string, param = '', app = 'live') => ({ vhost: '__defaultVhost__', app, stream, param });
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('a token admits the streams of its glob, and only from its IP when it names one', async () => {
  const key = generatePlayKey();
  const { token } = await mintPlayToken(key, { streams: '/live/cam*', exp: inAnHour() });
  assert.equal(await checkPlayToken(key, token, url('cam1'), '1.2.3.4'), null);
  assert.equal(await checkPlayToken(key, token, url('cam'), '1.2.3.4'), null);
  assert.equal((await checkPlayToken(key, token, url('x1'), '1.2.3.4'))?.why, 'bad-token');
  assert.equal((await checkPlayToken(key, token, url('cam1', '', 'other'), '1.2.3.4'))?.why, 'bad-token');
  const pinned = (await mintPlayToken(key, { streams: '/live/a', exp: inAnHour(), ip: '10.0.0.1' })).token;
  assert.equal(await checkPlayToken(key, pinned, url('a'), '10.0.0.1'), null);
  assert.match((await checkPlayToken(key, pinned, url('a'), '10.0.0.2'))!.message, /viewer IP 10\.0\.0\.1, not 10\.0\.0\.2/);
});

test('expired, other-key, missing and console tokens are refused with the reason', async () => {
  const key = generatePlayKey();
  const old = (await mintPlayToken(key, { streams: '/live/a', exp: Math.floor(Date.now() / 1000) - 5 })).token;
  assert.match((await checkPlayToken(key, old, url('a'), 'x'))!.message, /expired at \d{4}-/);
  const other = (await mintPlayToken(generatePlayKey(), { streams: '/live/a', exp: inAnHour() })).token;
  assert.match((await checkPlayToken(key, other, url('a'), 'x'))!.message, /not valid/);
  const none = await checkPlayToken(key, '', url('a'), 'x');
  assert.equal(none?.why, 'no-token');
  // A console login token signed with the same bytes is not a play token (no "play" subject).
  const login = (await issueToken(key)).token;
  assert.equal((await checkPlayToken(key, login, url('a'), 'x'))?.why, 'bad-token');
});

test('garbage tokens never admit and never throw', async () => {
  const key = generatePlayKey();
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
      const r = await checkPlayToken(key, s, url('a'), 'x');
      assert.ok(r && (r.why === 'bad-token' || r.why === 'no-token'));
    }),
    { numRuns: 200 },
  );
});

test('scope: all, apps, rooms; the token comes from the Bearer header or ?token=', () => {
  const s = parsePlayAuthHash({ key: 'k', all: 'false', apps: '["vip"]', 'room-play-r1': 'true', 'room-play-r2': 'false' });
  assert.equal(playAuthScope(s, url('x')), null);
  assert.equal(playAuthScope(s, url('x', '', 'vip')), 'app');
  assert.equal(playAuthScope(s, url('r1')), 'room');
  assert.equal(playAuthScope(s, url('r2')), null);
  assert.equal(playAuthScope({ ...s, all: true }, url('x')), 'all');
  assert.deepEqual(parsePlayAuthHash({ apps: 'not json' }).apps, []);
  assert.equal(tokenOf(url('a', '?hls_ctx=1&token=abc')), 'abc');
  assert.equal(tokenOf(url('a', '?token=abc'), 'hdr'), 'hdr');
});
