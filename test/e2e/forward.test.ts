// Forward (restream) against real servers: one input pushed at once to node-media-server (RTMP) and to our own
// SRT port (SRT caller, MPEG-TS), both read back by ffprobe as h264+aac; failover from the main stream to the
// backup and back, with ffmpeg recording the target throughout and ffprobe finding its timestamps monotonic;
// a target that refuses, one whose host does not resolve, and one that vanishes show "retrying" with the reason
// and recover when the target is back; bad API input is answered 400 with what to change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireTool } from '../support.js';
import { startNms, type Nms } from './nms.js';
import { cleanupAll, freePort, probe, publish, randomName, run, sleep, startServer, summarize, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
let srv: TestServer;
let nms: Nms;
const procs: Proc[] = [];
const extra: Nms[] = [];

interface FwdStream {
  platform: string;
  enabled: boolean;
  stream?: string;
  state: string;
  reason: string;
  retryInMs: number;
  frames: number;
  kbps: number;
  uptime: number;
  switches: number;
  log: string[];
  frame?: { log: string; update: string };
}

async function streams(): Promise<FwdStream[]> {
  const r = await srv.api<FwdStream[]>('/terraform/v1/ffmpeg/forward/streams');
  assert.equal(r.status, 200);
  return r.data;
}

async function target(platform: string): Promise<FwdStream | undefined> {
  return (await streams()).find((s) => s.platform === platform);
}

async function setTarget(body: Record<string, unknown>): Promise<void> {
  const r = await srv.api('/terraform/v1/ffmpeg/forward/secret', { action: 'update', enabled: true, custom: true, label: 'test', ...body });
  assert.equal(r.status, 200, r.message);
}

async function disable(platform: string): Promise<void> {
  const all = (await srv.api<Record<string, Record<string, unknown>>>('/terraform/v1/ffmpeg/forward/secret')).data;
  await setTarget({ ...all[platform], enabled: false });
}

before(async () => {
  if (skip) return;
  srv = await startServer({ REPUBLISH_GRACE_MS: '1000' });
  nms = await startNms();
});

after(async () => {
  for (const p of procs) p.kill();
  await nms?.stop();
  for (const n of extra) await n.stop();
  await srv?.close();
  cleanupAll();
});

test('one input forwarded to node-media-server over RTMP and to our SRT port at once: both are h264+aac', { skip }, async () => {
  assert.ok(srv.app.srtPort > 0, 'SRT is built');
  const input = randomName('in');
  const ff = publish(srv.publishUrl(input), { size: '320x240' });
  procs.push(ff);
  const rtmpKey = randomName('fw');
  const srtName = randomName('fwsrt');
  const p1 = `forwarding-1-${randomName('')}`;
  const p2 = `forwarding-2-${randomName('')}`;
  try {
    await setTarget({ platform: p1, server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: rtmpKey, stream: input });
    // srt://: the secret becomes the stream id when the server has none
    await setTarget({ platform: p2, server: `srt://127.0.0.1:${srv.app.srtPort}`, secret: `#!::r=live/${srtName}?secret=${srv.secret},m=publish`, stream: input });
    await waitFor(async () => (await streams()).filter((s) => [p1, p2].includes(s.platform) && s.state === 'running' && s.frames > 50).length === 2, 30000, 'both targets running');
    const [a, b] = await Promise.all([probe(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${rtmpKey}`), probe(`${srv.http}/live/${srtName}.flv`)]);
    assert.equal(summarize(a.streams), 'aac, h264 320x240');
    assert.equal(summarize(b.streams), 'aac, h264 320x240');
    // the SRT publish came in through our SRT server as a client of its own
    assert.equal(srv.app.hub.list().find((s) => s.url.stream === srtName)?.publisher?.type, 'srt-publish');
    const t = (await target(p1))!;
    assert.equal(t.stream, `live/${input}`);
    assert.match(t.frame?.log ?? '', /^frame=\d+ fps=\d+ .*bitrate=\d+kbits\/s/);
    await waitFor(async () => ((await target(p1))?.kbps ?? 0) > 50, 15000, 'kbps of the target');
    assert.ok(t.uptime > 0);
    // disabled: stopped, and the SRT publish into us ends
    await disable(p1);
    await disable(p2);
    assert.equal((await target(p1))?.state, 'stopped');
    await waitFor(() => !srv.app.hub.list().find((s) => s.url.stream === srtName)?.active, 10000, 'the SRT publish to end');
    // the SRS_FORWARD_TASK entry of a task is SRS Stack's shape plus ours
    const cfg = (await srv.api<Record<string, { server: string; secret: string; stream: string }>>('/terraform/v1/ffmpeg/forward/secret')).data;
    assert.equal(cfg[p1]?.secret, rtmpKey);
    assert.equal(cfg[p1]?.stream, input);
  } finally {
    ff.kill();
  }
});

test('failover: the target follows A, continues from B within 5 s when A stops, returns to A; timestamps stay monotonic', { skip }, async () => {
  const a = randomName('main');
  const b = randomName('backup');
  const key = randomName('fo');
  const platform = `forwarding-3-${randomName('')}`;
  let pubA = publish(srv.publishUrl(a), { size: '320x240' });
  const pubB = publish(srv.publishUrl(b), { size: '320x240' });
  procs.push(pubA, pubB);
  const file = join(tempDir('fwd-rec-'), 'target.flv');
  let rec: Proc | null = null;
  try {
    await waitFor(() => srv.app.hub.list().filter((s) => [a, b].includes(s.url.stream) && s.active && s.videoHeader).length === 2, 15000, 'A and B live');
    await setTarget({ platform, server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: a, backup: b });
    await waitFor(async () => (await target(platform))?.stream === `live/${a}`, 20000, 'forwarding A');
    await sleep(1000);
    // ffmpeg reads the target for the whole test
    rec = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rw_timeout', '20000000', '-i', `rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}`, '-c', 'copy', '-f', 'flv', file]);
    procs.push(rec);
    await sleep(4000);
    pubA.kill();
    const stoppedAt = Date.now();
    await waitFor(async () => (await target(platform))?.stream === `live/${b}`, 5000, 'the target to continue from B within 5 s');
    const switchMs = Date.now() - stoppedAt;
    const during = (await target(platform))!;
    assert.equal(during.state, 'running', 'no unpublish: the task kept running');
    await sleep(4000);
    pubA = publish(srv.publishUrl(a), { size: '320x240' });
    procs.push(pubA);
    await waitFor(async () => (await target(platform))?.stream === `live/${a}`, 15000, 'the target back on A');
    const back = (await target(platform))!;
    assert.ok(back.switches >= 2, `switches ${back.switches}`);
    assert.ok(back.log.some((l) => l.includes(`input switched from live/${a} to live/${b}`)), back.log.join('\n'));
    await sleep(4000);
    rec.child.kill('SIGINT');
    await withTimeout(rec.exited, 10000, () => rec!.kill());
    await disable(platform);
    // ffprobe on what the target sent: both tracks, timestamps never going back, no gap longer than the switch
    const info = await probe(file, ['-show_packets']);
    const packets = (info as unknown as { packets: { codec_type: string; dts_time?: string; pts_time?: string }[] }).packets;
    assert.ok(packets.length > 300, `packets ${packets.length}`);
    for (const type of ['video', 'audio']) {
      const dts = packets.filter((p) => p.codec_type === type && p.dts_time !== undefined).map((p) => Number(p.dts_time));
      assert.ok(dts.length > 100, `${type} packets ${dts.length}`);
      let maxGap = 0;
      for (let i = 1; i < dts.length; i++) {
        assert.ok(dts[i]! >= dts[i - 1]!, `${type} dts goes back at packet ${i}: ${dts[i - 1]} -> ${dts[i]}`);
        maxGap = Math.max(maxGap, dts[i]! - dts[i - 1]!);
      }
      assert.ok(maxGap < 5, `${type}: the longest gap at the target is ${maxGap.toFixed(2)} s`);
      const span = dts[dts.length - 1]! - dts[0]!;
      assert.ok(span > 10, `${type}: ${span.toFixed(1)} s at the target`);
    }
    console.log(`# failover: B followed ${switchMs} ms after A stopped`);
  } finally {
    rec?.kill();
    pubA.kill();
    pubB.kill();
  }
});

test('a target that refuses, does not resolve, or vanishes: retrying with the reason, and it recovers', { skip }, async () => {
  const input = randomName('rin');
  const ff = publish(srv.publishUrl(input), { size: '176x144' });
  procs.push(ff);
  const port = await freePort();
  const key = randomName('rk');
  const platform = `forwarding-4-${randomName('')}`;
  const dnsPlatform = `forwarding-5-${randomName('')}`;
  try {
    await waitFor(() => srv.app.hub.list().find((s) => s.url.stream === input && s.active), 15000, 'the input');
    await setTarget({ platform, server: `rtmp://127.0.0.1:${port}/live`, secret: key, stream: input });
    const refused = await waitFor(async () => {
      const t = await target(platform);
      return t?.state === 'retrying' ? t : null;
    }, 15000, 'retrying');
    assert.match(refused.reason, /^refused: .*ECONNREFUSED/);
    assert.ok(refused.retryInMs > 0 && refused.retryInMs <= 10000, `retry in ${refused.retryInMs}`);
    assert.ok(refused.log.some((l) => /retrying in \d+\.\d s: refused/.test(l)), refused.log.join('\n'));
    // a host name that does not resolve
    await setTarget({ platform: dnsPlatform, server: 'rtmp://no-such-host.invalid/live', secret: 'k', stream: input });
    const dns = await waitFor(async () => {
      const t = await target(dnsPlatform);
      return t?.state === 'retrying' ? t : null;
    }, 15000, 'dns retrying');
    assert.match(dns.reason, /^dns: /);
    // rtmps:// to a port that does not speak TLS (our HTTP port): the TLS handshake fails
    await setTarget({ platform: dnsPlatform, server: `rtmps://127.0.0.1:${srv.app.httpPort}/live`, secret: 'k', stream: input });
    const tls = await waitFor(async () => {
      const t = await target(dnsPlatform);
      return t?.state === 'retrying' && !t.reason.startsWith('dns') ? t : null;
    }, 15000, 'tls retrying');
    assert.match(tls.reason, /^tls: /);
    // SRT over UDP: no listener gives no refusal, only a handshake that times out
    await setTarget({ platform: dnsPlatform, server: `srt://127.0.0.1:${await freePort()}`, secret: 'x', stream: input });
    const srtGone = await waitFor(async () => {
      const t = await target(dnsPlatform);
      return t?.state === 'retrying' && t.reason.startsWith('timeout') ? t : null;
    }, 15000, 'srt retrying');
    assert.match(srtGone.reason, /^timeout: the target did not answer \(SRT connect to 127\.0\.0\.1:\d+ failed/);
    await disable(dnsPlatform);
    // the target comes up on that port: the task recovers by itself
    const late = await startNms({ rtmp: port });
    extra.push(late);
    await waitFor(async () => (await target(platform))?.state === 'running', 20000, 'running once the target is up');
    const info = await probe(`rtmp://127.0.0.1:${port}/live/${key}`);
    assert.equal(summarize(info.streams), 'aac, h264 176x144');
    // the target vanishes: retrying with the reason, then running again when it is back
    await late.stop();
    const gone = await waitFor(async () => {
      const t = await target(platform);
      return t?.state === 'retrying' ? t : null;
    }, 15000, 'retrying after the target vanished');
    assert.match(gone.reason, /^(closed|refused): /);
    assert.ok(gone.log.some((l) => /retrying in .*: closed: /.test(l)), gone.log.join('\n'));
    const again = await startNms({ rtmp: port });
    extra.push(again);
    await waitFor(async () => (await target(platform))?.state === 'running', 25000, 'running again');
    await disable(platform);
  } finally {
    ff.kill();
  }
});

test('without a named input, the target takes the stream being published; with none it waits, saying so', { skip }, async () => {
  const platform = `forwarding-6-${randomName('')}`;
  const key = randomName('any');
  await setTarget({ platform, server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: 'nothing-here' });
  const waiting = await waitFor(async () => {
    const t = await target(platform);
    return t?.state === 'starting' && t.reason ? t : null;
  }, 10000, 'waiting');
  assert.match(waiting.reason, /waiting for stream nothing-here to be published/);
  const input = randomName('live');
  const ff = publish(srv.publishUrl(input), { size: '160x120' });
  procs.push(ff);
  try {
    await waitFor(() => srv.app.hub.list().find((s) => s.url.stream === input && s.active), 15000, 'the input');
    await setTarget({ platform, server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: '' });
    await waitFor(async () => (await target(platform))?.state === 'running', 15000, 'running');
    const t = (await target(platform))!;
    assert.ok(t.stream?.startsWith('live/'), t.stream);
    await disable(platform);
  } finally {
    ff.kill();
  }
});

test('forward API: malformed JSON, bad platform, bad URLs, bad action, over the limit: 400 with what to change', { skip }, async () => {
  const post = async (body: string) => {
    const r = await fetch(`${srv.http}/terraform/v1/ffmpeg/forward/secret`, { method: 'POST', headers: { Authorization: `Bearer ${srv.bearer}` }, body });
    return { status: r.status, message: ((await r.json()) as { message?: string }).message ?? '' };
  };
  let r = await post('{"action":"update",');
  assert.equal(r.status, 400);
  assert.match(r.message, /not valid JSON/);
  r = await post(JSON.stringify({ action: 'update', platform: 'youtube', server: 'rtmp://x/live' }));
  assert.equal(r.status, 400);
  assert.match(r.message, /invalid platform=youtube: use wx, bilibili, kuaishou, or a name containing forwarding-/);
  r = await post(JSON.stringify({ action: 'delete', platform: 'wx' }));
  assert.match(r.message, /invalid action=delete/);
  r = await post(JSON.stringify({ action: 'update', platform: 'wx' }));
  assert.match(r.message, /no server/);
  for (const [server, re] of [
    ['http://example.com/live', /unsupported target .*use rtmp:\/\//],
    ['rtmp://example.com', /invalid RTMP URL/],
    ['rtmp://example.com:99999/live', /out of range/],
    ['srt://example.com?streamid=x', /no port/],
    ['srt://example.com:10080?streamid=x&mode=listener', /mode=caller/],
    ['srt://example.com:10080?bogus=1', /unknown option "bogus"/],
  ] as const) {
    r = await post(JSON.stringify({ action: 'update', platform: 'wx', server, secret: server.startsWith('rtmp') ? 'key' : '' }));
    assert.equal(r.status, 400, server);
    assert.match(r.message, re, `${server}: ${r.message}`);
  }
  r = await post(JSON.stringify({ action: 'update', platform: 'wx', server: 'rtmp://x/live', secret: 'k', stream: '../etc' }));
  assert.match(r.message, /field "stream" must be a stream name/);
  r = await post(JSON.stringify({ action: 'update', platform: 'wx', server: 'rtmp://x/live', enabled: 'yes' }));
  assert.match(r.message, /field "enabled" must be true or false/);
  // no token
  const noAuth = await fetch(`${srv.http}/terraform/v1/ffmpeg/forward/streams`, { method: 'POST' });
  assert.equal(noAuth.status, 401);
  // nothing of the refused calls was stored
  const cfg = (await srv.api<Record<string, unknown>>('/terraform/v1/ffmpeg/forward/secret')).data;
  assert.equal(cfg.wx, undefined);
});

test('StreamOutput (the output of vlive, camera, transcode) pushes to an srt:// target through the same TargetPush', { skip }, async () => {
  const { StreamOutput } = await import('../../src/servers/stream-output.js');
  // another server: its SRT port is not ours, so the output is a target push, not an in-process publish
  const other = await startServer();
  try {
    const name = randomName('out');
    const url = `srt://127.0.0.1:${other.app.srtPort}?streamid=${encodeURIComponent(`#!::r=live/${name}?secret=${other.secret},m=publish`)}`;
    const deps = { hub: srv.app.hub, hooks: srv.app.hooks, logger: srv.app.logger, ports: () => ({ rtmp: srv.app.rtmpPort, srt: srv.app.srtPort }), streamOptions: { gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 0, queueBytes: 1 << 22 } };
    assert.throws(() => new StreamOutput('http://x/y', 'file-publish', 'test', deps), /unsupported target/);
    const out = new StreamOutput(url, 'file-publish', 'test', deps);
    assert.equal(out.local, null);
    await out.open();
    // frames from one of our streams, as a job would give them
    const input = randomName('src');
    const ff = publish(srv.publishUrl(input), { size: '240x160' });
    procs.push(ff);
    const s = await waitFor(() => srv.app.hub.list().find((x) => x.url.stream === input && x.videoHeader && x.audioHeader), 15000, 'the source');
    const sink = { onFrame: (f: import('../../src/core/frame.js').Frame) => out.push(f) };
    s.addSink(sink);
    try {
      const info = await probe(`${other.http}/live/${name}.flv`);
      assert.equal(summarize(info.streams), 'aac, h264 240x160');
      assert.ok(out.frames > 25, `frames ${out.frames}`);
    } finally {
      s.removeSink(sink);
      await out.close();
      ff.kill();
    }
  } finally {
    await other.close();
  }
});
