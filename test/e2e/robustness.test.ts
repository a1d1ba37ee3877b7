// Bad input: garbage, cut handshakes, absurd chunk sizes and lengths, truncated AMF0, missing stream names,
// and a viewer that never reads. Each bad client is closed; the server and the other streams go on.
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

before(async () => {
  server = await startServer({ VIEWER_QUEUE_BYTES: '65536' });
  publisher = publish(server.publishUrl(name));
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 30), 20000, 'publish');
  viewerReq = get(`${server.http}/live/${name}.flv`, (res) => res.on('data', (d: Buffer) => (viewerBytes += d.length)));
  viewerReq.on('error', () => {});
});

after(async () => {
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

function rawConnect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(server.app.rtmpPort, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.on('data', () => {});
    s.on('error', () => {});
  });
}

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
    s.write(hs.start());
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
  s.write(Buffer.concat([Buffer.from([0x17]), randomBytes(4000)]));
  assert.ok(await closedWithin(s, 5000));
  await othersGoOn();
});

test('a handshake cut in the middle closes that connection only', async () => {
  const s = await rawConnect();
  s.write(Buffer.concat([Buffer.from([3]), randomBytes(700)]));
  await sleep(200);
  s.end();
  assert.ok(await closedWithin(s, 5000));
  await othersGoOn();
});

test('chunk size 0 and 2^31 are refused', async () => {
  for (const size of [0, 0x80000000]) {
    const s = await handshaken();
    const p = Buffer.alloc(4);
    p.writeUInt32BE(size >>> 0);
    s.write(chunk0(1, p));
    assert.ok(await closedWithin(s, 5000), `chunk size ${size}`);
  }
  await othersGoOn();
});

test('a message length over the limit is refused', async () => {
  const s = await handshaken();
  s.write(chunk0(20, Buffer.alloc(100), 0xffffff, 3));
  assert.ok(await closedWithin(s, 5000));
  await othersGoOn();
});

test('a truncated AMF0 command is refused', async () => {
  const s = await handshaken();
  // "connect" string cut after 4 of its 7 bytes.
  s.write(chunk0(20, Buffer.from([0x02, 0x00, 0x07, 0x63, 0x6f, 0x6e, 0x6e]), 7, 3));
  assert.ok(await closedWithin(s, 5000));
  await othersGoOn();
});

test('random chunk streams after a good handshake close only their connections', async () => {
  const sockets = await Promise.all(Array.from({ length: 30 }, () => handshaken()));
  for (const [i, s] of sockets.entries()) {
    // Half start with a plausible type 0 header on csid 3, then garbage.
    const head = i % 2 === 0 ? chunk0(20, randomBytes(50), 50 + (i * 97) % 5000, 3) : Buffer.alloc(0);
    s.write(Buffer.concat([head, randomBytes(2000 + i * 100)]));
  }
  const closed = await Promise.all(sockets.map((s) => closedWithin(s, 25000)));
  // Every one is closed (a protocol error, or the idle timeout for those still waiting for bytes).
  assert.equal(closed.filter(Boolean).length, sockets.length);
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
