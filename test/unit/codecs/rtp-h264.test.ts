// RFC 6184 packetizer and depacketizer: STAP-A/FU-A layout, a round trip of x264 access units from an
// ffmpeg-made FLV fixture, reordering, duplicates, loss (drop until the next IDR, one keyframe request),
// sequence number wrap, and malformed payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FlvDemuxer } from '../../../src/codecs/flv.js';
import { NalUnitType, parseAvcDecoderConfig, splitAvcc } from '../../../src/codecs/h264.js';
import { H264RtpType, isBPicture, packetizeH264, sliceType, stapA } from '../../../src/codecs/rtp/h264-packetizer.js';
import { H264Depacketizer, assemble, beginsPicture, type H264AccessUnit, type RtpIn } from '../../../src/codecs/rtp/h264-depacketizer.js';
import { TimestampUnwrapper, parseRtp, seqDiff, serializeRtp } from '../../../src/codecs/rtp/rtp-packet.js';

const fixture = new URL('../../../../test/fixtures/small.flv', import.meta.url).pathname;

const nal = (type: number, size: number, nri = 3, fill = 0xab): Buffer => {
  const b = Buffer.alloc(size, fill);
  b[0] = (nri << 5) | type;
  if (size > 1) b[1] = 0x88; // first_mb_in_slice = 0 for slices
  return b;
};

/** The fixture's video: parameter sets and access units (NAL lists) with their keyframe flags and pts. */
function fixtureVideo(): { sps: Buffer[]; pps: Buffer[]; units: { nalus: Buffer[]; keyframe: boolean; pts: number }[] } {
  let sps: Buffer[] = [];
  let pps: Buffer[] = [];
  const units: { nalus: Buffer[]; keyframe: boolean; pts: number }[] = [];
  new FlvDemuxer({
    onFrame: (f) => {
      if (f.type !== 'video') return;
      if (f.header) ({ sps, pps } = parseAvcDecoderConfig(f.data));
      else units.push({ nalus: splitAvcc(f.data, 4), keyframe: f.keyframe, pts: f.pts });
    },
  }).push(readFileSync(fixture));
  return { sps, pps, units };
}

/** Packetizes units into RTP packets with consecutive sequence numbers from `seq0`. */
function toPackets(units: { nalus: Buffer[]; keyframe: boolean; pts: number }[], sps: Buffer[], pps: Buffer[], seq0 = 1000, max = 1200): RtpIn[] {
  const out: RtpIn[] = [];
  let seq = seq0;
  for (const u of units) {
    for (const p of packetizeH264(u.nalus, { keyframe: u.keyframe, sps, pps, maxPayload: max })) {
      out.push({ sequenceNumber: seq & 0xffff, timestamp: u.pts * 90, marker: p.marker, payload: p.payload });
      seq++;
    }
  }
  return out;
}

function collect(opts: { window?: number } = {}): { aus: H264AccessUnit[]; asks: number; dep: H264Depacketizer } {
  const r = { aus: [] as H264AccessUnit[], asks: 0, dep: null as unknown as H264Depacketizer };
  r.dep = new H264Depacketizer({ onAccessUnit: (au) => r.aus.push(au), onKeyframeNeeded: () => r.asks++, reorderWindowMs: opts.window ?? 100 });
  return r;
}

test('a keyframe gets SPS and PPS in one STAP-A first; the marker is on the last packet only', () => {
  const sps = nal(NalUnitType.SPS, 12);
  const pps = nal(NalUnitType.PPS, 4, 3);
  const idr = nal(NalUnitType.IDR, 500);
  const out = packetizeH264([nal(NalUnitType.AUD, 2), idr], { keyframe: true, sps: [sps], pps: [pps] });
  assert.equal(out.length, 2);
  const s = out[0]!.payload;
  assert.equal(s[0]! & 0x1f, H264RtpType.StapA);
  assert.equal(s[0]! & 0x60, 0x60, 'STAP-A NRI is the highest of its NAL units');
  assert.equal(s.readUInt16BE(1), 12);
  assert.ok(s.subarray(3, 15).equals(sps));
  assert.equal(s.readUInt16BE(15), 4);
  assert.ok(s.subarray(17).equals(pps));
  assert.deepEqual(out.map((p) => p.marker), [false, true]);
  assert.equal(out[1]!.payload, idr, 'a NAL unit that fits is sent as is (single NAL unit packet)');
  // in-band parameter sets are used (and moved first) rather than the given ones
  const inband = packetizeH264([idr, sps, pps], { keyframe: true, sps: [nal(7, 30)], pps: [nal(8, 5)] });
  assert.deepEqual(assemble(inband.map((p, i) => ({ sequenceNumber: i, timestamp: 0, marker: p.marker, payload: p.payload }))), [sps, pps, idr]);
  // non-keyframes carry no parameter sets; filler and end-of-sequence are dropped
  const p = packetizeH264([nal(NalUnitType.NonIdr, 100), nal(NalUnitType.Filler, 50), nal(NalUnitType.EndOfSequence, 1)], { keyframe: false, sps: [sps], pps: [pps] });
  assert.equal(p.length, 1);
  assert.equal(p[0]!.payload[0]! & 0x1f, NalUnitType.NonIdr);
  assert.equal(stapA([nal(7, 700), nal(8, 700)], 1200), null, 'parameter sets too large for one STAP-A');
});

test('FU-A splits a large NAL unit with S/E bits and the NAL header in the FU indicator/header', () => {
  const big = nal(NalUnitType.IDR, 5000, 3);
  for (let i = 1; i < big.length; i++) big[i] = i & 0xff;
  const out = packetizeH264([big], { keyframe: false, maxPayload: 1200 });
  assert.equal(out.length, Math.ceil(4999 / 1198));
  for (const [i, p] of out.entries()) {
    assert.ok(p.payload.length <= 1200);
    assert.equal(p.payload[0], 0x60 | H264RtpType.FuA);
    assert.equal(p.payload[1]! & 0x1f, NalUnitType.IDR);
    assert.equal((p.payload[1]! & 0x80) !== 0, i === 0, 'S bit on the first fragment');
    assert.equal((p.payload[1]! & 0x40) !== 0, i === out.length - 1, 'E bit on the last fragment');
  }
  const back = assemble(out.map((p, i) => ({ sequenceNumber: i, timestamp: 0, marker: p.marker, payload: p.payload })));
  assert.deepEqual(back, [big]);
});

test('x264 access units survive packetize -> RTP bytes -> depacketize, with sequence numbers wrapping', () => {
  const { sps, pps, units } = fixtureVideo();
  assert.ok(units.length > 20 && sps.length === 1 && pps.length === 1);
  const pkts = toPackets(units, sps, pps, 65500, 300); // small payloads: plenty of FU-A, and a wrap past 65535
  assert.ok(pkts.length > units.length * 2);
  const c = collect();
  const { aus, dep } = c;
  for (const p of pkts) {
    const wire = parseRtp(serializeRtp({ payloadType: 102, ssrc: 7, ...p }))!;
    dep.push({ sequenceNumber: wire.sequenceNumber, timestamp: wire.timestamp, marker: wire.marker, payload: wire.payload }, 0);
  }
  assert.equal(c.asks, 0);
  assert.equal(aus.length, units.length, 'every access unit comes out (the first is a keyframe)');
  for (const [i, au] of aus.entries()) {
    const u = units[i]!;
    assert.equal(au.keyframe, u.keyframe);
    assert.equal(au.timestamp, (u.pts * 90) >>> 0);
    const media = au.nalus.filter((n) => ![NalUnitType.SPS, NalUnitType.PPS].includes(n[0]! & 0x1f));
    assert.deepEqual(media, u.nalus.filter((n) => (n[0]! & 0x1f) !== NalUnitType.AUD));
    if (u.keyframe) assert.deepEqual(au.nalus.slice(0, 2), [sps[0], pps[0]]);
  }
  assert.deepEqual(dep.stats, { accessUnits: units.length, lostPackets: 0, droppedUnits: 0, latePackets: 0 });
});

test('reordered and duplicated packets within the window still make every access unit', () => {
  const { sps, pps, units } = fixtureVideo();
  const pkts = toPackets(units, sps, pps, 10, 400);
  // swap neighbours in pairs and repeat every 7th packet
  const shuffled: RtpIn[] = [];
  for (let i = 0; i < pkts.length; i += 2) {
    if (pkts[i + 1]) shuffled.push(pkts[i + 1]!);
    shuffled.push(pkts[i]!);
    if (i % 7 === 0) shuffled.push(pkts[i]!);
  }
  const { aus, dep } = collect();
  for (const p of shuffled) dep.push(p, 0);
  assert.equal(aus.length, units.length);
  assert.ok(dep.stats.latePackets > 0);
  assert.equal(dep.stats.lostPackets, 0);
});

test('a lost packet drops its access unit and everything up to the next IDR, asking for a keyframe once', () => {
  const { sps, pps, units } = fixtureVideo();
  const pkts = toPackets(units, sps, pps, 0, 1200);
  // lose the first packet of the 3rd non-keyframe after the first keyframe
  const firstKey = units.findIndex((u) => u.keyframe);
  const victimUnit = firstKey + 3;
  let idx = 0;
  for (let i = 0; i < victimUnit; i++) idx += packetizeH264(units[i]!.nalus, { keyframe: units[i]!.keyframe, sps, pps }).length;
  const c = collect({ window: 50 });
  const { aus, dep } = c;
  let now = 0;
  for (const [i, p] of pkts.entries()) {
    now += 10;
    if (i !== idx) dep.push(p, now);
  }
  assert.equal(c.asks, 1, 'one keyframe request');
  assert.equal(dep.stats.lostPackets, 1);
  const nextKey = units.findIndex((u, i) => i > victimUnit && u.keyframe);
  assert.ok(nextKey > victimUnit);
  assert.equal(aus.length, units.length - (nextKey - victimUnit), 'units from the loss to the next IDR are dropped');
  assert.ok(!dep.waitingForKeyframe);
});

test('the stream must start at a picture start and an IDR; STAP-B and broken FU-A are rejected', () => {
  const c = collect();
  const { aus, dep } = c;
  // starts mid-picture (an FU-A continuation), then a P-frame, then an IDR
  const fuMid = Buffer.from([0x60 | 28, 0x05, 1, 2, 3]);
  dep.push({ sequenceNumber: 1, timestamp: 100, marker: true, payload: fuMid }, 0);
  dep.push({ sequenceNumber: 2, timestamp: 200, marker: true, payload: nal(1, 20) }, 0);
  dep.push({ sequenceNumber: 3, timestamp: 300, marker: true, payload: nal(5, 20) }, 0);
  dep.push({ sequenceNumber: 4, timestamp: 400, marker: false, payload: nal(1, 20) }, 0);
  dep.push({ sequenceNumber: 5, timestamp: 500, marker: true, payload: nal(1, 20) }, 0); // marker missing on 400: timestamp change ends it
  assert.deepEqual(aus.map((a) => [a.timestamp, a.keyframe]), [[300, true], [400, false], [500, false]]);
  assert.equal(c.asks, 0, 'the initial wait for a keyframe is not a loss');
  assert.equal(beginsPicture(Buffer.from([0x7c, 0x85, 0x88])), true, 'FU-A start of an IDR with first_mb 0');
  assert.equal(beginsPicture(Buffer.from([0x7c, 0x85, 0x08])), false, 'FU-A start of a second slice');
  assert.equal(beginsPicture(Buffer.from([0x18, 0, 2, 0x67, 0x42])), true, 'STAP-A with an SPS');
  assert.equal(assemble([{ sequenceNumber: 0, timestamp: 0, marker: true, payload: Buffer.from([25, 0, 0, 1]) }]), null, 'STAP-B');
  assert.equal(assemble([{ sequenceNumber: 0, timestamp: 0, marker: true, payload: Buffer.from([24, 0, 9, 0x67]) }]), null, 'STAP-A length past the end');
  assert.equal(
    assemble([
      { sequenceNumber: 0, timestamp: 0, marker: false, payload: Buffer.from([0x7c, 0x85, 1]) },
      { sequenceNumber: 1, timestamp: 0, marker: true, payload: Buffer.from([0x65, 0x88]) },
    ]),
    null,
    'an FU-A that never ends',
  );
});

test('padding-only packets between and inside frames are ignored, not taken for loss', () => {
  const c = collect();
  const pad = (seq: number, ts: number): RtpIn => ({ sequenceNumber: seq, timestamp: ts, marker: false, payload: Buffer.alloc(0) });
  c.dep.push({ sequenceNumber: 1, timestamp: 100, marker: true, payload: nal(5, 20) }, 0);
  for (let s = 2; s <= 6; s++) c.dep.push(pad(s, 100), 0); // a bandwidth probe at the last frame's timestamp
  c.dep.push({ sequenceNumber: 7, timestamp: 200, marker: false, payload: nal(1, 20) }, 0);
  c.dep.push(pad(8, 200), 0);
  c.dep.push({ sequenceNumber: 9, timestamp: 200, marker: true, payload: Buffer.from([0x41, 0x08, 1]) }, 0);
  c.dep.push(pad(10, 200), 0);
  c.dep.push({ sequenceNumber: 11, timestamp: 300, marker: true, payload: nal(1, 20) }, 0);
  assert.deepEqual(c.aus.map((a) => [a.timestamp, a.nalus.length]), [[100, 1], [200, 2], [300, 1]]);
  assert.equal(c.asks, 0);
  assert.equal(c.dep.stats.droppedUnits, 0);
});

test('B pictures are recognised by slice type; without them the x264 fixture is in presentation order', () => {
  const { units } = fixtureVideo();
  const b = units.filter((u) => isBPicture(u.nalus));
  assert.ok(b.length > 0, 'the fixture has B-frames');
  assert.ok(b.every((u) => !u.keyframe));
  const rest = units.filter((u) => !isBPicture(u.nalus)).map((u) => u.pts);
  assert.deepEqual(rest, [...rest].sort((x, y) => x - y), 'I and P pictures alone come in pts order');
  assert.equal(sliceType(Buffer.from([0x67, 0x42])), -1, 'not a slice');
  assert.equal(sliceType(Buffer.from([0x65, 0x88])), 2, 'first_mb 0, slice_type 7 (I, all slices) -> 2');
});

test('RTP header helpers: CSRC/extension/padding, sequence and timestamp wrap', () => {
  const base = serializeRtp({ payloadType: 96, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0x11223344, marker: true, payload: Buffer.from('abc') });
  const p = parseRtp(base)!;
  assert.deepEqual({ ...p, payload: p.payload.toString() }, { payloadType: 96, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0x11223344, marker: true, payload: 'abc' });
  // one CSRC, a one-word extension, 2 bytes of padding
  const ext = Buffer.concat([
    Buffer.from([0xb1, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]),
    Buffer.from([0, 0, 0, 9]),
    Buffer.from([0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0]),
    Buffer.from('xyz'),
    Buffer.from([0, 2]),
  ]);
  assert.equal(parseRtp(ext)!.payload.toString(), 'xyz');
  assert.equal(parseRtp(Buffer.from([0x40, 0, 0, 0])), null);
  assert.equal(seqDiff(2, 65534), 4);
  assert.equal(seqDiff(65534, 2), -4);
  const u = new TimestampUnwrapper();
  assert.deepEqual([0xfffffff0, 0x10, 0x20, 0xfffffff8].map((t) => u.unwrap(t)), [0xfffffff0, 0x100000010, 0x100000020, 0xfffffff8]);
});
