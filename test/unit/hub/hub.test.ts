// The hub without any network: serialize once per format, GOP cache for new viewers, merged writes,
// drop-to-keyframe for slow viewers, timestamp continuity across a republish, stream removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VideoCodec, AudioCodec, type Frame } from '../../../src/core/frame.js';
import { Hub } from '../../../src/hub/hub.js';
import type { Client } from '../../../src/hub/client.js';
import type { OutputFormat, ByteSink } from '../../../src/hub/channel.js';
import { parseRtmpUrl, parseHttpStreamPath, queryParams } from '../../../src/hub/stream-url.js';

const url = { vhost: '__defaultVhost__', app: 'live', stream: 's', param: '' };

function client(id: string, publish = false): Client {
  return { id, ip: '127.0.0.1', type: publish ? 'fmle-publish' : 'flv-play', url, requestUrl: '', publish, createdAt: 0, sendBytes: 0, recvBytes: 0, close: () => {} };
}

/** A format whose "serialization" is one byte naming the frame, counting mux calls. */
function countingFormat(): OutputFormat & { muxCalls: number } {
  const f = {
    name: 'test',
    muxCalls: 0,
    createMuxer: () => ({
      fileHeader: () => Buffer.from('H'),
      mux: (fr: Frame) => {
        f.muxCalls++;
        return Buffer.from(fr.header ? (fr.type === 'video' ? 'V' : 'A') : fr.type === 'script' ? 'M' : fr.keyframe ? 'K' : fr.type === 'video' ? 'v' : 'a');
      },
    }),
  };
  return f;
}

class Sink implements ByteSink {
  writableLength = 0;
  out = '';
  writes = 0;
  write(b: Buffer): boolean {
    this.out += b.toString();
    this.writes++;
    return true;
  }
}

const vh: Frame = { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: Buffer.alloc(4) };
const ah: Frame = { type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from([0x12, 0x10]) };
const vf = (dts: number, key = false): Frame => ({ type: 'video', codec: VideoCodec.H264, dts, pts: dts, keyframe: key, header: false, data: Buffer.alloc(1) });
const af = (dts: number): Frame => ({ type: 'audio', codec: AudioCodec.AAC, dts, pts: dts, keyframe: false, header: false, data: Buffer.alloc(1) });

function newHub(mw = 0, queueBytes = 1000) {
  return new Hub({ gopCache: true, gopMaxFrames: 100, mwLatencyMs: mw, queueBytes, republishGraceMs: 50 });
}

test('a late viewer gets the file header, sequence headers and the GOP at once, then live frames', () => {
  const hub = newHub();
  const s = hub.stream(url);
  assert.ok(s.startPublish(client('p', true)));
  for (const f of [vh, ah, vf(0, true), af(10), vf(40), vf(80, true), af(90), vf(120)]) s.publish({ ...f });
  const fmt = countingFormat();
  const sink = new Sink();
  s.addViewer(fmt, client('v1'), sink, { onEnd: () => {} });
  assert.equal(sink.out, 'HVAKav');
  s.publish(vf(160));
  assert.equal(sink.out, 'HVAKavv');
});

test('each frame is serialized once per format whatever the number of viewers', () => {
  const hub = newHub();
  const s = hub.stream(url);
  s.startPublish(client('p', true));
  s.publish({ ...vh });
  const fmt = countingFormat();
  const sinks = Array.from({ length: 50 }, () => new Sink());
  sinks.forEach((k, i) => s.addViewer(fmt, client(`v${i}`), k, { onEnd: () => {} }));
  const before = fmt.muxCalls;
  for (let i = 0; i < 10; i++) s.publish(vf(i * 40, i === 0));
  assert.equal(fmt.muxCalls - before, 10);
  assert.ok(sinks.every((k) => k.out === 'HVKvvvvvvvvv'));
});

test('merged writes: one write per viewer per flush, frames in order', async () => {
  const hub = newHub(30);
  const s = hub.stream(url);
  s.startPublish(client('p', true));
  s.publish({ ...vh });
  const sink = new Sink();
  s.addViewer(countingFormat(), client('v'), sink, { onEnd: () => {} });
  const w0 = sink.writes;
  for (let i = 0; i < 10; i++) s.publish(vf(i * 40, i === 0));
  assert.equal(sink.writes, w0, 'nothing written before the flush');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sink.writes, w0 + 1);
  assert.equal(sink.out, 'HVKvvvvvvvvv');
});

test('a viewer joining mid-batch does not get the batch frames twice', async () => {
  const hub = newHub(30);
  const s = hub.stream(url);
  s.startPublish(client('p', true));
  s.publish({ ...vh });
  const first = new Sink();
  s.addViewer(countingFormat(), client('a'), first, { onEnd: () => {} });
  s.publish(vf(0, true));
  s.publish(vf(40));
  const late = new Sink();
  // Same format name: the late viewer joins the first viewer's channel (its muxer is not created again).
  s.addViewer({ name: 'test', createMuxer: () => assert.fail('a second muxer must not be created') }, client('b'), late, { onEnd: () => {} });
  s.publish(vf(80));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(first.out, 'HVKvv');
  assert.equal(late.out, 'HVKvv');
});

test('a slow viewer is moved to the next keyframe and counted; the others are untouched', () => {
  const hub = newHub(0, 10);
  const s = hub.stream(url);
  s.startPublish(client('p', true));
  s.publish({ ...vh });
  const fmt = countingFormat();
  const slow = new Sink();
  const fast = new Sink();
  const vs = s.addViewer(fmt, client('slow'), slow, { onEnd: () => {} });
  s.addViewer(fmt, client('fast'), fast, { onEnd: () => {} });
  s.publish(vf(0, true));
  slow.writableLength = 100; // its socket is full
  s.publish(vf(40));
  s.publish(vf(80));
  slow.writableLength = 0; // drained
  s.publish(vf(120));
  s.publish(vf(160, true));
  s.publish(vf(200));
  assert.equal(vs.drops, 1);
  assert.equal(slow.out, 'HVKVKv');
  assert.equal(fast.out, 'HVKvvvKv');
});

test('a republish continues timestamps for viewers that stayed; the stream is removed after the grace period', async () => {
  const hub = newHub();
  const s = hub.stream(url);
  const p1 = client('p1', true);
  s.startPublish(p1);
  s.publish({ ...vh });
  s.publish(vf(0, true));
  s.publish(vf(5000));
  const seen: number[] = [];
  s.addSink({ onFrame: (f) => void (f.header ? 0 : seen.push(f.dts)) });
  s.stopPublish(p1);
  const p2 = client('p2', true);
  assert.ok(s.startPublish(p2));
  s.publish({ ...vh });
  s.publish(vf(0, true));
  s.publish(vf(40));
  assert.deepEqual(seen.slice(-3), [5000, 5020, 5060]);
  assert.equal(s.startPublish(client('p3', true)), false, 'a second publisher is refused');
  s.stopPublish(p2);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(hub.get(url), undefined);
});

test('stream URLs: tcUrl, app, stream and query parsed as SRS does', () => {
  const u = parseRtmpUrl('rtmp://1.2.3.4:1935/live', 'live', 'room1?secret=abc');
  assert.deepEqual(u, { vhost: '__defaultVhost__', app: 'live', stream: 'room1', param: '?secret=abc' });
  assert.equal(parseRtmpUrl('rtmp://h/live?vhost=v1', 'live?vhost=v1', 'x')?.vhost, 'v1');
  assert.equal(parseRtmpUrl('rtmp://h/live', 'live', ''), null);
  assert.equal(parseRtmpUrl('rtmp://h/live', 'live', '../etc'), null);
  assert.equal(parseRtmpUrl('rtmp://h/live', 'live', 'a b'), null);
  assert.deepEqual(parseHttpStreamPath('/live/s.flv', '', 'localhost')?.ext, 'flv');
  assert.equal(parseHttpStreamPath('/live/../x.flv', '', 'h'), null);
  assert.equal(queryParams('?a=1&b=%20x').get('b'), ' x');
});

test('a GOP longer than the cache bound is not cached: memory stays bounded, new viewers wait for a keyframe', () => {
  const hub = new Hub({ gopCache: true, gopMaxFrames: 5, mwLatencyMs: 0, queueBytes: 1000, republishGraceMs: 50 });
  const s = hub.stream(url);
  s.startPublish(client('p', true));
  s.publish({ ...vh });
  const fmt = countingFormat();
  s.addViewer(fmt, client('a'), new Sink(), { onEnd: () => {} });
  s.publish(vf(0, true));
  for (let i = 1; i < 20; i++) s.publish(vf(i * 40));
  assert.equal(s.gop.length, 0);
  const late = new Sink();
  s.addViewer(fmt, client('b'), late, { onEnd: () => {} });
  assert.equal(late.out, 'HV');
  s.publish(vf(800));
  assert.equal(late.out, 'HV');
  s.publish(vf(840, true));
  assert.equal(late.out, 'HVK');
  assert.equal(s.gop.length, 1);
});
