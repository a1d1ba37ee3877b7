// H.264 helpers: Annex B / AVCC framing, SPS parsing (x264 fixtures and a hand-made SPS checked with
// ffmpeg's trace_headers), AVCDecoderConfigurationRecord parse/build against ffmpeg's avcC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeEmulationPrevention } from '../../../src/codecs/bit-reader.js';
import { CodecError } from '../../../src/codecs/codec-error.js';
import {
  NalUnitType,
  annexBToAvcc,
  avcLevelName,
  avcProfileName,
  avcVideoInfo,
  buildAvcDecoderConfig,
  forEachAvccNalu,
  parseAvcDecoderConfig,
  parseSps,
  splitAnnexB,
  splitAvcc,
} from '../../../src/codecs/h264.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** SPS written by libx264 (ffmpeg -f lavfi -i testsrc=size=WxH -c:v libx264 -f h264). */
const SPS = {
  s320: hex('6764000dacd94141fb011000000300100000030320f1429960'),
  s720: hex('6764001facd9405005bb011000000300100000030320f1831960'),
  s1080: hex('67640028acd940780227e5c044000003000400000300c83c60c658'),
  s1080i: hex('67640028acd94078044fde0220000003002000000643e2c5b2c0'),
  s480b: hex('6742c01ed900d83de6f011000003000100000300320f162e48'),
  s444: hex('67f4000d919b282a10f1f1f808800000030080000019078a14cb'),
  s422: hex('677a001ebcd940a02ff89c0440000003004000000c83c58b6580'),
  // hand-made: High, seq scaling lists (one explicit 4x4, one "use default", one 8x8 ending in 0),
  // pic_order_cnt_type 1 with large offsets (4 emulation prevention bytes), 1280x720 cropped by l2 r6 t1 b3
  crafted: hex(
    '67640028ad840e2a8a38cc82058c4890884c510a4628e404ea00000300800001000003020000030300000400000302ca02802dece888',
  ),
};
const PPS_320 = hex('68ebe3cb22c0');
/** The avcC ffmpeg's mp4 muxer wrote for s320 (with the High profile extension) and s480b. */
const AVCC_320 = hex(
  '0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800',
);
const AVCC_480B = hex('0142c01effe100196742c01ed900d83de6f011000003000100000300320f162e4801000568cb83cb20');

test('removeEmulationPrevention drops 0x03 after two zero bytes only', () => {
  assert.deepEqual(removeEmulationPrevention(hex('0000030100000302')), hex('000001000002'));
  assert.deepEqual(removeEmulationPrevention(hex('000003000003')), hex('00000000'));
  const plain = hex('67640003');
  assert.equal(removeEmulationPrevention(plain), plain, 'returns the input when there is nothing to remove');
});

test('splitAnnexB handles 3- and 4-byte start codes, garbage before the first and trailing zeros', () => {
  const buf = hex('aabb' + '00000001' + '0910' + '000001' + '6742' + '0000' + '00000001' + '65888001' + '000000');
  const nalus = splitAnnexB(buf);
  assert.deepEqual(nalus.map((n) => n.toString('hex')), ['0910', '6742', '65888001']);
  for (const n of nalus) assert.equal(n.buffer, buf.buffer, 'subarrays, not copies');
  assert.deepEqual(splitAnnexB(hex('0102030405')), []);
  assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
  assert.deepEqual(splitAnnexB(hex('000001')), []);
  // a 00 00 02 inside a NAL unit is not a start code
  assert.deepEqual(splitAnnexB(hex('000001' + '0600000201')).map((n) => n.toString('hex')), ['0600000201']);
});

test('annexBToAvcc and forEachAvccNalu round trip', () => {
  const nalus = [hex('0910'), hex('6742c01e'), hex('65' + 'ab'.repeat(300))];
  const avcc = annexBToAvcc(nalus);
  assert.equal(avcc.length, 4 * 3 + 2 + 4 + 301);
  assert.equal(avcc.readUInt32BE(0), 2);
  const seen: string[] = [];
  forEachAvccNalu(avcc, 4, (n) => seen.push(n.toString('hex')));
  assert.deepEqual(seen, nalus.map((n) => n.toString('hex')));
  assert.deepEqual(splitAvcc(hex('0002' + '0910' + '0001' + '06'), 2).map((n) => n.toString('hex')), ['0910', '06']);
  assert.throws(() => splitAvcc(avcc.subarray(0, avcc.length - 1)), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  assert.throws(() => splitAvcc(hex('000000')), CodecError);
  assert.throws(() => splitAvcc(avcc, 5), CodecError);
});

test('parseSps reads the picture size of x264 SPS (cropping, interlace, chroma formats)', () => {
  const cases: Array<[keyof typeof SPS, number, number, number, number, string, string]> = [
    ['s320', 320, 240, 320, 240, 'High', '1.3'],
    ['s720', 1280, 720, 1280, 720, 'High', '3.1'],
    ['s1080', 1920, 1080, 1920, 1088, 'High', '4'],
    ['s1080i', 1920, 1080, 1920, 1088, 'High', '4'],
    ['s480b', 854, 480, 864, 480, 'Constrained Baseline', '3'],
    ['s444', 322, 242, 336, 256, 'High 4:4:4 Predictive', '1.3'],
    ['s422', 640, 360, 640, 368, 'High 4:2:2', '3'],
    ['crafted', 1264, 712, 1280, 720, 'High', '4'],
  ];
  for (const [name, w, h, cw, ch, profile, level] of cases) {
    const sps = parseSps(SPS[name]);
    assert.equal(sps.width, w, `${name} width`);
    assert.equal(sps.height, h, `${name} height`);
    assert.equal(sps.codedWidth, cw, `${name} coded width`);
    assert.equal(sps.codedHeight, ch, `${name} coded height`);
    assert.equal(avcProfileName(sps.profileIdc, sps.constraintFlags), profile, `${name} profile`);
    assert.equal(avcLevelName(sps.levelIdc), level, `${name} level`);
  }
  const s1080 = parseSps(SPS.s1080);
  assert.deepEqual(s1080.crop, { left: 0, right: 0, top: 0, bottom: 4 });
  assert.equal(parseSps(SPS.s1080i).frameMbsOnly, false);
  assert.equal(parseSps(SPS.s444).chromaFormatIdc, 3);
  assert.equal(parseSps(SPS.s422).chromaFormatIdc, 2);
  assert.equal(parseSps(SPS.s320).fps, 25);
  const crafted = parseSps(SPS.crafted);
  assert.equal(crafted.picOrderCntType, 1);
  assert.equal(crafted.maxNumRefFrames, 4);
  assert.deepEqual(crafted.crop, { left: 2, right: 6, top: 1, bottom: 3 });
});

test('parseSps rejects other NAL units and truncation with CodecError', () => {
  assert.throws(() => parseSps(PPS_320), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  for (let n = 0; n < 9; n++) {
    assert.throws(() => parseSps(SPS.s320.subarray(0, n)), CodecError, `truncated at ${n}`);
  }
  // a truncated VUI (optional information) leaves the picture size readable
  const noVui = parseSps(SPS.s320.subarray(0, 9));
  assert.equal(noVui.width, 320);
  assert.equal(noVui.fps, undefined);
  assert.throws(() => parseSps(SPS.crafted.subarray(0, 30)), CodecError);
});

test('profile and level names', () => {
  assert.equal(avcProfileName(66), 'Baseline');
  assert.equal(avcProfileName(77), 'Main');
  assert.equal(avcProfileName(100), 'High');
  assert.equal(avcProfileName(110), 'High 10');
  assert.equal(avcProfileName(1), 'Unknown');
  assert.equal(avcLevelName(31), '3.1');
  assert.equal(avcLevelName(51), '5.1');
  assert.equal(avcLevelName(9), '1b');
  assert.equal(avcLevelName(40), '4');
});

test('buildAvcDecoderConfig matches the avcC ffmpeg writes', () => {
  assert.deepEqual(buildAvcDecoderConfig([SPS.s320], [PPS_320]), AVCC_320);
  assert.deepEqual(buildAvcDecoderConfig([SPS.s480b], [hex('68cb83cb20')]), AVCC_480B);
  assert.throws(() => buildAvcDecoderConfig([], [PPS_320]), CodecError);
});

test('parseAvcDecoderConfig reads ffmpeg avcC and rejects truncation', () => {
  const cfg = parseAvcDecoderConfig(AVCC_320);
  assert.equal(cfg.nalLengthSize, 4);
  assert.equal(cfg.profileIdc, 100);
  assert.equal(cfg.levelIdc, 13);
  assert.deepEqual(cfg.sps, [SPS.s320]);
  assert.deepEqual(cfg.pps, [PPS_320]);
  assert.equal(cfg.sps[0].buffer, AVCC_320.buffer, 'parameter sets are subarrays');
  // every cut inside the parameter sets is reported; the optional High extension may be cut
  for (let n = 0; n < AVCC_480B.length; n++) {
    assert.throws(
      () => parseAvcDecoderConfig(AVCC_480B.subarray(0, n)),
      (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID',
      `truncated at ${n}`,
    );
  }
  const v2 = Buffer.from(AVCC_320);
  v2[0] = 2;
  assert.throws(() => parseAvcDecoderConfig(v2), /version 2/);
  assert.deepEqual(avcVideoInfo(AVCC_320), { codec: 7, profile: 'High', level: '1.3', width: 320, height: 240, fps: 25 });
  assert.equal(NalUnitType.IDR, 5);
  assert.equal(NalUnitType.AUD, 9);
});
