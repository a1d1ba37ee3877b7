// The RTMP client against another server: RtmpPull plays a stream from node-media-server into our hub
// (ffprobe reads it back from us as HTTP-FLV), RtmpPush plays one of ours into node-media-server (ffprobe reads
// it there); both again over RTMPS through a TLS terminator with a self-signed certificate.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as tlsServer } from 'node:tls';
import { generate } from 'selfsigned';
import type { App } from '../../src/app.js';
import { parseRtmpUrl } from '../../src/hub/stream-url.js';
import type { RtmpClientOptions } from '../../src/servers/rtmp/client.js';
import { RtmpPull } from '../../src/servers/rtmp/pull.js';
import { RtmpPullSource } from '../../src/servers/rtmp/pull-source.js';
import { RtmpPush } from '../../src/servers/rtmp/push.js';
import { requireTool } from '../support.js';
import { startNms } from './nms.js';
import { cleanupAll, freePort, probe, publish, randomName, run, sleep, startServer, summarize, waitFor, type Proc, type TestServer } from './helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
let srv: TestServer;
let nms: Proc;
let nmsRtmp = 0;
let nmsHttp = 0;
let tlsToNms = 0;
let tlsToUs = 0;
const servers: NetServer[] = [];
const procs: Proc[] = [];

/** A TLS terminator on a free port that pipes every connection to 127.0.0.1:target. */
async function tlsTerminator(target: number, key: string, cert: string): Promise<number> {
  const port = await freePort();
  const s = tlsServer({ key, cert }, (tls) => {
    const plain = netConnect(target, '127.0.0.1');
    tls.pipe(plain).pipe(tls);
    tls.on('error', () => plain.destroy());
    plain.on('error', () => tls.destroy());
    tls.on('close', () => plain.destroy());
    plain.on('close', () => tls.destroy());
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
  return port;
}

before(async () => {
  if (skip) return;
  srv = await startServer();
  const n = await startNms();
  nms = n.proc;
  nmsRtmp = n.rtmpPort;
  nmsHttp = n.httpPort;
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  tlsToNms = await tlsTerminator(nmsRtmp, pems.private, pems.cert);
  tlsToUs = await tlsTerminator(srv.app.rtmpPort, pems.private, pems.cert);
});

after(async () => {
  for (const p of procs) p.kill();
  nms?.kill();
  for (const s of servers) s.close();
  await srv?.close();
  cleanupAll();
});

/** A pulled stream published here through the publish gate (hooks check the secret; the API lists it). */
function publishInto(app: App, path: string, source: string, opts: RtmpClientOptions = {}) {
  const [appName, name] = path.split('/') as [string, string];
  const url = parseRtmpUrl(`rtmp://127.0.0.1/${appName}`, appName, `${name}?secret=${srv.secret}`)!;
  const src = new RtmpPullSource(source, url, { hub: app.hub, hooks: app.hooks, logger: app.logger }, opts);
  return { pull: src.pull, source: src, stream: app.hub.stream(url) };
}

async function pullCase(remoteUrl: string, opts: { insecureSkipTlsVerify?: boolean }): Promise<void> {
  const name = randomName('src');
  const ff = publish(`rtmp://127.0.0.1:${nmsRtmp}/live/${name}`, { size: '352x288' });
  procs.push(ff);
  const local = randomName('pulled');
  let pull: RtmpPull | null = null;
  try {
    // nms answers a play of a stream that is not there yet with nothing: wait until ffmpeg publishes.
    await sleep(1500);
    const r = publishInto(srv.app, `live/${local}`, remoteUrl.replace('NAME', name), opts);
    pull = r.pull;
    await pull.start();
    await waitFor(() => r.stream.videoHeader && r.stream.audioHeader, 15000, 'headers pulled from node-media-server');
    const info = await probe(`${srv.http}/live/${local}.flv`);
    assert.match(summarize(info.streams), /h264.*352x288/);
    assert.ok(info.streams.some((s) => s.codec_name === 'aac'), summarize(info.streams));
    assert.ok(pull.frames > 50, `frames pulled: ${pull.frames}`);
    assert.equal(pull.errors, 0);
    // The pull went through the publish gate: the API lists it as a server-side source.
    const clients = (await (await fetch(`${srv.http}/api/v1/clients`, { headers: { Authorization: `Bearer ${srv.bearer}` } })).json()) as { clients: { type: string; name: string; publish: boolean }[] };
    assert.ok(clients.clients.some((c) => c.type === 'pull-publish' && c.name === local && c.publish), JSON.stringify(clients.clients));
    const ended = new Promise<string>((resolve) => pull!.closed.on(resolve));
    await pull.stop();
    assert.equal(await ended, 'stopped');
    assert.equal(r.stream.publisher, null);
    assert.ok(!srv.app.hub.clients.list().some((c) => c.type === 'pull-publish' && c.url.stream === local), 'the pull left the client list');
  } finally {
    await pull?.stop();
    ff.kill();
  }
}

async function pushCase(remoteUrl: string, opts: { insecureSkipTlsVerify?: boolean }): Promise<void> {
  const name = randomName('ours');
  const ff = publish(srv.publishUrl(name), { size: '320x240' });
  procs.push(ff);
  let push: RtmpPush | null = null;
  try {
    const stream = await waitFor(() => [...srv.app.hub.list()].find((s) => s.url.stream === name && s.videoHeader && s.audioHeader), 15000, 'our stream');
    const remote = randomName('pushed');
    push = new RtmpPush(stream, remoteUrl.replace('NAME', remote), opts);
    await push.start();
    const info = await probe(`rtmp://127.0.0.1:${nmsRtmp}/live/${remote}`);
    assert.match(summarize(info.streams), /h264.*320x240/);
    assert.ok(info.streams.some((s) => s.codec_name === 'aac'), summarize(info.streams));
    const flv = await probe(`http://127.0.0.1:${nmsHttp}/live/${remote}.flv`);
    assert.match(summarize(flv.streams), /h264.*320x240/);
    assert.ok(push.frames > 50 && push.bytes > 10000, `frames ${push.frames} bytes ${push.bytes}`);
    const reason = new Promise<string>((resolve) => push!.closed.on(resolve));
    await push.stop();
    assert.equal(await reason, 'stopped');
    assert.ok(!stream.sinks.has(push), 'the push left the stream');
  } finally {
    await push?.stop();
    ff.kill();
  }
}

test('RtmpPull: a stream of node-media-server is pulled into our hub and read back as HTTP-FLV', { skip }, async () => {
  await pullCase(`rtmp://127.0.0.1:${nmsRtmp}/live/NAME`, {});
});

test('RtmpPush: one of our streams is pushed into node-media-server and read there', { skip }, async () => {
  await pushCase(`rtmp://127.0.0.1:${nmsRtmp}/live/NAME`, {});
});

test('RTMPS: pull and push through a TLS terminator with a self-signed certificate', { skip }, async () => {
  // verification on (the default): the self-signed certificate is refused, with the reason
  const refused = new RtmpPull(`rtmps://127.0.0.1:${tlsToNms}/live/x`, { onFrame: () => {} });
  await assert.rejects(refused.start(), /rtmps:\/\/127\.0\.0\.1:\d+ failed: .*(self[- ]signed|certificate)/i);
  await pullCase(`rtmps://127.0.0.1:${tlsToNms}/live/NAME`, { insecureSkipTlsVerify: true });
  await pushCase(`rtmps://127.0.0.1:${tlsToNms}/live/NAME`, { insecureSkipTlsVerify: true });
});

test('RTMPS: a pulled stream pushed into our RTMP server through TLS, read back as HTTP-FLV', { skip }, async () => {
  const name = randomName('loop');
  const ff = publish(`rtmp://127.0.0.1:${nmsRtmp}/live/${name}`, { size: '176x144' });
  procs.push(ff);
  let push: RtmpPush | null = null;
  let pull: RtmpPull | null = null;
  try {
    await sleep(1500);
    const r = publishInto(srv.app, `live/${name}-in`, `rtmp://127.0.0.1:${nmsRtmp}/live/${name}`);
    pull = r.pull;
    await pull.start();
    await waitFor(() => r.stream.videoHeader && r.stream.audioHeader, 15000, 'pulled headers');
    push = new RtmpPush(r.stream, `rtmps://127.0.0.1:${tlsToUs}/live/${name}-out?secret=${srv.secret}`, { insecureSkipTlsVerify: true });
    await push.start();
    const info = await probe(`${srv.http}/live/${name}-out.flv`);
    assert.match(summarize(info.streams), /h264.*176x144/);
  } finally {
    await push?.stop();
    await pull?.stop();
    ff.kill();
  }
});

test('RtmpPull and RtmpPush: bad URLs and refused connections say what went wrong', { skip }, async () => {
  assert.throws(() => new RtmpPull('http://x/live/a', { onFrame: () => {} }), /invalid RTMP URL .*rtmps:\/\/host/);
  assert.throws(() => new RtmpPull('rtmp://x:99999/live/a', { onFrame: () => {} }), /out of range/);
  const closedPort = await freePort();
  let endReason = '';
  const p = new RtmpPull(`rtmp://127.0.0.1:${closedPort}/live/a`, { onFrame: () => {}, onEnd: (r) => (endReason = r) });
  await assert.rejects(p.start(), /ECONNREFUSED/);
  assert.match(endReason, /ECONNREFUSED/);
  await p.stop();
  // a push without the publish secret is refused by our server
  const stream = srv.app.hub.stream(parseRtmpUrl(`rtmp://127.0.0.1/live`, 'live', randomName('x'))!);
  const push = new RtmpPush(stream, `rtmp://127.0.0.1:${srv.app.rtmpPort}/live/${randomName('nosecret')}`);
  await assert.rejects(push.start(), /refused|closed/);
  await push.stop();
  assert.equal(stream.sinks.size, 0);
  // a pull whose target lacks the publish secret is refused by the publish gate: nothing is published or listed
  const name = randomName('srcx');
  const ff = publish(srv.publishUrl(name), { size: '160x120' });
  procs.push(ff);
  try {
    await waitFor(() => srv.app.hub.get(parseRtmpUrl('rtmp://127.0.0.1/live', 'live', name)!)?.active, 15000, 'the source publish');
    const target = parseRtmpUrl('rtmp://127.0.0.1/live', 'live', `${name}-copy?secret=wrong`)!;
    const src = new RtmpPullSource(`rtmp://127.0.0.1:${srv.app.rtmpPort}/live/${name}`, target, { hub: srv.app.hub, hooks: srv.app.hooks, logger: srv.app.logger });
    const ended = new Promise<string>((resolve) => src.pull.closed.on(resolve));
    await src.start();
    assert.match(await ended, /publish refused.*secret/);
    assert.match(src.refusal ?? '', /secret/);
    assert.ok(!srv.app.hub.get(target)?.active, 'a refused pull publishes nothing');
    assert.ok(!srv.app.hub.clients.list().some((c) => c.type === 'pull-publish' && c.url.stream === `${name}-copy`), 'a refused pull is not listed');
  } finally {
    ff.kill();
  }
});

test('RTMPS listener: ffmpeg publishes rtmps:// to our server, RtmpPull and ffprobe play it back over rtmps://', { skip }, async () => {
  const name = randomName('tls');
  const port = srv.app.rtmpsPort;
  assert.ok(port > 0 && port !== srv.app.rtmpPort);
  const ff = publish(`rtmps://127.0.0.1:${port}/live/${name}?secret=${srv.secret}`, { size: '240x160' });
  procs.push(ff);
  let pull: RtmpPull | null = null;
  try {
    const stream = await waitFor(() => srv.app.hub.list().find((s) => s.url.stream === name && s.videoHeader && s.audioHeader), 15000, `rtmps publish: ${ff.stderr()}`);
    assert.equal(stream.publisher?.type, 'fmle-publish');
    const info = await probe(`rtmps://127.0.0.1:${port}/live/${name}`);
    assert.match(summarize(info.streams), /aac, h264 240x160/);
    // our certificate is self-signed: refused unless the caller says to skip verification
    await assert.rejects(new RtmpPull(`rtmps://127.0.0.1:${port}/live/${name}`, { onFrame: () => {} }).start(), /certificate/i);
    let frames = 0;
    pull = new RtmpPull(`rtmps://127.0.0.1:${port}/live/${name}`, { onFrame: () => frames++ }, { insecureSkipTlsVerify: true });
    await pull.start();
    await waitFor(() => frames > 20, 15000, 'frames over rtmps');
    // garbage on the TLS port closes that connection only
    const g = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => s.write(Buffer.alloc(300, 0x16)));
      s.on('close', () => resolve(true));
      s.on('error', () => {});
    });
    assert.ok(g);
    assert.ok(stream.publisher, 'the publisher survived');
  } finally {
    await pull?.stop();
    ff.kill();
  }
});

test('RtmpPush: a remote that stops reading makes the push drop to the next keyframe, and it goes on after', { skip }, async () => {
  const name = randomName('bp');
  // lossless noise: some MB/s, so that the kernel's socket buffers fill within seconds
  const ff = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25,noise=alls=100:allf=t', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', srv.publishUrl(name)]);
  procs.push(ff);
  // a proxy to our RTMP port whose remote side we can stop reading
  let peer: Socket | null = null;
  const proxyPort = await freePort();
  const proxy = createNetServer((c) => {
    peer = c;
    const up = netConnect(srv.app.rtmpPort, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
  });
  servers.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
  let push: RtmpPush | null = null;
  try {
    const stream = await waitFor(() => srv.app.hub.list().find((s) => s.url.stream === name && s.videoHeader), 15000, 'our stream');
    push = new RtmpPush(stream, `rtmp://127.0.0.1:${proxyPort}/live/${name}-bp?secret=${srv.secret}`, { maxQueuedBytes: 64 * 1024 });
    await push.start();
    await waitFor(() => push!.frames > 80, 15000, 'frames pushed');
    peer!.pause();
    await waitFor(() => push!.drops > 10, 30000, 'drops while the remote does not read');
    assert.ok(push.running, 'the push is still running');
    peer!.resume();
    const after = push.frames;
    await waitFor(() => push!.frames > after + 50, 30000, 'frames again after the remote reads again');
    const info = await probe(`${srv.http}/live/${name}-bp.flv`);
    assert.match(summarize(info.streams), /h264 640x360/);
  } finally {
    await push?.stop();
    ff.kill();
  }
});
