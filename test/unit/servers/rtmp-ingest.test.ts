// The RTMP ingest adapter on byte fixtures: AMF3 data messages, aggregates, and garbage that must be counted
// and skipped, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Frame } from '../../../src/core/frame.js';
import { decodeAmf0, encodeAmf0 } from '../../../src/codecs/amf0.js';
import type { RtmpMessage } from '../../../src/codecs/rtmp/chunk.js';
import { MessageType } from '../../../src/codecs/rtmp/messages.js';
import { RtmpIngest } from '../../../src/servers/rtmp/ingest.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const msg = (type: number, timestamp: number, payload: Buffer): RtmpMessage => ({ csid: 6, type, streamId: 1, timestamp, payload });

function collect(): { ingest: RtmpIngest; frames: Frame[] } {
  const frames: Frame[] = [];
  return { ingest: new RtmpIngest((f) => frames.push(f)), frames };
}

// An AAC-LC 44.1 kHz stereo AudioSpecificConfig (12 10), a raw AAC frame, an H.264 keyframe (one IDR NAL).
const AAC_HEADER = hex('af 00 12 10');
const AAC_RAW = hex('af 01 21 10 05 00');
const AVC_KEY = hex('17 01 00 00 28 00 00 00 03 65 88 84');
const metadata = encodeAmf0(['@setDataFrame', 'onMetaData', { width: 320, height: 240 }]);

function aggregateOf(parts: { type: number; ts: number; body: Buffer }[], backPointerAtEnd = true): Buffer {
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    const h = Buffer.alloc(11);
    h[0] = p.type;
    h.writeUIntBE(p.body.length, 1, 3);
    h.writeUIntBE(p.ts & 0xffffff, 4, 3);
    h[7] = p.ts >>> 24;
    out.push(h, p.body);
    if (i < parts.length - 1 || backPointerAtEnd) {
      const back = Buffer.alloc(4);
      back.writeUInt32BE(11 + p.body.length);
      out.push(back);
    }
  });
  return Buffer.concat(out);
}

test('ingest: AMF0 and AMF3 data messages give the same metadata frame, without @setDataFrame', () => {
  const { ingest, frames } = collect();
  ingest.push(msg(MessageType.DataAmf0, 0, metadata));
  ingest.push(msg(MessageType.DataAmf3, 0, Buffer.concat([hex('00'), metadata])));
  assert.equal(frames.length, 2);
  for (const f of frames) {
    assert.equal(f.type, 'script');
    assert.deepEqual(decodeAmf0(f.data), ['onMetaData', { width: 320, height: 240 }]);
  }
  assert.deepEqual(frames[0]!.data, frames[1]!.data);
  assert.equal(ingest.frames, 2);
  assert.equal(ingest.errors, 0);
});

test('ingest: an aggregate of 3 sub-messages gives 3 frames with rebased timestamps', () => {
  const { ingest, frames } = collect();
  const payload = aggregateOf([
    { type: MessageType.Audio, ts: 0x01000010, body: AAC_HEADER },
    { type: MessageType.Video, ts: 0x01000020, body: AVC_KEY },
    { type: MessageType.Audio, ts: 0x01000043, body: AAC_RAW },
  ]);
  ingest.push(msg(MessageType.Aggregate, 5000, payload));
  assert.deepEqual(
    frames.map((f) => [f.type, f.header, f.keyframe, f.dts]),
    [
      ['audio', true, false, 5000],
      ['video', false, true, 5016],
      ['audio', false, false, 5051],
    ],
  );
  assert.equal(frames[0]!.sampleRate, 44100);
  assert.equal(frames[0]!.channels, 2);
  assert.deepEqual(frames[2]!.data, hex('21 10 05 00'));
  // without the optional last back pointer
  const f2 = collect();
  f2.ingest.push(msg(MessageType.Aggregate, 0, aggregateOf([{ type: 8, ts: 0, body: AAC_HEADER }, { type: 9, ts: 1, body: AVC_KEY }, { type: 8, ts: 2, body: AAC_RAW }], false)));
  assert.equal(f2.frames.length, 3);
  assert.equal(f2.ingest.errors, 0);
});

test('ingest: split() hands each sub-message over, for callers that hold messages', () => {
  const { ingest } = collect();
  const seen: number[] = [];
  ingest.split(msg(MessageType.Aggregate, 0, aggregateOf([{ type: 8, ts: 0, body: AAC_HEADER }, { type: 9, ts: 40, body: AVC_KEY }])), (m) => seen.push(m.type));
  ingest.split(msg(MessageType.Video, 0, AVC_KEY), (m) => seen.push(m.type));
  assert.deepEqual(seen, [8, 9, 9]);
});

test('ingest: truncated and garbage messages are counted and skipped, the next good one still comes out', () => {
  const { ingest, frames } = collect();
  const agg = aggregateOf([{ type: 8, ts: 0, body: AAC_HEADER }, { type: 9, ts: 40, body: AVC_KEY }, { type: 8, ts: 60, body: AAC_RAW }]);
  ingest.push(msg(MessageType.Aggregate, 0, agg.subarray(0, 30))); // cut inside the 2nd sub-message
  ingest.push(msg(MessageType.Aggregate, 0, agg.subarray(0, 5))); // cut inside the 1st header
  ingest.push(msg(MessageType.Audio, 0, hex('af'))); // AAC without packet type
  ingest.push(msg(MessageType.Audio, 0, hex('af 07 00'))); // unknown AACPacketType
  ingest.push(msg(MessageType.DataAmf0, 0, hex('02 00 0d 40 73 65 74'))); // string cut short
  ingest.push(msg(MessageType.DataAmf3, 0, hex('00 03 00'))); // object cut short
  assert.equal(frames.length, 0);
  assert.equal(ingest.errors, 6);
  assert.match(ingest.lastError ?? '', /script|AMF|truncat/i);
  ingest.push(msg(MessageType.Audio, 0, AAC_RAW));
  assert.equal(frames.length, 1);
  assert.equal(ingest.frames, 1);
  // types the adapter does not read are ignored, not errors
  ingest.push(msg(MessageType.CommandAmf0, 0, hex('ff ff')));
  assert.equal(ingest.errors, 6);
});

test('ingest: random bytes in any media message type never throw, and every frame is counted', () => {
  const types = [MessageType.Audio, MessageType.Video, MessageType.DataAmf0, MessageType.DataAmf3, MessageType.Aggregate];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.nat(0xffffffff), fc.uint8Array({ maxLength: 300 }), (type, ts, bytes) => {
      const { ingest, frames } = collect();
      ingest.push(msg(type, ts, Buffer.from(bytes)));
      assert.equal(ingest.frames, frames.length);
      for (const f of frames) assert.ok(f.type === 'audio' || f.type === 'video' || f.type === 'script');
    }),
    { numRuns: 3000 },
  );
  // random aggregates made of well-formed headers around random bodies
  fc.assert(
    fc.property(
      fc.array(fc.record({ type: fc.constantFrom(8, 9, 18, 22, 3), ts: fc.nat(0xffffffff), body: fc.uint8Array({ maxLength: 60 }) }), { maxLength: 6 }),
      fc.nat(400),
      (parts, cut) => {
        const { ingest, frames } = collect();
        const whole = aggregateOf(parts.map((p) => ({ ...p, body: Buffer.from(p.body) })));
        ingest.push(msg(MessageType.Aggregate, 0, whole.subarray(0, Math.min(cut, whole.length))));
        ingest.push(msg(MessageType.Aggregate, 0, whole));
        assert.equal(ingest.frames, frames.length);
      },
    ),
    { numRuns: 1000 },
  );
});
