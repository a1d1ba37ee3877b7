// The pieces of forward that need no media: SRS Stack's output URL rule (and ours for srt://), platform and
// stream-name checks, stored configs, SRT target URLs (FFmpeg's query options), what a target's failure is
// called, masking the stream key; and, on a real Redis, the limit of enabled targets and SRS Stack's keys.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forwardOutputUrl, parseForwardConfig, platformError, streamRefError } from '../../../src/control/jobs/forward/config.js';
import { parseSrtTarget } from '../../../src/servers/srt/push.js';
import { checkTargetUrl, describeTargetError, maskTargetUrl } from '../../../src/servers/target-push.js';
import { call, cleanupAll, startPlane, startRedis, type Plane, type TestRedis } from './helpers.js';
import { Redis } from 'ioredis';

it('forwardOutputUrl: SRS Stack joins server and secret with one slash; srt:// takes the secret as its streamid', () => {
  assert.equal(forwardOutputUrl({ server: 'rtmp://a/live', secret: 'key' }), 'rtmp://a/live/key');
  assert.equal(forwardOutputUrl({ server: 'rtmp://a/live/', secret: 'key' }), 'rtmp://a/live/key');
  assert.equal(forwardOutputUrl({ server: 'rtmp://a/live', secret: '/key' }), 'rtmp://a/live/key');
  assert.equal(forwardOutputUrl({ server: 'rtmp://a/live/key', secret: '' }), 'rtmp://a/live/key');
  assert.equal(forwardOutputUrl({ server: 'srt://a:10080', secret: 'sid' }), 'srt://a:10080?streamid=sid');
  assert.equal(forwardOutputUrl({ server: 'srt://a:10080?latency=200000', secret: 'sid' }), 'srt://a:10080?latency=200000&streamid=sid');
  assert.equal(forwardOutputUrl({ server: 'srt://a:10080?streamid=x', secret: 'ignored' }), 'srt://a:10080?streamid=x');
});

it('platforms and stream names: SRS Stack\'s platforms, names without traversal', () => {
  for (const p of ['wx', 'bilibili', 'kuaishou', 'forwarding-1-a1b2c3', 'my-forwarding-x']) assert.equal(platformError(p), null, p);
  for (const p of ['youtube', '', 'forwarding-../x', `forwarding-${'x'.repeat(200)}`]) assert.ok(platformError(p), p);
  for (const s of ['', 'livestream', 'live/livestream', 'vhost/live/s']) assert.equal(streamRefError(s), null, s);
  for (const s of ['..', 'live/..', 'a/b/c/d', 'a b', 'x?y']) assert.ok(streamRefError(s), s);
});

it('a stored config: SRS Stack\'s fields (no backup) are read, garbage is not', () => {
  const c = parseForwardConfig(JSON.stringify({ platform: 'wx', server: 'rtmp://a/live', secret: 'k', enabled: true, custom: false, label: 'WeChat', stream: '' }));
  assert.deepEqual(c, { platform: 'wx', server: 'rtmp://a/live', secret: 'k', enabled: true, custom: false, label: 'WeChat', stream: '', backup: '' });
  assert.equal(parseForwardConfig('{"server":"x"}'), null);
  assert.equal(parseForwardConfig('not json'), null);
  assert.equal(parseForwardConfig('[1]'), null);
});

it('parseSrtTarget: FFmpeg\'s URL form; the stream id may hold # , = ? and /', () => {
  const t = parseSrtTarget('srt://example.com:10080?streamid=#!::r=live/x?secret=y,m=publish&latency=200000&passphrase=0123456789ab&pbkeylen=16');
  assert.equal(t.host, 'example.com');
  assert.equal(t.port, 10080);
  assert.equal(t.streamId, '#!::r=live/x?secret=y,m=publish');
  assert.deepEqual(t.options, { latency: 200, passphrase: '0123456789ab', pbKeyLen: 16 });
  assert.equal(parseSrtTarget(`srt://1.2.3.4:9000?streamid=${encodeURIComponent('#!::r=a/b,m=publish')}`).streamId, '#!::r=a/b,m=publish');
  assert.equal(parseSrtTarget('srt://[::1]:9000').host, '::1');
  assert.throws(() => parseSrtTarget('srt://h'), /no port/);
  assert.throws(() => parseSrtTarget('srt://h:1?latency=abc'), /latency=abc must be an integer/);
  assert.throws(() => parseSrtTarget('srt://h:1?passphrase=short'), /10 to 79/);
  assert.throws(() => parseSrtTarget('srt://h:1?mode=listener'), /mode=caller/);
  assert.throws(() => parseSrtTarget('srt://h:1?pbkeylen=20'), /pbkeylen/);
  assert.throws(() => checkTargetUrl('udp://h:1'), /unsupported target/);
});

it('describeTargetError: what the target did, as a short kind and what to check', () => {
  const k = (m: string) => describeTargetError(new Error(m)).kind;
  assert.equal(k('RTMP connect to rtmp://127.0.0.1:1 failed: connect ECONNREFUSED 127.0.0.1:1'), 'refused');
  assert.equal(k('RTMP connect to rtmp://x.invalid:1935 failed: getaddrinfo ENOTFOUND x.invalid'), 'dns');
  assert.equal(k('cannot resolve host x.invalid: getaddrinfo ENOTFOUND'), 'dns');
  assert.equal(k('RTMP connect to rtmps://h:443 failed: self-signed certificate'), 'tls');
  const ssl = describeTargetError(new Error('RTMP connect to rtmps://h:1 failed: 809C6EB3C07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n'));
  assert.equal(ssl.kind, 'tls');
  assert.equal(ssl.message, "tls: the TLS connection to the target failed (RTMP connect to rtmps://h:1 failed: SSL: wrong version number); check the rtmps:// address and the server's certificate");
  assert.equal(k('RTMP publish refused: NetStream.Publish.BadName: busy'), 'rejected');
  assert.equal(k('RTMP connect: no answer within 10000 ms'), 'timeout');
  assert.equal(k('RTMP connect to rtmps://h:1936 failed: the TLS handshake did not finish within 10000 ms (is it an RTMPS port?)'), 'tls');
  assert.equal(k('SRT connect to h:1 failed: Connection setup failure: connection timed out'), 'timeout');
  assert.equal(k('the remote closed the connection'), 'closed');
  assert.equal(k('something else'), 'error');
  assert.match(describeTargetError('the remote closed: read ECONNRESET').message, /^closed: /);
});

it('maskTargetUrl hides the stream key and the passphrase', () => {
  assert.equal(maskTargetUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl'), 'rtmp://a.rtmp.youtube.com/live2/ab****');
  assert.equal(maskTargetUrl('srt://h:1?streamid=#!::r=live/secretkey123456,m=publish&passphrase=0123456789ab'), 'srt://h:1?streamid=#!::r=live/s****&passphrase=****');
});

describe('forward API on a real Redis', () => {
  let redis: TestRedis;
  let p: Plane;
  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url, SRS_PLATFORM_SECRET: 'fwd-secret', SRS_FORWARD_LIMIT: '2' });
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  const update = (body: Record<string, unknown>) =>
    call(p.base, 'POST', '/terraform/v1/ffmpeg/forward/secret', { bearer: 'fwd-secret', body: { action: 'update', server: 'rtmp://127.0.0.1:9/live', secret: 'k', enabled: true, ...body } });

  it('at most SRS_FORWARD_LIMIT enabled targets; disabled ones may be stored beyond it; SRS Stack\'s keys hold them', async () => {
    assert.equal((await update({ platform: 'forwarding-1-aaa' })).status, 200);
    assert.equal((await update({ platform: 'forwarding-2-bbb' })).status, 200);
    const over = await update({ platform: 'forwarding-3-ccc' });
    assert.equal(over.status, 400);
    assert.match(over.json.message, /at most 2 forward targets can be enabled at once \(SRS_FORWARD_LIMIT\); disable one first/);
    assert.equal((await update({ platform: 'forwarding-3-ccc', enabled: false })).status, 200);
    // re-saving an enabled one is not "over the limit"
    assert.equal((await update({ platform: 'forwarding-2-bbb', label: 'renamed' })).status, 200);
    const r = new Redis(redis.url);
    try {
      const cfg = await r.hgetall('SRS_FORWARD_CONFIG');
      assert.deepEqual(Object.keys(cfg).sort(), ['forwarding-1-aaa', 'forwarding-2-bbb', 'forwarding-3-ccc']);
      assert.deepEqual(JSON.parse(cfg['forwarding-2-bbb']!), { platform: 'forwarding-2-bbb', stream: '', server: 'rtmp://127.0.0.1:9/live', secret: 'k', enabled: true, custom: false, label: 'renamed', backup: '' });
      const tasks = Object.values(await r.hgetall('SRS_FORWARD_TASK')).map((t) => JSON.parse(t) as Record<string, unknown>);
      const t = tasks.find((x) => x.platform === 'forwarding-1-aaa')!;
      assert.equal(t.output, 'rtmp://127.0.0.1:9/live/k');
      assert.equal(t.kind, 'forward');
    } finally {
      r.disconnect();
    }
    const list = await call(p.base, 'POST', '/terraform/v1/ffmpeg/forward/streams', { bearer: 'fwd-secret' });
    assert.deepEqual(list.json.data.map((s: { platform: string }) => s.platform), ['forwarding-1-aaa', 'forwarding-2-bbb', 'forwarding-3-ccc']);
    const off = list.json.data.find((s: { platform: string }) => s.platform === 'forwarding-3-ccc');
    assert.equal(off.state, 'stopped');
    assert.equal(off.target, 'rtmp://127.0.0.1:9/live/k');
    // no input is live in this hub: the enabled ones wait for one, saying so
    const on = list.json.data.find((s: { platform: string }) => s.platform === 'forwarding-1-aaa');
    assert.equal(on.state, 'starting');
    assert.match(on.reason, /waiting for any stream to be published/);
  });
});
