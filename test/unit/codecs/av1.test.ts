import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAv1Config } from '../../../src/codecs/av1.js';
import { CodecError } from '../../../src/codecs/codec-error.js';
import { describeVideo } from '../../../src/codecs/describe.js';
import { VideoCodec } from '../../../src/core/frame.js';

// av1C records as FFmpeg 5.1 writes them into MP4:
//   libaom-av1 -usage realtime -cpu-used 8, testsrc 320x240; libsvtav1 -preset 12, testsrc 640x360
const AOM_320x240 = Buffer.from('81000c000a0b000000043cffbcdaf90040', 'hex');
const SVT_640x360 = Buffer.from('81010c000a0b0000000cc4ff6700be0010', 'hex');

test('av1C: profile, level, bit depth and the picture size from the sequence header OBU', () => {
  const a = parseAv1Config(AOM_320x240);
  assert.deepEqual([a.profile, a.level, a.tier, a.bitDepth, a.width, a.height], [0, 0, 0, 8, 320, 240]);
  assert.deepEqual(a.configObus, AOM_320x240.subarray(4));
  const s = parseAv1Config(SVT_640x360);
  assert.deepEqual([s.profile, s.level, s.width, s.height], [0, 1, 640, 360]);
  const header = { type: 'video' as const, codec: VideoCodec.AV1, dts: 0, pts: 0, keyframe: true, header: true, data: SVT_640x360 };
  assert.deepEqual(describeVideo(header), { codec: VideoCodec.AV1, profile: 'Main', level: '2.1', width: 640, height: 360 });
  assert.deepEqual(describeVideo({ ...header, data: Buffer.from('00', 'hex') }), { codec: VideoCodec.AV1, profile: '', level: '', width: 0, height: 0 });
  // no configOBUs: still a record, size unknown
  assert.deepEqual([parseAv1Config(Buffer.from('81000c00', 'hex')).width], [0]);
  assert.throws(() => parseAv1Config(Buffer.from('01000c00', 'hex')), CodecError);
  assert.throws(() => parseAv1Config(Buffer.from('8100', 'hex')), CodecError);
  assert.throws(() => parseAv1Config(AOM_320x240.subarray(0, 9)), CodecError); // OBU overruns
});

test('av1C: random, truncated and flipped records give a config or a CodecError', () => {
  const valid = fc
    .tuple(fc.constantFrom(AOM_320x240, SVT_640x360), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
    .map(([v, cut, flips]) => {
      const b = Buffer.from(v.subarray(0, cut % (v.length + 1)));
      for (const [at, byte] of flips) if (b.length > 1) b[1 + (at % (b.length - 1))] = byte;
      return b;
    });
  const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from([0x81, ...b]));
  fc.assert(
    fc.property(fc.oneof(valid, bytes), (b) => {
      try {
        const c = parseAv1Config(b);
        assert.ok(Number.isFinite(c.width) && Number.isFinite(c.height));
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
