// Randomized inputs for the codec parsers (fast-check): random bytes, bytes behind the right NAL header, and
// valid fixtures truncated and with bytes flipped. Every parser returns or throws its typed error (CodecError;
// FlvError for FLV bodies) and ends: a Buffer method reading out of range throws RangeError, which fails here.
// The bit-level reads all go through BitReader, whose property test below shows it never reads past its
// buffer (a plain index read would not throw: undefined >> n is 0). Nothing returned holds a NaN. The parsers
// that run per packet (ADTS, MPEG audio) never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { BitReader, removeEmulationPrevention } from '../../../src/codecs/bit-reader.js';
import { CodecError } from '../../../src/codecs/codec-error.js';
import { aacAudioInfo, parseAdtsFrames, parseAdtsHeader, parseAudioSpecificConfig } from '../../../src/codecs/aac.js';
import { describeAudio, describeVideo } from '../../../src/codecs/describe.js';
import { FlvError, FlvTagType, flvBodyToFrame } from '../../../src/codecs/flv.js';
import {
  avcVideoInfo,
  buildAvcDecoderConfig,
  parseAvcDecoderConfig,
  parsePps,
  parseSps,
} from '../../../src/codecs/h264.js';
import {
  buildHevcDecoderConfig,
  hevcVideoInfo,
  parseHevcDecoderConfig,
  parseHevcPps,
  parseHevcSps,
  parseHevcVps,
} from '../../../src/codecs/h265.js';
import { mpegAudioChannels, mpegAudioSampleRate, mpegAudioSamplesPerFrame } from '../../../src/codecs/mpeg-audio.js';
import { AAC, AVC, HEVC, HEVC_VPS_TIMING } from './codec-fixtures.js';

const RUNS = 1500;

/** Every number reachable from `v` is finite (a Buffer read past its end gives undefined, then NaN). */
function assertFinite(v: unknown, path = 'result'): void {
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${path} is ${v}`);
  else if (Buffer.isBuffer(v)) return;
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
}

/** Calls `parse`; it must return (a result with finite numbers) or throw an instance of `errorType`. */
function returnsOrThrows(parse: (b: Buffer) => unknown, errorType: new (...a: never[]) => Error = CodecError) {
  return (bytes: Uint8Array): void => {
    let out: unknown;
    try {
      out = parse(Buffer.from(bytes));
    } catch (e) {
      assert.ok(e instanceof errorType, `threw ${String(e)}, not a ${errorType.name}`);
      return;
    }
    assertFinite(out);
  };
}

const anyBytes = fc.uint8Array({ maxLength: 300 });
/** Random bytes behind a fixed prefix (a NAL header) so that the parser goes past its first check. */
const behind = (prefix: number[]): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.from([...prefix, ...b]));
/** A valid input cut short and with some bytes replaced. */
const mutated = (valid: Buffer[]): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(fc.constantFrom(...valid), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
    .map(([v, cut, flips]) => {
      const b = Uint8Array.from(v.subarray(0, v.length === 0 ? 0 : cut % (v.length + 1)));
      for (const [at, byte] of flips) if (b.length > 0) b[at % b.length] = byte;
      return b;
    });
const inputs = (prefix: number[], valid: Buffer[]): fc.Arbitrary<Uint8Array> =>
  fc.oneof(anyBytes, behind(prefix), mutated(valid));

const avcSps = Object.values(AVC).map((f) => f.sps);
const avcPps = Object.values(AVC).map((f) => f.pps);
const hevcSps = Object.values(HEVC).map((f) => f.sps);
const hevcVps = [...Object.values(HEVC).map((f) => f.vps), HEVC_VPS_TIMING];
const avcRecords = Object.values(AVC).map((f) => buildAvcDecoderConfig([f.sps], [f.pps]));
const hevcRecords = Object.values(HEVC).map((f) => buildHevcDecoderConfig([f.vps], [f.sps], [f.pps]));
const ascs = Object.values(AAC).map((f) => f.asc);

test('H.264 SPS / PPS / avcC: a result or a CodecError', () => {
  fc.assert(fc.property(inputs([0x67], avcSps), returnsOrThrows(parseSps)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([0x68], avcPps), returnsOrThrows(parsePps)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([1, 0x64, 0, 0x1f, 0xff, 0xe1], avcRecords), returnsOrThrows(parseAvcDecoderConfig)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([1, 0x64, 0, 0x1f, 0xff, 0xe1], avcRecords), returnsOrThrows(avcVideoInfo)), { numRuns: RUNS });
});

test('HEVC VPS / SPS / PPS / hvcC: a result or a CodecError', () => {
  fc.assert(fc.property(inputs([0x40, 0x01], hevcVps), returnsOrThrows(parseHevcVps)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([0x42, 0x01], hevcSps), returnsOrThrows(parseHevcSps)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([0x44, 0x01], [HEVC.main!.pps]), returnsOrThrows(parseHevcPps)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([1, 1, 0x60], hevcRecords), returnsOrThrows(parseHevcDecoderConfig)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([1, 1, 0x60], hevcRecords), returnsOrThrows(hevcVideoInfo)), { numRuns: RUNS });
});

test('AudioSpecificConfig: a result or a CodecError', () => {
  fc.assert(fc.property(inputs([0x13], ascs), returnsOrThrows(parseAudioSpecificConfig)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([0x2b], ascs), returnsOrThrows(aacAudioInfo)), { numRuns: RUNS });
});

test('the per-packet readers (ADTS, MPEG audio header) and describe never throw', () => {
  const adts = Buffer.from('fff14c8024fffc', 'hex');
  fc.assert(
    fc.property(inputs([...adts], [Buffer.concat([adts, Buffer.alloc(288), adts])]), (bytes) => {
      const b = Buffer.from(bytes);
      assertFinite(parseAdtsHeader(b));
      const r = parseAdtsFrames(b);
      assertFinite(r.config);
      for (const f of r.frames) assert.ok(f.length > 0 && f.byteOffset >= b.byteOffset);
      assert.ok(r.skippedBytes <= b.length);
      for (const n of [mpegAudioSampleRate(b), mpegAudioChannels(b), mpegAudioSamplesPerFrame(b)]) assert.ok(Number.isInteger(n));
    }),
    { numRuns: RUNS },
  );
  const header = (type: 'video' | 'audio', codec: VideoCodec | AudioCodec, data: Buffer): Frame =>
    ({ type, codec, dts: 0, pts: 0, keyframe: false, header: true, data });
  fc.assert(
    fc.property(inputs([1, 0x64, 0, 0x1f, 0xff, 0xe1], [...avcRecords, ...hevcRecords, ...ascs]), (bytes) => {
      const b = Buffer.from(bytes);
      assertFinite(describeVideo(header('video', VideoCodec.H264, b)));
      assertFinite(describeVideo(header('video', VideoCodec.H265, b)));
      assertFinite(describeAudio(header('audio', AudioCodec.AAC, b)));
      assertFinite(describeAudio({ ...header('audio', AudioCodec.MP3, b), header: false }));
    }),
    { numRuns: RUNS },
  );
});

test('FLV audio / video bodies: a Frame, null or a FlvError', () => {
  const bodies = [Buffer.from('af00131056e598', 'hex'), Buffer.from('2ffffb9400', 'hex'), Buffer.concat([Buffer.from('1700000000', 'hex'), avcRecords[0]!])];
  fc.assert(fc.property(inputs([0xaf, 0x00], bodies), returnsOrThrows((b) => flvBodyToFrame(FlvTagType.Audio, 0, b), FlvError)), { numRuns: RUNS });
  fc.assert(fc.property(inputs([0x17, 0x00], bodies), returnsOrThrows((b) => flvBodyToFrame(FlvTagType.Video, 0, b), FlvError)), { numRuns: RUNS });
});

test('Enhanced RTMP video / audio bodies (FourCC, ModEx, multitrack): a Frame, null or a FlvError', () => {
  const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
  const video = [
    Buffer.concat([h('90 68766331'), hevcRecords[0]!]),
    h('91 68766331 000021 00000003 260188'),
    h('97 02 0f4240 01 68766331 000014 00000002 2601'),
    h('96 13 68766331 02 000004 00000000 00 000005 00000001 41'),
    h('96 23 61763031 01 000002 1200 61766331 00 000005 00000001 65'),
    h('91 61763031 1200 3203 aabbcc'),
  ];
  const audio = [
    Buffer.concat([h('90 6d703461'), ascs[0]!]),
    h('90 4f707573 4f70757348656164 01 01 3801 80bb0000 0000 00'),
    h('97 00 aa 05 11 6d703461 00 000002 2100 01 000001 aa'),
    h('91 2e6d7033 fffb9400 00'),
  ];
  const run = (type: FlvTagType) => returnsOrThrows((b) => flvBodyToFrame(type, 0, b), FlvError);
  for (const first of [0x90, 0x91, 0x96, 0x97, 0xa3]) {
    fc.assert(fc.property(inputs([first], video), run(FlvTagType.Video)), { numRuns: RUNS / 5 });
  }
  for (const first of [0x90, 0x91, 0x95, 0x97]) {
    fc.assert(fc.property(inputs([first], audio), run(FlvTagType.Audio)), { numRuns: RUNS / 5 });
  }
  // every truncation of each valid body
  for (const [type, list] of [[FlvTagType.Video, video], [FlvTagType.Audio, audio]] as const) {
    for (const v of list) for (let n = 0; n <= v.length; n++) run(type)(v.subarray(0, n));
  }
});

test('BitReader: random reads stay inside the buffer and end in a CodecError; emulation prevention removal', () => {
  const op = fc.oneof(
    fc.constant({ kind: 'bit' as const, n: 1 }),
    fc.integer({ min: 0, max: 48 }).map((n) => ({ kind: 'bits' as const, n })),
    fc.integer({ min: 0, max: 64 }).map((n) => ({ kind: 'skip' as const, n })),
    fc.constant({ kind: 'ue' as const, n: 0 }),
    fc.constant({ kind: 'se' as const, n: 0 }),
    fc.constant({ kind: 'align' as const, n: 0 }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(op, { maxLength: 80 }), (bytes, ops) => {
      const r = new BitReader(Buffer.from(bytes), 'fuzz');
      for (const o of ops) {
        const before = r.bitsLeft;
        try {
          const v = o.kind === 'bit' ? r.readBit() : o.kind === 'bits' ? r.readBits(o.n) : o.kind === 'ue' ? r.readUE() : o.kind === 'se' ? r.readSE() : undefined;
          if (o.kind === 'skip') r.skipBits(o.n);
          if (o.kind === 'align') r.byteAlign();
          if (v !== undefined) assert.ok(Number.isFinite(v));
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
          assert.ok(r.bitsLeft >= 0);
          continue;
        }
        assert.ok(r.bitsLeft >= 0 && r.bitsLeft <= before);
        assert.equal(r.bitPosition + r.bitsLeft, bytes.length * 8);
      }
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => x & 3)), (bytes) => {
      const b = Buffer.from(bytes);
      const out = removeEmulationPrevention(b);
      const threes = [...b].filter((x, i) => x === 3 && i >= 2).length;
      assert.ok(out.length <= b.length && out.length >= b.length - threes);
      if (out.length === b.length) assert.equal(out, b, 'nothing removed: the input itself');
    }),
    { numRuns: RUNS },
  );
});
