// Bad input: garbage, cut handshakes, absurd chunk sizes and lengths, truncated AMF0, missing stream names,
// and a viewer that never reads. Each bad client is closed by the server (the client never closes: the test
// waits for the server's FIN or reset), a protocol error at once, a stalled one at the RTMP idle timeout
// (RTMP_IDLE_TIMEOUT_MS, shortened here); the server and the other streams go on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { VideoCodec, AudioCodec, type Frame } from '../../src/core/frame.js';
import { HandshakeClient } from '../../src/codecs/rtmp/handshake.js';
import { RtmpClient } from '../../src/servers/rtmp/client.js';
import { publish, randomName, sleep, startServer, waitFor, type Proc, type TestServer } from './helpers.js';

let server: TestServer;
let publisher: Proc;
const name = randomName('good');
let viewerBytes = 0;
let viewerReq: ReturnType<typeof get> | null = null;
/** the server's RTMP idle timeout in this file */
const IDLE_MS = 4000;
/** a protocol error closes the connection at once: well before the idle timeout could */
const PROTOCOL_ERROR_MS = IDLE_MS - 1500;
const openSockets = new Set<Socket>();

before(async () => {
  server = await startServer({ VIEWER_QUEUE_BYTES: '65536', RTMP_IDLE_TIMEOUT_MS: String(IDLE_MS) }, { captureLogs: true });
  publisher = publish(server.publishUrl(name));
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 30), 20000, 'publish');
  viewerReq = get(`${server.http}/live/${name}.flv`, (res) => res.on('data', (d: Buffer) => (viewerBytes += d.length)));
  viewerReq.on('error', () => {});
});

after(async () => {
  for (const s of openSockets) s.destroy();
  viewerReq?.destroy();
  publisher?.kill();
  await server?.close();
});

/** The good stream is still published and its viewer still receives bytes. */
async function othersGoOn(): Promise<void> {
  const s = server.app.hub.list().find((x) => x.url.stream === name);
  assert.ok(s?.active, 'the good stream must still be published');
  const b0 = viewerBytes;
  const f0 = s.frames;
  await waitFor(() => viewerBytes > b0 && s.frames > f0, 5000, 'the good stream to go on');
}

/** How the server ended a connection, and when: ms after the client's last write. */
interface ServerClose {
  by: 'fin' | 'reset';
  afterMs: number;
}

/**
 * A raw TCP connection to the RTMP port. It is half-open capable, so the server's FIN does not make this side
 * end it: whatever closes it is the server. It records the server's FIN ('end') or reset ('error'), and the
 * time of the last write.
 */
function rawConnect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port: server.app.rtmpPort, host: '127.0.0.1', allowHalfOpen: true }, () => {
      s.off('error', reject);
      s.on('error', () => {}); // a reset is seen by serverCloses; never an unhandled 'error'
      resolve(s);
    });
    openSockets.add(s);
    s.on('error', reject);
  });
}

const lastWrite = new WeakMap<Socket, number>();
function send(s: Socket, b: Buffer): void {
  s.write(b);
  lastWrite.set(s, Date.now());
}

/** Waits up to `ms` for the server to end `s` (FIN or reset); null if it did not. Then the client closes it. */
function serverCloses(s: Socket, ms: number): Promise<ServerClose | null> {
  return new Promise((resolve) => {
    const since = lastWrite.get(s) ?? Date.now();
    const done = (r: ServerClose | null) => {
      clearTimeout(t);
      s.destroy();
      openSockets.delete(s);
      resolve(r);
    };
    const t = setTimeout(() => done(null), Math.max(0, since + ms - Date.now()));
    s.on('data', () => {});
    s.once('end', () => done({ by: 'fin', afterMs: Date.now() - since }));
    s.once('error', () => done({ by: 'reset', afterMs: Date.now() - since }));
  });
}

/** The server closed `s` for a protocol error: at once, not at the idle timeout. */
async function closedForProtocolError(s: Socket, what: string): Promise<void> {
  const before = protocolErrors();
  const c = await serverCloses(s, PROTOCOL_ERROR_MS);
  assert.ok(c, `${what}: the server must close the connection at once (within ${PROTOCOL_ERROR_MS} ms, the idle timeout is ${IDLE_MS} ms)`);
  await waitFor(() => protocolErrors() > before, 2000, `${what}: the server to log the protocol error`);
}

function logCount(msg: RegExp): number {
  return server.logs().filter((l) => msg.test(String(l.msg)) || msg.test(String(l.reason ?? ''))).length;
}
const protocolErrors = () => logCount(/^rtmp protocol error/);
const idleCloses = () => logCount(new RegExp(`^no data for ${IDLE_MS / 1000} s while`));

/** A raw socket past the handshake, ready for hand-made chunks. */
async function handshaken(): Promise<Socket> {
  const s = await rawConnect();
  const hs = new HandshakeClient({ complex: false });
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      const r = hs.push(d);
      if (r.output) s.write(r.output);
      if (r.done) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
    s.on('error', reject);
    send(s, hs.start());
  });
  return s;
}

/** A chunk with a type 0 header on csid 2 (or `csid`). */
function chunk0(type: number, payload: Buffer, declaredLength = payload.length, csid = 2): Buffer {
  const h = Buffer.alloc(12);
  h[0] = csid;
  h.writeUIntBE(0, 1, 3);
  h.writeUIntBE(declaredLength, 4, 3);
  h[7] = type;
  h.writeUInt32LE(0, 8);
  return Buffer.concat([h, payload]);
}

test('random bytes to the RTMP port close that connection only', async () => {
  const s = await rawConnect();
  send(s, Buffer.concat([Buffer.from([0x17]), randomBytes(4000)]));
  await closedForProtocolError(s, 'random bytes');
  await othersGoOn();
});

test('a handshake cut in the middle is closed by the server at its idle timeout, that connection only', async () => {
  const s = await rawConnect();
  const idle0 = idleCloses();
  send(s, Buffer.concat([Buffer.from([3]), randomBytes(700)]));
  const c = await serverCloses(s, IDLE_MS + 3000);
  assert.ok(c, `the server must close a stalled handshake at its idle timeout (${IDLE_MS} ms)`);
  assert.ok(c.afterMs >= IDLE_MS - 100, `closed ${c.afterMs} ms after the last byte: the idle timeout is ${IDLE_MS} ms`);
  await waitFor(() => idleCloses() > idle0, 2000, 'the server to log the idle close');
  await othersGoOn();
});

test('chunk size 0 and 2^31 are refused', async () => {
  for (const size of [0, 0x80000000]) {
    const s = await handshaken();
    const p = Buffer.alloc(4);
    p.writeUInt32BE(size >>> 0);
    send(s, chunk0(1, p));
    await closedForProtocolError(s, `chunk size ${size}`);
  }
  await othersGoOn();
});

test('a message length over the limit is refused', async () => {
  const s = await handshaken();
  send(s, chunk0(20, Buffer.alloc(100), 0xffffff, 3));
  await closedForProtocolError(s, 'a message of 16 MB');
  await othersGoOn();
});

test('a truncated AMF0 command is refused', async () => {
  const s = await handshaken();
  // "connect" string cut after 4 of its 7 bytes.
  send(s, chunk0(20, Buffer.from([0x02, 0x00, 0x07, 0x63, 0x6f, 0x6e, 0x6e]), 7, 3));
  await closedForProtocolError(s, 'a truncated AMF0 command');
  await othersGoOn();
});

test('random chunk streams after a good handshake close only their connections', async () => {
  const sockets = await Promise.all(Array.from({ length: 30 }, () => handshaken()));
  for (const [i, s] of sockets.entries()) {
    // Half start with a plausible type 0 header on csid 3, then garbage.
    const head = i % 2 === 0 ? chunk0(20, randomBytes(50), 50 + (i * 97) % 5000, 3) : Buffer.alloc(0);
    send(s, Buffer.concat([head, randomBytes(2000 + i * 100)]));
  }
  const errors0 = protocolErrors();
  const idle0 = idleCloses();
  const closes = await Promise.all(sockets.map((s) => serverCloses(s, IDLE_MS + 3000)));
  // The server closes every one: at once for a protocol error, at the idle timeout for those whose garbage
  // still reads as an unfinished message; the log says which, and the counts match.
  assert.deepEqual(closes.map((c, i) => (c ? 'closed' : `socket ${i} still open`)).filter((x) => x !== 'closed'), []);
  const early = closes.filter((c) => c!.afterMs < PROTOCOL_ERROR_MS).length;
  const atIdle = closes.filter((c) => c!.afterMs >= IDLE_MS - 100).length;
  assert.equal(early + atIdle, sockets.length, `closes after: ${closes.map((c) => c!.afterMs).join(', ')} ms`);
  await waitFor(() => protocolErrors() - errors0 === early && idleCloses() - idle0 === atIdle, 2000,
    `${early} protocol errors and ${atIdle} idle closes in the log (got ${protocolErrors() - errors0} and ${idleCloses() - idle0})`);
  await othersGoOn();
});

test('publishing without a stream name is refused with a clear status', async () => {
  const c = new RtmpClient({ timeoutMs: 5000 });
  await c.connect(`${server.rtmp}/live/x`);
  await assert.rejects(c.publish(''), /BadName/);
  c.close();
  await othersGoOn();
});

test('a viewer that never reads stays within its queue bound and does not slow the others', async () => {
  const goodHeader = server.app.hub.list().find((s) => s.url.stream === name)!.videoHeader!;
  const big = randomName('big');
  const pub = new RtmpClient();
  await pub.connect(`${server.rtmp}/live/${big}`);
  await pub.publish(`${big}?secret=${server.secret}`);
  const asc = Buffer.from([0x12, 0x10]); // AAC LC 44100 stereo
  pub.sendFrame({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: goodHeader.data });
  pub.sendFrame({ type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: asc, sampleRate: 44100, channels: 2 });

  // A stalled viewer: asks for the stream and never reads.
  const stalled = connect(server.app.httpPort, '127.0.0.1');
  stalled.on('error', () => {});
  stalled.write(`GET /live/${big}.flv HTTP/1.1\r\nHost: x\r\n\r\n`);
  stalled.pause();
  // A good viewer reading everything.
  let goodBytes = 0;
  const good = get(`${server.http}/live/${big}.flv`, (res) => res.on('data', (d: Buffer) => (goodBytes += d.length)));
  good.on('error', () => {});

  // 100 KB frames at 25 fps (20 Mbps) for 10 s: enough to fill the kernel's socket buffers.
  let sent = 0;
  const frame = randomBytes(100_000);
  frame.writeUInt32BE(frame.length - 4, 0);
  for (let i = 0; i < 250; i++) {
    const f: Frame = { type: 'video', codec: VideoCodec.H264, dts: i * 40, pts: i * 40, keyframe: i % 25 === 0, header: false, data: frame };
    pub.sendFrame(f);
    sent += frame.length;
    await sleep(40);
  }
  await sleep(1000);
  const stream = server.app.hub.list().find((s) => s.url.stream === big)!;
  const viewers = stream.listViewers();
  const stalledViewer = viewers.find((v) => v.drops > 0);
  assert.ok(stalledViewer, 'the stalled viewer must have been moved to the next keyframe (dropped)');
  const queued = (stalledViewer.sink as { writableLength: number }).writableLength;
  assert.ok(queued < 2 * 1024 * 1024, `stalled viewer queue ${queued} bytes must stay bounded`);
  const goodViewer = viewers.find((v) => v !== stalledViewer)!;
  assert.equal(goodViewer.drops, 0, 'the reading viewer must not drop');
  assert.ok(goodBytes > sent * 0.9, `the reading viewer got ${goodBytes} of ${sent} bytes`);
  pub.close();
  stalled.destroy();
  good.destroy();
  await othersGoOn();
});
