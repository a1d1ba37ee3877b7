// Sessions whose peer vanishes are reaped: a WHIP publisher and a WHEP player in child processes are
// SIGKILLed (no DELETE, no DTLS close) and a session that never connects is left alone; after the session
// timeout every session, source, port binding, client record and FFmpeg transcoder is gone, and the session
// objects are garbage-collected. The WebRTC server runs standalone here so its internals can be inspected;
// its publish check is a MediaHooks function, the same one the RTMP server is given.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { RTCPeerConnection } from 'werift';
import { Hub } from '../../src/hub/hub.js';
import { queryParams } from '../../src/hub/stream-url.js';
import type { MediaHooks, SessionInfo } from '../../src/servers/ports.js';
import { WebRtcServer } from '../../src/servers/webrtc/server.js';
import { randomName, sleep, waitFor } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const childScript = new URL('./webrtc-peer-child.js', import.meta.url).pathname;

// Every peer child, killed when the file ends: a test that times out never reaches its own finally.
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function child(mode: 'whip' | 'whep', endpoint: string): { proc: ChildProcess; connected: Promise<void> } {
  const proc = spawn(process.execPath, [childScript, mode, endpoint], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  let out = '';
  const connected = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('connected')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`${mode} child exited ${code}: ${out}`)));
  });
  connected.catch(() => {});
  return { proc, connected };
}

function ffmpegChildren(): number {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg']).toString().trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

test('peers that vanish are reaped and their sessions freed', { timeout: 90_000 }, async (t) => {
  const hub = new Hub({ gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 1000 });
  const checked: SessionInfo[] = [];
  const hooks: MediaHooks = {
    onPublish: async (s) => {
      checked.push(s);
      return queryParams(s.url.param).get('secret') === 'ok' ? null : 'publish refused: wrong secret';
    },
    onUnpublish: () => {},
    onPlay: async () => null,
    onStop: () => {},
  };
  const rtc = new WebRtcServer({ hub, hooks, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }), candidate: null, sessionTimeoutMs: 3000 });
  const http: Server = createServer((req, res) => {
    if (!rtc.handle(req, res)) res.writeHead(404).end();
  });
  const kids: ChildProcess[] = [];
  try {
    await rtc.listen(0, '127.0.0.1');
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const name = randomName('reap');

    // The publish check is the MediaHooks function, with the stream's query as its param.
    const refused = child('whip', `${base}/rtc/v1/whip/?app=live&stream=${name}&secret=bad`);
    kids.push(refused.proc);
    await assert.rejects(refused.connected, /failed 403 .*wrong secret/);
    assert.equal(checked.at(-1)?.type, 'rtc-publish');

    const pub = child('whip', `${base}/rtc/v1/whip/?app=live&stream=${name}&secret=ok`);
    kids.push(pub.proc);
    await pub.connected;
    await waitFor(() => hub.list().find((s) => s.url.stream === name && s.video && s.audio && s.frames > 20), 20000, 'media from the WHIP child');
    const play = child('whep', `${base}/rtc/v1/whep/?app=live&stream=${name}`);
    kids.push(play.proc);
    await play.connected;

    // A session that is negotiated but never connects (its peer is closed before using the answer).
    const ghost = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false });
    ghost.addTransceiver('video', { direction: 'recvonly' });
    await ghost.setLocalDescription(await ghost.createOffer());
    const offer = ghost.localDescription!.sdp.replace(/VP8\/90000/, 'H264/90000').replace(/(a=rtpmap:(\d+) H264\/90000\r?\n)/, '$1a=fmtp:$2 packetization-mode=1\r\n');
    await ghost.close();
    const g = await fetch(`${base}/rtc/v1/whep/?app=live&stream=${name}`, { method: 'POST', body: offer });
    assert.equal(g.status, 201);

    await waitFor(() => rtc.stats().sessions === 3 && ffmpegChildren() === 2, 10000, 'three sessions and two transcoders');
    const before = rtc.stats();
    t.diagnostic(`before: ${JSON.stringify(before)}, ffmpeg children ${ffmpegChildren()}`);
    assert.equal(before.publishers, 1);
    assert.equal(before.sources, 1);
    assert.equal(before.mux.sessions, 3, 'every session is bound on the one port');
    const refs = hub.clients.list().map((c) => new WeakRef(c));
    assert.equal(refs.length, 3);

    for (const k of kids) k.kill('SIGKILL');
    const t0 = Date.now();
    await waitFor(() => rtc.stats().sessions === 0, 15000, 'the sessions to be reaped');
    t.diagnostic(`reaped ${Date.now() - t0} ms after the peers vanished (timeout 3000 ms)`);
    const after = rtc.stats();
    assert.deepEqual(
      { sessions: after.sessions, publishers: after.publishers, sources: after.sources, mux: after.mux.sessions },
      { sessions: 0, publishers: 0, sources: 0, mux: 0 },
    );
    assert.equal(hub.clients.size, 0);
    assert.ok(!hub.list().find((s) => s.url.stream === name)?.active, 'the stream is unpublished');
    await waitFor(() => ffmpegChildren() === 0, 5000, 'the transcoders to stop');

    // Nothing holds the sessions any more: they are collected.
    let alive = refs.length;
    for (let i = 0; i < 20 && alive > 0; i++) {
      await sleep(250);
      gc();
      alive = refs.filter((r) => r.deref() !== undefined).length;
    }
    t.diagnostic(`${refs.length - alive} of ${refs.length} session objects garbage-collected`);
    assert.equal(alive, 0, 'every reaped session was garbage-collected');
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    await rtc.close();
    http.close();
  }
});
