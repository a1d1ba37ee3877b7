// Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1): the writer against
// hand-made bytes, and werift's RTCP parser (an independent reader) reading back random feedback; the
// recorder across a sequence number wrap, with a loss, a late packet, a long pause, and random arrivals
// whose times come back within rounding from the feedback alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtcpPacketConverter, RtcpTransportLayerFeedback, TransportWideCC } from 'werift';
import {
  TWCC_DELTA_US,
  TWCC_REFERENCE_US,
  TwccRecorder,
  TwccStatus,
  writeTwccFeedback,
} from '../../../src/codecs/rtp/twcc.js';

interface Parsed {
  baseSeq: number;
  referenceTime: number;
  fbCount: number;
  senderSsrc: number;
  mediaSsrc: number;
  /** per packet from baseSeq: the delta in 250 µs steps, or null */
  deltas: (number | null)[];
}

/** Reads one feedback packet with werift's RTCP parser. */
function parse(buf: Buffer): Parsed {
  assert.equal(buf.length % 4, 0, 'RTCP packets are 32-bit aligned');
  assert.equal((buf.readUInt16BE(2) + 1) * 4, buf.length, 'the length field covers the packet');
  const packets = RtcpPacketConverter.deSerialize(buf);
  assert.equal(packets.length, 1);
  const fb = packets[0];
  assert.ok(fb instanceof RtcpTransportLayerFeedback && fb.feedback instanceof TransportWideCC, 'a transport-wide CC feedback');
  const t = fb.feedback;
  const statuses: number[] = [];
  for (const c of t.packetChunks) {
    if ('runLength' in c) for (let i = 0; i < c.runLength; i++) statuses.push(c.packetStatus);
    else statuses.push(...c.symbolList);
  }
  statuses.length = t.packetStatusCount;
  const deltas: (number | null)[] = [];
  let k = 0;
  for (const s of statuses) {
    if (s === TwccStatus.NotReceived) deltas.push(null);
    else deltas.push(t.recvDeltas[k++]!.delta / TWCC_DELTA_US);
  }
  assert.equal(k, t.recvDeltas.length, 'one receive delta per received packet');
  return { baseSeq: t.baseSequenceNumber, referenceTime: t.referenceTime, fbCount: t.fbPktCount, senderSsrc: t.senderSsrc, mediaSsrc: t.mediaSourceSsrc, deltas };
}

test('a feedback with a 2-bit status vector and padding, byte for byte', () => {
  const b = writeTwccFeedback({ senderSsrc: 0x11223344, mediaSsrc: 0x55667788, baseSeq: 0xfffe, referenceTime: 0x102, fbCount: 7, deltas: [4, null, 255, -1] });
  assert.equal(
    b.toString('hex'),
    [
      'afcd0006', // V=2, P=1, FMT=15, PT=205 (RTPFB), length 6
      '11223344',
      '55667788',
      'fffe0004', // base sequence number, packet status count
      '00010207', // reference time, fb pkt count
      'd18004ff', // status vector (2-bit): small, not received, small, large; deltas 4, 255
      'ffff0002', // large delta -1; padding: 2 bytes
    ].join(''),
  );
  assert.deepEqual(parse(b).deltas, [4, null, 255, -1]);
});

test('a long run goes in one run-length chunk; 14 one-bit symbols in one status vector', () => {
  const run = writeTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 10, referenceTime: 0, fbCount: 0, deltas: Array<number>(20).fill(1) });
  assert.equal(run.readUInt16BE(20), 0x2014, 'run-length chunk: small delta x 20');
  assert.equal(run.length, 44);
  const vec = writeTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 10, referenceTime: 0, fbCount: 0, deltas: [1, null, 2, null, 3, null, 4, null, 5, null, 6, null, 7, null] });
  assert.equal(vec.readUInt16BE(20), 0x8000 | 0x2aaa, 'status vector, 1-bit symbols 10101010101010');
  assert.equal(vec.length, 20 + 2 + 7 + 3);
  assert.throws(() => writeTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 0, referenceTime: 0, fbCount: 0, deltas: [] }), RangeError);
  assert.throws(() => writeTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 0, referenceTime: 0, fbCount: 0, deltas: [40000] }), RangeError);
});

test('werift reads back any feedback written', () => {
  const delta = fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
    { weight: 1, arbitrary: fc.integer({ min: -0x8000, max: 0x7fff }) },
  );
  fc.assert(
    fc.property(
      fc.array(delta, { minLength: 1, maxLength: 600 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffffff }),
      fc.integer({ min: 0, max: 0xff }),
      fc.boolean(),
      (deltas, baseSeq, referenceTime, fbCount, runs) => {
        // runs: stretch each entry into a run, to get run-length chunks too
        const d = runs ? deltas.flatMap((x) => Array<number | null>(1 + (Math.abs(x ?? 7) % 40)).fill(x)) : deltas;
        const p = parse(writeTwccFeedback({ senderSsrc: 0xdeadbeef, mediaSsrc: 42, baseSeq, referenceTime, fbCount, deltas: d.slice(0, 0xffff) }));
        assert.deepEqual(p, { baseSeq, referenceTime, fbCount, senderSsrc: 0xdeadbeef, mediaSsrc: 42, deltas: d.slice(0, 0xffff) });
      },
    ),
    { numRuns: 300 },
  );
});

/** The arrival times (µs) a sender reads from feedback packets, by 16-bit sequence number. */
function arrivalsOf(feedbacks: Buffer[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of feedbacks) {
    const p = parse(b);
    let t = p.referenceTime * TWCC_REFERENCE_US;
    p.deltas.forEach((d, i) => {
      if (d === null) return;
      t += d * TWCC_DELTA_US;
      const seq = (p.baseSeq + i) & 0xffff;
      assert.ok(!out.has(seq), `packet ${seq} reported once`);
      out.set(seq, t);
    });
  }
  return out;
}

test('the recorder reports across a wrap, a loss as not received, a late packet not at all', () => {
  const r = new TwccRecorder();
  r.record(65534, 1_000_000);
  r.record(65535, 1_001_000);
  r.record(1, 1_003_000); // 0 is missing
  const [fb, ...more] = r.take(7, 8);
  assert.equal(more.length, 0);
  const p = parse(fb!);
  assert.equal(p.baseSeq, 65534);
  assert.equal(p.referenceTime, 15, 'floor(1 s / 64 ms)');
  assert.deepEqual(p.deltas, [160, 4, null, 8], '40 ms after the reference time, then 1 ms, lost, 2 ms');
  assert.deepEqual([p.senderSsrc, p.mediaSsrc, p.fbCount], [7, 8, 0]);
  assert.deepEqual(r.take(7, 8), [], 'nothing new: no feedback');
  r.record(0, 1_004_000); // after the feedback that reported it missing
  r.record(2, 1_005_000);
  const next = r.take(7, 8);
  assert.equal(next.length, 1);
  assert.equal(parse(next[0]!).baseSeq, 2);
  assert.equal(parse(next[0]!).fbCount, 1);
  assert.deepEqual(r.stats, { packets: 4, feedbacks: 2, late: 1 });
});

test('a pause longer than a 16-bit delta starts a new feedback with its own reference time', () => {
  const r = new TwccRecorder();
  r.record(100, 0);
  r.record(101, 10_000_000); // 10 s later: 40000 steps do not fit
  const fbs = r.take(1, 2);
  assert.equal(fbs.length, 2);
  assert.deepEqual([...arrivalsOf(fbs)], [[100, 0], [101, 10_000_000]]);
});

test('every recorded packet is reported once, at its arrival time within rounding', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.array(fc.record({ skip: fc.nat(3), gapUs: fc.nat(300_000), swap: fc.boolean() }), { minLength: 1, maxLength: 1500 }),
      fc.array(fc.nat(1499), { maxLength: 20 }),
      (seq0, steps, takeAfter) => {
        const r = new TwccRecorder({ maxPerFeedback: 100 });
        let seq = seq0;
        let t = 5_000_000;
        const sent: [number, number][] = [];
        for (const s of steps) {
          seq = (seq + 1 + s.skip) & 0xffff;
          t += s.gapUs;
          sent.push([seq, t]);
        }
        // neighbours swapped in arrival (reordering) when asked, within one take
        const order = sent.slice();
        for (let i = 0; i + 1 < order.length; i++) if (steps[i]!.swap && !takeAfter.includes(i)) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
        const fbs: Buffer[] = [];
        order.forEach(([s, at], i) => {
          r.record(s, at);
          if (takeAfter.includes(i)) fbs.push(...r.take(1, 2));
        });
        fbs.push(...r.take(1, 2));
        const got = arrivalsOf(fbs);
        const late = r.stats.late;
        assert.equal(got.size + late, sent.length, 'each packet reported, or counted late');
        for (const [s, at] of sent) {
          const g = got.get(s);
          if (g !== undefined) assert.ok(Math.abs(g - at) <= TWCC_DELTA_US / 2, `packet ${s}: ${g} for ${at}`);
        }
      },
    ),
    { numRuns: 200 },
  );
});
