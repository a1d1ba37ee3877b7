// The publish gate, in process, for RTMP (our RtmpClient), SRT (ffmpeg) and WHIP (a werift peer), with a
// fake MediaHooks (no Redis): a refused publish, a hook that throws, a busy stream, and a hook that never
// answers until the client has gone away. Each ends with nothing leaked: no stream in the hub, no client
// listed, and hooks.onUnpublish called once per publish that started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Hub } from '../../../src/hub/hub.js';
import type { MediaHooks, SessionInfo } from '../../../src/servers/ports.js';
import { RtmpServer } from '../../../src/servers/rtmp/server.js';
import { RtmpClient } from '../../../src/servers/rtmp/client.js';
import { SrtMediaServer } from '../../../src/servers/srt/server.js';
import { WebRtcServer } from '../../../src/servers/webrtc/server.js';
import { clientPeer } from '../../e2e/werift-peer.js';
import { freePort, requireTool, sleep, track } from '../../support.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function newHub(): Hub {
  return new Hub({ gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 500 });
}

/** Hooks that answer by stream name: ok*, refuse*, throw*, hang* (answers when the test says). */
class FakeHooks implements MediaHooks {
  published: SessionInfo[] = [];
  unpublished: SessionInfo[] = [];
  private hung: ((v: string | null) => void)[] = [];
  async onPublish(s: SessionInfo): Promise<string | null> {
    this.published.push(s);
    const n = s.url.stream;
    if (n.startsWith('refuse')) return 'publish refused: wrong secret';
    if (n.startsWith('throw')) throw new Error('boom');
    if (n.startsWith('hang')) return new Promise((r) => this.hung.push(r));
    return null;
  }
  onUnpublish(s: SessionInfo): void {
    this.unpublished.push(s);
  }
  async onPlay(): Promise<null> {
    return null;
  }
  onStop(): void {}
  /** Lets every hung authorization through now. */
  allowHung(): void {
    for (const r of this.hung.splice(0)) r(null);
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function nothingLeaks(hub: Hub, what: string): Promise<void> {
  await until(() => hub.list().length === 0 && hub.clients.size === 0, 5000, `${what}: no stream and no client left (streams ${hub.list().map((s) => s.url.stream)}, clients ${hub.clients.size})`);
}

async function rtmpPublish(port: number, name: string): Promise<RtmpClient> {
  const c = new RtmpClient({ timeoutMs: 5000 });
  await c.connect(`rtmp://127.0.0.1:${port}/live/${name}`);
  await c.publish(name);
  return c;
}

test('publish gate: RTMP', async () => {
  const hub = newHub();
  const hooks = new FakeHooks();
  const rtmp = new RtmpServer({ hub, hooks, logger, maxMessageSize: 8 << 20 });
  const port = await rtmp.listen(await freePort(), '127.0.0.1');
  const clients: RtmpClient[] = [];
  try {
    await assert.rejects(rtmpPublish(port, 'refuse1'), /Rejected.*wrong secret/);
    await nothingLeaks(hub, 'refused');
    await assert.rejects(rtmpPublish(port, 'throw1'), /authorization failed \(boom\)/);
    await nothingLeaks(hub, 'hook error');

    const a = await rtmpPublish(port, 'ok1');
    clients.push(a);
    assert.equal(hub.get({ vhost: '__defaultVhost__', app: 'live', stream: 'ok1', param: '' })?.publisher?.type, 'fmle-publish');
    assert.equal(hub.clients.size, 1);
    await assert.rejects(rtmpPublish(port, 'ok1'), /already being published/);
    await sleep(100);
    assert.equal(hub.clients.size, 1, 'the busy publisher is not listed');
    a.close();
    await nothingLeaks(hub, 'busy');
    assert.equal(hooks.unpublished.length, 1, 'onUnpublish once, for the publish that started');

    // The hook never answers while the client is there; it goes away; the late yes claims nothing.
    const h = new RtmpClient({ timeoutMs: 20000 });
    clients.push(h);
    await h.connect(`rtmp://127.0.0.1:${port}/live/hang1`);
    const pending = h.publish('hang1').catch(() => {});
    await until(() => hooks.published.some((s) => s.url.stream === 'hang1'), 5000, 'the hang1 authorization');
    assert.equal(hub.clients.size, 0, 'a publisher being authorized is not listed yet');
    h.close();
    await pending;
    await sleep(200);
    hooks.allowHung();
    await sleep(200);
    await nothingLeaks(hub, 'disconnect during authorization');
    assert.equal(hooks.unpublished.length, 1);
  } finally {
    for (const c of clients) c.close();
    await rtmp.close();
    hub.closeAll();
  }
});

function ffmpegSrt(port: number, name: string): ChildProcess {
  const url = `srt://127.0.0.1:${port}?streamid=#!::r=live/${name},m=publish&latency=50000`;
  return track(
    spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15', '-c:v', 'libx264', '-g', '15', '-f', 'mpegts', url], { stdio: 'ignore' }),
  );
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGINT');
  const t = setTimeout(() => p.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
}

test('publish gate: SRT', { skip: requireTool('ffmpeg-srt', 'srt-addon'), timeout: 60_000 }, async () => {
  const hub = newHub();
  const hooks = new FakeHooks();
  const srt = new SrtMediaServer({ hub, hooks, logger, latencyMs: 50, passphrase: null, maxBw: -1 });
  const port = await srt.listen(await freePort(), '127.0.0.1');
  const kids: ChildProcess[] = [];
  try {
    for (const name of ['refuse2', 'throw2']) {
      const p = ffmpegSrt(port, name);
      kids.push(p);
      await until(() => hooks.published.some((s) => s.url.stream === name), 10000, `the ${name} authorization`);
      await sleep(300);
      await nothingLeaks(hub, name);
      await stop(p);
    }

    const a = ffmpegSrt(port, 'ok2');
    kids.push(a);
    await until(() => (hub.list()[0]?.frames ?? 0) > 5, 15000, 'frames from the SRT publisher');
    assert.equal(hub.clients.list()[0]?.type, 'srt-publish');
    const b = ffmpegSrt(port, 'ok2');
    kids.push(b);
    await until(() => hooks.published.filter((s) => s.url.stream === 'ok2').length === 2, 10000, 'the second ok2 authorization');
    await sleep(300);
    assert.equal(hub.clients.size, 1, 'the busy publisher is not listed');
    await stop(b);
    await stop(a);
    await nothingLeaks(hub, 'busy');
    assert.equal(hooks.unpublished.length, 1);

    // The publisher leaves while its authorization hangs; SRT notices (shutdown), then the hook says yes.
    const h = ffmpegSrt(port, 'hang2');
    kids.push(h);
    await until(() => hooks.published.some((s) => s.url.stream === 'hang2'), 10000, 'the hang2 authorization');
    assert.equal(hub.clients.size, 0, 'a publisher being authorized is not listed yet');
    await stop(h);
    await sleep(1500);
    hooks.allowHung();
    await sleep(300);
    await nothingLeaks(hub, 'disconnect during authorization');
    assert.equal(hooks.unpublished.length, 1);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    srt.close();
    hub.closeAll();
  }
});

async function whipOffer(): Promise<{ sdp: string; close: () => Promise<void> }> {
  const pc = clientPeer();
  pc.addTransceiver('video', { direction: 'sendonly' });
  pc.addTransceiver('audio', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}

test('publish gate: WHIP', { timeout: 60_000 }, async () => {
  const hub = newHub();
  const hooks = new FakeHooks();
  const rtc = new WebRtcServer({ hub, hooks, logger, candidate: null, sessionTimeoutMs: 3000 });
  const http: Server = createServer((req, res) => {
    if (!rtc.handle(req, res)) res.writeHead(404).end();
  });
  const peers: { close: () => Promise<void> }[] = [];
  try {
    await rtc.listen(0, '127.0.0.1');
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}/rtc/v1/whip/?app=live&stream=`;
    const post = async (name: string, signal?: AbortSignal) => {
      const o = await whipOffer();
      peers.push(o);
      return fetch(base + name, { method: 'POST', body: o.sdp, headers: { 'Content-Type': 'application/sdp' }, signal });
    };

    const r = await post('refuse3');
    assert.equal(r.status, 403);
    assert.match(await r.text(), /wrong secret/);
    await nothingLeaks(hub, 'refused');
    const t = await post('throw3');
    assert.equal(t.status, 403);
    assert.match(await t.text(), /authorization failed \(boom\)/);
    await nothingLeaks(hub, 'hook error');

    const a = await post('ok3');
    assert.equal(a.status, 201, await a.clone().text());
    await a.text();
    assert.equal(hub.clients.list()[0]?.type, 'rtc-publish');
    const b = await post('ok3');
    assert.equal(b.status, 409);
    assert.match(await b.text(), /already being published/);
    assert.equal(hub.clients.size, 1, 'the busy publisher is not listed');
    const del = await fetch(`http://127.0.0.1:${(http.address() as { port: number }).port}${a.headers.get('location')}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await nothingLeaks(hub, 'busy');
    assert.equal(hooks.unpublished.length, 1);

    // The HTTP request goes away while the hook hangs; the late yes claims nothing.
    const ac = new AbortController();
    const pending = post('hang3', ac.signal).catch((e: Error) => e);
    await until(() => hooks.published.some((s) => s.url.stream === 'hang3'), 5000, 'the hang3 authorization');
    assert.equal(hub.clients.size, 0, 'a publisher being authorized is not listed yet');
    ac.abort();
    assert.ok((await pending) instanceof Error);
    await sleep(200);
    hooks.allowHung();
    await sleep(300);
    await nothingLeaks(hub, 'disconnect during authorization');
    assert.equal(rtc.stats().sessions, 0, 'no WebRTC session left');
    assert.equal(hooks.unpublished.length, 1);
  } finally {
    for (const p of peers) await p.close().catch(() => {});
    http.close();
    await rtc.close();
    hub.closeAll();
  }
});
