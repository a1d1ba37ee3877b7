// RFC 7798 (H.265) and RFC 3640 (AAC) depacketizers, the reorder buffer, RTCP sender reports, the shared
// VideoFramer and the silent AAC track: byte fixtures built by hand after the RFCs' figures, the access
// units of x265 output (test/fixtures/small-hevc.ts) packetized as single NAL units, APs and FUs and
// reassembled exactly (also reordered and across the sequence-number wrap), loss, and fast-check on random,
// truncated and huge-length payloads (the depacketizers never throw).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { parseAudioSpecificConfig } from '../../../src/codecs/aac.js';
import { splitAvcc } from '../../../src/codecs/h264.js';
import { parseHevcDecoderConfig } from '../../../src/codecs/h265.js';
import { TsDemuxer } from '../../../src/codecs/mpegts/demux.js';
import { AacDepacketizer, parseMpeg4GenericFmtp, readAuHeaders, type AacAccessUnit } from '../../../src/codecs/rtp/aac-depacketizer.js';
import { H265Depacketizer, assembleHevc, beginsHevcPicture, type H265AccessUnit } from '../../../src/codecs/rtp/h265-depacketizer.js';
import type { RtpIn } from '../../../src/codecs/rtp/access-unit-depacketizer.js';
import { buildReceiverReport, ntpMiddle, parseSenderReports, RtcpType } from '../../../src/codecs/rtp/rtcp.js';
import { RtpReorder } from '../../../src/codecs/rtp/rtp-reorder.js';
import { fmtpParams } from '../../../src/codecs/rtp/sdp.js';
import { SILENT_AAC_LC_STEREO_FRAME, SilentAac } from '../../../src/codecs/silent-aac.js';
import { VideoFramer } from '../../../src/codecs/video-framer.js';

const fixture = new URL('../../../../test/fixtures/small-hevc.ts', import.meta.url).pathname;

/** A 2-byte H.265 NAL unit header: type, layer 0, TID 1. */
const hdr = (type: number): Buffer => Buffer.from([(type << 1) & 0x7e, 1]);
const hnal = (type: number, size: number, first = true): Buffer => {
  const b = Buffer.alloc(size, 0x5a);
  hdr(type).copy(b);
  if (size > 2) b[2] = first ? 0x80 : 0x00; // first_slice_segment_in_pic_flag
  return b;
};

/** x265 access units of the fixture: NAL lists with the keyframe flag and pts. */
function hevcUnits(): { nalus: Buffer[]; keyframe: boolean; pts: number }[] {
  const out: { nalus: Buffer[]; keyframe: boolean; pts: number }[] = [];
  let params: Buffer[] = [];
  new TsDemuxer({
    onFrame: (f) => {
      if (f.type !== 'video') return;
      if (f.header) {
        const c = parseHevcDecoderConfig(f.data);
        params = [...c.vps, ...c.sps, ...c.pps];
      } else out.push({ nalus: f.keyframe ? [...params, ...splitAvcc(f.data, 4)] : splitAvcc(f.data, 4), keyframe: f.keyframe, pts: f.pts });
    },
  }).push(readFileSync(fixture));
  return out;
}

/** A small RFC 7798 packetizer for the test: APs of small NAL units, FUs of big ones, single NALs otherwise. */
function packetize(nalus: Buffer[], max: number): Buffer[] {
  const out: Buffer[] = [];
  let ap: Buffer[] = [];
  const flushAp = () => {
    if (ap.length === 1) out.push(ap[0]!);
    else if (ap.length > 1) out.push(Buffer.concat([hdr(48), ...ap.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]));
    ap = [];
  };
  for (const n of nalus) {
    if (n.length <= 64) {
      ap.push(n);
      continue;
    }
    flushAp();
    if (n.length <= max) {
      out.push(n);
      continue;
    }
    const type = (n[0]! >> 1) & 0x3f;
    const body = n.subarray(2);
    for (let o = 0; o < body.length; o += max - 3) {
      const s = o === 0 ? 0x80 : 0;
      const e = o + (max - 3) >= body.length ? 0x40 : 0;
      out.push(Buffer.concat([Buffer.from([(n[0]! & 0x81) | (49 << 1), n[1]!, s | e | type]), body.subarray(o, o + max - 3)]));
    }
  }
  flushAp();
  return out;
}

function toPackets(units: { nalus: Buffer[]; pts: number }[], seq0: number, max = 1000): RtpIn[] {
  const out: RtpIn[] = [];
  let seq = seq0;
  for (const u of units) {
    const ps = packetize(u.nalus, max);
    ps.forEach((payload, i) => out.push({ sequenceNumber: seq++ & 0xffff, timestamp: (u.pts * 90) >>> 0, marker: i === ps.length - 1, payload }));
  }
  return out;
}

test('H.265: single NAL unit, aggregation packet (Figure 7) and fragmentation units (Figure 9) are reassembled', () => {
  const vps = hnal(32, 20);
  const sps = hnal(33, 30);
  const pps = hnal(34, 6);
  const ap = Buffer.concat([hdr(48), Buffer.from([0, 20]), vps, Buffer.from([0, 30]), sps, Buffer.from([0, 6]), pps]);
  const idr = hnal(19, 3000);
  const fus = packetize([idr], 1200);
  assert.equal(fus.length, 3);
  assert.equal((fus[0]![0]! >> 1) & 0x3f, 49);
  assert.deepEqual(fus.map((f) => f[2]! & 0xc0), [0x80, 0x00, 0x40], 'S on the first, E on the last');
  const pkts: RtpIn[] = [ap, ...fus].map((payload, i) => ({ sequenceNumber: 10 + i, timestamp: 9000, marker: i === 3, payload }));
  const nalus = assembleHevc(pkts)!;
  assert.deepEqual(nalus, [vps, sps, pps, idr], 'the FU header gives back the NAL header with its type, layer and TID');
  assert.ok(beginsHevcPicture(ap));
  assert.ok(beginsHevcPicture(fus[0]!));
  assert.ok(!beginsHevcPicture(fus[1]!));
  assert.ok(beginsHevcPicture(hnal(1, 10)));
  assert.ok(!beginsHevcPicture(hnal(1, 10, false)), 'a second slice of a picture');
  // malformed: a FU with S and E, an AP with a length past the end, a lone FU middle, PACI, the F bit
  assert.equal(assembleHevc([{ ...pkts[1]!, payload: Buffer.from([49 << 1, 1, 0xc0 | 19, 1]) }]), null);
  assert.equal(assembleHevc([{ ...pkts[0]!, payload: Buffer.concat([hdr(48), Buffer.from([0xff, 0xff, 1, 2])]) }]), null);
  assert.equal(assembleHevc([pkts[2]!]), null);
  assert.equal(assembleHevc([{ ...pkts[0]!, payload: Buffer.concat([hdr(50), Buffer.alloc(8)]) }]), null);
  assert.equal(assembleHevc([{ ...pkts[0]!, payload: Buffer.from([0x80 | (1 << 1), 1, 0x80]) }]), null);
  assert.equal(assembleHevc([pkts[1]!, pkts[2]!]), null, 'a FU without its end');
});

test('H.265: x265 access units round-trip through RTP, reordered and across the sequence wrap', () => {
  const units = hevcUnits();
  assert.ok(units.length > 20 && units[0]!.keyframe);
  const pkts = toPackets(units, 65500);
  // swap neighbours: UDP reordering
  const shuffled = [...pkts];
  for (let i = 1; i + 1 < shuffled.length; i += 5) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
  const got: H265AccessUnit[] = [];
  const dep = new H265Depacketizer({ onAccessUnit: (au) => got.push(au), reorderWindowMs: 100 });
  shuffled.forEach((p, i) => dep.push(p, i));
  assert.equal(got.length, units.length, 'every access unit, the last one too (it has its marker)');
  for (const [i, au] of got.entries()) {
    assert.deepEqual(au.nalus, units[i]!.nalus, `access unit ${i}`);
    assert.equal(au.keyframe, units[i]!.keyframe);
  }
  assert.equal(dep.stats.lostPackets, 0);
});

test('H.265: a lost fragment drops its picture and waits for the next IRAP, asking for it once', () => {
  const units = hevcUnits();
  const pkts = toPackets(units, 100, 100);
  // a packet of the fourth picture (a P picture)
  const firstKey = pkts.findIndex((p) => p.timestamp === (units[3]!.pts * 90) >>> 0);
  assert.ok(firstKey > 0);
  const got: H265AccessUnit[] = [];
  let asks = 0;
  const dep = new H265Depacketizer({ onAccessUnit: (au) => got.push(au), onKeyframeNeeded: () => asks++, reorderWindowMs: 10 });
  pkts.forEach((p, i) => {
    if (i !== firstKey) dep.push(p, i * 5);
  });
  assert.ok(asks >= 1);
  assert.ok(got.length < units.length - 1);
  assert.ok(got[0]!.keyframe);
  const after = got.findIndex((au, i) => i > 0 && au.keyframe);
  assert.ok(after > 0, 'it resumed at an IRAP');
  assert.ok(dep.stats.droppedUnits > 0);
});

const HBR = parseMpeg4GenericFmtp(fmtpParams('streamtype=5;profile-level-id=2;mode=AAC-hbr;config=119056e500;sizelength=13;indexlength=3;indexdeltalength=3'));

/** An AAC-hbr payload: AU-headers-length, 16-bit headers (13-bit size, 3-bit index), the AUs. */
function hbr(aus: Buffer[], sizes = aus.map((a) => a.length)): Buffer {
  const h = Buffer.alloc(2 + 2 * aus.length);
  h.writeUInt16BE(16 * aus.length, 0);
  sizes.forEach((s, i) => h.writeUInt16BE((s << 3) & 0xfff8, 2 + 2 * i));
  return Buffer.concat([h, ...aus]);
}

function aacCollect(params = HBR): { dep: AacDepacketizer; got: AacAccessUnit[] } {
  const got: AacAccessUnit[] = [];
  return { dep: new AacDepacketizer({ params, onFrame: (au) => got.push({ ...au, data: Buffer.from(au.data) }) }), got };
}

test('AAC (RFC 3640 AAC-hbr): one AU, several AUs with their timestamps, a fragmented AU, lost fragments', () => {
  assert.equal(HBR.config.toString('hex'), '119056e500');
  assert.equal(parseAudioSpecificConfig(HBR.config).sampleRate, 48000);
  const a = Buffer.alloc(200, 1);
  const b = Buffer.alloc(150, 2);
  const c = Buffer.alloc(3000, 3);
  const { dep, got } = aacCollect();
  dep.push({ timestamp: 1000, marker: true, payload: hbr([a]) });
  dep.push({ timestamp: 2024, marker: true, payload: hbr([a, b]) });
  assert.deepEqual(got.map((x) => [x.timestamp, x.data.length]), [[1000, 200], [2024, 200], [3048, 150]]);
  // 3.2.3.1: a fragmented AU: every packet has one header with the whole AU's size; the marker on the last.
  const parts = [c.subarray(0, 1400), c.subarray(1400, 2800), c.subarray(2800)];
  parts.forEach((p, i) => dep.push({ timestamp: 5000, marker: i === 2, payload: hbr([p], [c.length]) }));
  assert.equal(got.length, 4);
  assert.deepEqual(got[3]!.data, c);
  // A lost middle fragment: the AU is dropped, the next packet is read.
  dep.push({ timestamp: 6000, marker: false, payload: hbr([parts[0]!], [c.length]) });
  dep.push({ timestamp: 6000, marker: true, payload: hbr([parts[2]!], [c.length]) }, true);
  dep.push({ timestamp: 7024, marker: true, payload: hbr([b]) });
  assert.equal(got.length, 5);
  assert.equal(got[4]!.timestamp, 7024);
  assert.ok(dep.stats.badPackets >= 1);
  // headers that say more bytes than there are, an AU-headers-length past the end, an empty payload
  const before = dep.stats.badPackets;
  dep.push({ timestamp: 1, marker: true, payload: hbr([a, b], [200, 9000]) });
  dep.push({ timestamp: 1, marker: true, payload: Buffer.from([0xff, 0xff, 0, 0]) });
  dep.push({ timestamp: 1, marker: true, payload: Buffer.alloc(0) });
  assert.equal(dep.stats.badPackets, before + 3);
  assert.equal(got.length, 5);
});

test('AAC: AU headers with CTS/DTS deltas, RAP flags and an auxiliary section; fmtp errors', () => {
  const p = parseMpeg4GenericFmtp(fmtpParams('mode=generic;config=1210;sizelength=13;indexlength=3;indexdeltalength=3;ctsdeltalength=8;dtsdeltalength=8;randomaccessindication=1;auxiliarydatasizelength=8'));
  // one header: size 4 (13), index 0 (3), CTS-flag 0, DTS-flag 1 + 8 bits, RAP 1 = 13+3+1+1+8+1 = 27 bits
  const bits = '0000000000100' + '000' + '0' + '1' + '00000101' + '1';
  const hb = Buffer.alloc(4);
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') hb[i >> 3] |= 0x80 >> (i & 7);
  const payload = Buffer.concat([Buffer.from([0, bits.length]), hb, Buffer.from([16, 0xaa, 0xbb]), Buffer.from([9, 8, 7, 6])]);
  const h = readAuHeaders(payload, p)!;
  assert.deepEqual(h.headers, [{ size: 4, index: 0 }]);
  assert.equal(h.next, 2 + 4 + 3, 'the auxiliary section: 8 bits of size + 16 bits of data');
  const { dep, got } = aacCollect(p);
  dep.push({ timestamp: 5, marker: true, payload });
  assert.deepEqual(got[0]!.data, Buffer.from([9, 8, 7, 6]));
  assert.throws(() => parseMpeg4GenericFmtp(fmtpParams('mode=AAC-hbr;sizelength=13')), /no AudioSpecificConfig/);
  assert.throws(() => parseMpeg4GenericFmtp(fmtpParams('mode=AAC-hbr;config=1210;sizelength=99')), /from 0 to 32/);
  assert.throws(() => parseMpeg4GenericFmtp(fmtpParams('mode=CELP-cbr;config=1210;constantsize=20')), /without sizeLength/);
});

test('fast-check: the H.265 and AAC depacketizers never throw on random, truncated and huge-length payloads', () => {
  const units = hevcUnits().slice(0, 5);
  const valid = toPackets(units, 1, 300).map((p) => p.payload);
  const aacValid = [hbr([Buffer.alloc(20, 1)]), hbr([Buffer.alloc(10), Buffer.alloc(30)]), hbr([Buffer.alloc(100)], [8000])];
  const payload = (v: Buffer[]) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom(...v), fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
      fc.tuple(fc.constantFrom(...v), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([b, flips]) => {
        const c = Buffer.from(b);
        for (const [i, x] of flips) if (c.length) c[i % c.length] = x;
        return c;
      }),
      // lengths that claim the maximum
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from(b)])),
    );
  const pkt = (v: Buffer[]) => fc.record({ sequenceNumber: fc.integer({ min: 0, max: 0xffff }), timestamp: fc.integer({ min: 0, max: 0xffffffff }), marker: fc.boolean(), payload: payload(v) });
  fc.assert(
    fc.property(fc.array(pkt(valid), { maxLength: 40 }), (pkts) => {
      const dep = new H265Depacketizer({ onAccessUnit: (au) => assert.ok(au.nalus.every((n) => n.length >= 2)), maxBuffered: 16 });
      pkts.forEach((p, i) => dep.push(p, i * 50));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(pkt(aacValid), fc.boolean()), { maxLength: 40 }), (pkts) => {
      const { dep, got } = aacCollect();
      for (const [p, lost] of pkts) dep.push(p, lost);
      assert.ok(got.every((g) => g.data.length <= 1 << 16));
    }),
    { numRuns: 500 },
  );
});

test('RtpReorder: late packets wait, a gap is given up after the window, duplicates and old packets are dropped', () => {
  const out: [number, boolean][] = [];
  const r = new RtpReorder<{ sequenceNumber: number }>((p, lost) => out.push([p.sequenceNumber, lost]), 100, 8);
  for (const [s, t] of [[65534, 0], [0, 1], [65535, 2], [1, 3], [1, 4], [65530, 5]] as const) r.push({ sequenceNumber: s }, t);
  assert.deepEqual(out, [[65534, false], [65535, false], [0, false], [1, false]], 'in order across the wrap; the duplicate and the old one dropped');
  assert.equal(r.stats.late, 2);
  r.push({ sequenceNumber: 4 }, 10); // 2, 3 missing
  r.push({ sequenceNumber: 5 }, 50);
  assert.equal(out.length, 4, 'waiting for 2');
  r.push({ sequenceNumber: 6 }, 200);
  assert.deepEqual(out.slice(4), [[4, true], [5, false], [6, false]]);
  assert.equal(r.stats.lost, 2);
  r.push({ sequenceNumber: 3 }, 201);
  assert.equal(out.length, 7, 'too late');
  // too many held: the gap is given up at once
  for (let s = 9; s < 9 + 8; s++) r.push({ sequenceNumber: s }, 300);
  assert.equal(out.at(-1)![0], 16);
  // a jump far away is a restarted sender
  r.push({ sequenceNumber: 40000 }, 400);
  assert.deepEqual(out.at(-1), [40000, false]);
});

test('RTCP: sender reports out of a compound packet, receiver reports written', () => {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = RtcpType.SenderReport;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(0x11223344, 4);
  sr.writeUInt32BE(3900000000, 8); // NTP seconds
  sr.writeUInt32BE(0x80000000, 12); // .5 s
  sr.writeUInt32BE(123456, 16);
  sr.writeUInt32BE(10, 20);
  sr.writeUInt32BE(1000, 24);
  const sdes = Buffer.from([0x81, RtcpType.SourceDescription, 0, 1, 1, 2, 3, 4]);
  const [r] = parseSenderReports(Buffer.concat([sr, sdes]));
  assert.deepEqual(r, { ssrc: 0x11223344, ntpMs: 3900000000 * 1000 + 500, rtpTimestamp: 123456, packets: 10, octets: 1000 });
  assert.deepEqual(parseSenderReports(sr.subarray(0, 20)), [], 'truncated');
  assert.deepEqual(parseSenderReports(Buffer.from([0x40, 200, 0, 6])), [], 'not version 2');
  const rr = buildReceiverReport(7, { ssrc: 0x11223344, highestSeq: 70000, lost: 3, lastSr: ntpMiddle(r!.ntpMs), delaySinceLastSr: 65536 });
  assert.equal(rr.length, 32);
  assert.equal(rr[0], 0x81);
  assert.equal(rr[1], RtcpType.ReceiverReport);
  assert.equal(rr.readUInt16BE(2), 7);
  assert.equal(rr.readUInt32BE(8), 0x11223344);
  assert.equal(rr.readUInt32BE(12) & 0xffffff, 3);
  assert.equal(rr.readUInt32BE(16), 70000);
  assert.equal(rr.readUInt32BE(24), ((3900000000 & 0xffff) * 0x10000 + 0x8000) >>> 0);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void parseSenderReports(Buffer.from(b))), { numRuns: 500 });
});

test('VideoFramer: out-of-band parameter sets, in-band changes, AUD dropped, media before a config counted', () => {
  const frames: Frame[] = [];
  const f = new VideoFramer(VideoCodec.H264, (x) => frames.push(x));
  const idr = Buffer.from([0x65, 0x88, 1, 2]);
  f.push([Buffer.from([0x09, 0xf0]), idr], 40, 40);
  assert.equal(frames.length, 0);
  assert.equal(f.stats.withoutConfig, 1);
  const sps = Buffer.from('6742c01e8c8d40a0fd00f08846a0', 'hex');
  const pps = Buffer.from('68ce3c80', 'hex');
  f.setParameterSets({ sps: [sps], pps: [pps] }, 80);
  f.push([Buffer.from([0x09, 0xf0]), sps, pps, sps, pps, idr], 80, 80); // the same set in band (twice, as GStreamer sends it): no second header
  f.push([Buffer.from([0x41, 0x9a, 3])], 120, 120);
  assert.deepEqual(frames.map((x) => [x.header, x.keyframe, x.dts]), [[true, false, 80], [false, true, 80], [false, false, 120]]);
  assert.deepEqual(splitAvcc(frames[1]!.data, 4), [idr], 'parameter sets and AUD are not in the media frame');
  f.push([Buffer.from('6742c01f8c8d40a0fd00f08846a0', 'hex'), idr], 160, 160); // a new SPS in band
  assert.equal(frames.filter((x) => x.header).length, 2);
});

test('silent AAC: AAC-LC 44100 Hz stereo config, one silent frame per 1024 samples from the video time', () => {
  const s = new SilentAac();
  const h = s.header(1000);
  assert.equal(h.codec, AudioCodec.AAC);
  const cfg = parseAudioSpecificConfig(h.data);
  assert.deepEqual([cfg.objectType, cfg.sampleRate, cfg.channels], [2, 44100, 2]);
  assert.equal(SILENT_AAC_LC_STEREO_FRAME[0]! >> 5, 1, 'a channel pair element');
  const first = s.until(1000, 0);
  assert.deepEqual(first.map((f) => f.dts), [1000]);
  const next = s.until(2000, 0);
  // 1000 ms of audio at 1024/44100 s per frame: 43 frames, timestamps rising by 23.2 ms
  assert.equal(next.length, 43);
  assert.equal(next[0]!.dts, 1023);
  assert.ok(next.every((f, i) => i === 0 || f.dts > next[i - 1]!.dts));
  assert.ok(next.every((f) => f.data === SILENT_AAC_LC_STEREO_FRAME && !f.header));
  // the video jumps far ahead: the gap is not filled with minutes of silence
  assert.ok(s.until(10_000_000).length <= 1001);
});
