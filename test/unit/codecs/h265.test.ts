// HEVC helpers: SPS parsing (x265 fixtures, a hand-made SPS with sub-layer profile/level that ffmpeg decodes),
// hvcC parse/build compared with the record ffmpeg's mp4 muxer writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/codecs/codec-error.js';
import {
  HevcNalType,
  buildHevcDecoderConfig,
  hevcLevelName,
  hevcNalType,
  hevcProfileName,
  hevcVideoInfo,
  isHevcKeyframe,
  parseHevcDecoderConfig,
  parseHevcSps,
} from '../../../src/codecs/h265.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Parameter sets written by libx265 and the hvcC ffmpeg's mp4 muxer made from them. */
const X265 = {
  h320: {
    vps: hex('40010c01ffff01600000030090000003000003003c959809'),
    sps: hex('42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210'),
    pps: hex('4401c172b46240'),
    hvcc: hex(
      '0101600000009000000000003cf000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003003c959809' +
        '210001002a42010101600000030090000003000003003ca00a080f165959a4932bc05a02000003000200000300321022000100074401c172b46240',
    ),
  },
  // two temporal sub-layers, B-frames
  h720t: {
    vps: hex('40010c02ffff01600000030090000003000003005d00009598acc048'),
    sps: hex('42010201600000030090000003000003005d0000a00280802d1659598acd24995e02d0100000030010000003019080'),
    pps: hex('4401c172b46240'),
    hvcc: hex(
      '0101600000009000000000005df000fcfdf8f800001303200001001c40010c02ffff01600000030090000003000003005d00009598acc048' +
        '210001002f42010201600000030090000003000003005d0000a00280802d1659598acd24995e02d010000003001000000301908022000100074401c172b46240',
    ),
  },
  // Main 10, 854x480 coded as 856x480 with a conformance window
  h480p10: {
    vps: hex('40010c01ffff02200000030090000003000003005a959809'),
    sps: hex('42010102200000030090000003000003005aa006b201e1d6d96566924caf016808000003000800000300c840'),
    pps: hex('4401c172b46240'),
    hvcc: hex(
      '0102200000009000000000005af000fcfdfafa00000f03200001001840010c01ffff02200000030090000003000003005a959809' +
        '210001002c42010102200000030090000003000003005aa006b201e1d6d96566924caf016808000003000800000300c84022000100074401c172b46240',
    ),
  },
};
const SPS_1080 = hex('420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000c84');
/** h720t's SPS with sub_layer_profile_present_flag and sub_layer_level_present_flag set (88 + 8 more bits). */
const SPS_SUBLAYER = hex(
  '42010201600000030090000003000003005dc00001600000030090000003000003005aa00280802d1659598acd24995e02d0100000030010000003019080',
);

test('NAL types and IRAP keyframes', () => {
  assert.equal(hevcNalType(0x26), HevcNalType.IDR_W_RADL);
  assert.equal(hevcNalType(0x40), HevcNalType.VPS);
  assert.equal(hevcNalType(0x46), HevcNalType.AUD);
  for (let t = 0; t < 64; t++) assert.equal(isHevcKeyframe(t), t >= 16 && t <= 23, `type ${t}`);
});

test('parseHevcSps reads size, profile, level and bit depth', () => {
  const cases: Array<[Buffer, number, number, number, number, string, string, number]> = [
    [X265.h320.sps, 320, 240, 320, 240, 'Main', '2', 8],
    [SPS_1080, 1920, 1080, 1920, 1080, 'Main', '4', 8],
    [X265.h720t.sps, 1280, 720, 1280, 720, 'Main', '3.1', 8],
    [SPS_SUBLAYER, 1280, 720, 1280, 720, 'Main', '3.1', 8],
    [X265.h480p10.sps, 854, 480, 856, 480, 'Main 10', '3', 10],
  ];
  for (const [nal, w, h, cw, ch, profile, level, depth] of cases) {
    const sps = parseHevcSps(nal);
    assert.equal(sps.width, w);
    assert.equal(sps.height, h);
    assert.equal(sps.codedWidth, cw);
    assert.equal(sps.codedHeight, ch);
    assert.equal(hevcProfileName(sps.profileIdc), profile);
    assert.equal(hevcLevelName(sps.levelIdc), level);
    assert.equal(sps.bitDepthLuma, depth);
    assert.equal(sps.chromaFormatIdc, 1);
  }
  assert.equal(parseHevcSps(SPS_SUBLAYER).maxSubLayers, 2);
  assert.deepEqual(parseHevcSps(X265.h480p10.sps).conformanceWindow, { left: 0, right: 1, top: 0, bottom: 0 });
});

test('parseHevcSps rejects other NAL units and truncation', () => {
  assert.throws(() => parseHevcSps(X265.h320.vps), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  for (let n = 0; n < 23; n++) assert.throws(() => parseHevcSps(X265.h320.sps.subarray(0, n)), CodecError, `cut at ${n}`);
  assert.throws(() => parseHevcSps(SPS_SUBLAYER.subarray(0, 26)), CodecError);
});

test('parseHevcDecoderConfig reads ffmpeg hvcC', () => {
  const cfg = parseHevcDecoderConfig(X265.h320.hvcc);
  assert.equal(cfg.nalLengthSize, 4);
  assert.deepEqual(cfg.vps, [X265.h320.vps]);
  assert.deepEqual(cfg.sps, [X265.h320.sps]);
  assert.deepEqual(cfg.pps, [X265.h320.pps]);
  assert.equal(cfg.profile, 'Main');
  assert.equal(cfg.level, '2');
  assert.equal(cfg.width, 320);
  assert.equal(cfg.height, 240);
  const p10 = parseHevcDecoderConfig(X265.h480p10.hvcc);
  assert.equal(p10.profile, 'Main 10');
  assert.equal(p10.bitDepthLuma, 10);
  assert.equal(p10.width, 854);
  assert.deepEqual(hevcVideoInfo(X265.h720t.hvcc), { codec: 12, profile: 'Main', level: '3.1', width: 1280, height: 720, fps: 25 });
  const rec = X265.h320.hvcc;
  for (let n = 0; n < rec.length; n++) {
    assert.throws(() => parseHevcDecoderConfig(rec.subarray(0, n)), CodecError, `truncated at ${n}`);
  }
});

test('buildHevcDecoderConfig matches ffmpeg hvcC (array_completeness aside)', () => {
  for (const [name, x] of Object.entries(X265)) {
    const built = buildHevcDecoderConfig([x.vps], [x.sps], [x.pps]);
    assert.equal(built.length, x.hvcc.length, name);
    const masked = Buffer.from(built);
    // ffmpeg writes array_completeness 0 (hev1); this server writes 1: every parameter set is in the record
    for (let p = 23, a = 0; a < masked[22]; a++) {
      assert.equal(masked[p] & 0x80, 0x80);
      masked[p] &= 0x7f;
      const count = masked.readUInt16BE(p + 1);
      p += 3;
      for (let i = 0; i < count; i++) p += 2 + masked.readUInt16BE(p);
    }
    assert.deepEqual(masked, x.hvcc, name);
    const back = parseHevcDecoderConfig(built);
    assert.deepEqual(back.sps, [x.sps]);
  }
  assert.throws(() => buildHevcDecoderConfig([], [], []), CodecError);
});
