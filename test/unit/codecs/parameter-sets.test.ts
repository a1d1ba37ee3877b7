// H.264 and HEVC parameter sets from libx264 / libx265 and hand-made ones checked with ffmpeg's trace_headers:
// constraint-flag profiles, bit depths, chroma formats, cropping, VUI frame rate, HEVC VPS timing, scaling
// lists and predicted reference picture sets, PPS fields. Expected values are what ffprobe / trace_headers say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/codecs/codec-error.js';
import { avcLevelName, avcProfileName, parsePps, parseSps } from '../../../src/codecs/h264.js';
import {
  hevcLevelName,
  hevcProfileIdcOf,
  hevcProfileName,
  parseHevcPps,
  parseHevcSps,
  parseHevcVps,
} from '../../../src/codecs/h265.js';
import { AVC, HEVC, HEVC_VPS_TIMING, hex, withConstraintFlags } from './codec-fixtures.js';

test('H.264 SPS from x264: profile with constraint flags, level, size after cropping, fps, depth, chroma', () => {
  for (const [name, f] of Object.entries(AVC)) {
    const sps = parseSps(f.sps);
    assert.equal(avcProfileName(sps.profileIdc, sps.constraintFlags), f.info.profile, name);
    assert.equal(avcLevelName(sps.levelIdc, sps.profileIdc, sps.constraintFlags), f.info.level, name);
    assert.equal(sps.width, f.info.width, name);
    assert.equal(sps.height, f.info.height, name);
    assert.equal(sps.fps, f.info.fps, name);
    assert.equal(sps.timeScale! / sps.numUnitsInTick!, 60000 / 1001, `${name}: the exact timing is kept`);
    assert.equal(sps.bitDepthLuma, f.bitDepth, name);
    assert.equal(sps.chromaFormatIdc, f.chromaFormatIdc, name);
  }
  assert.deepEqual(parseSps(AVC.mainCropped!.sps).crop, { left: 0, right: 1, top: 0, bottom: 1 });
});

test('H.264 profiles a constraint flag defines (14496-10 A.2) and level 1b', () => {
  const high = AVC.high10!.sps; // profile 110
  const cases: Array<[number, number, string]> = [
    [66, 0x00, 'Baseline'],
    [66, 0x40, 'Constrained Baseline'],
    [66, 0xc0, 'Constrained Baseline'],
    [77, 0x40, 'Main'],
    [100, 0x00, 'High'],
    [100, 0x08, 'Progressive High'],
    [100, 0x0c, 'Constrained High'],
    [110, 0x00, 'High 10'],
    [110, 0x10, 'High 10 Intra'],
    [110, 0x08, 'Progressive High 10'],
    [122, 0x10, 'High 4:2:2 Intra'],
    [244, 0x00, 'High 4:4:4 Predictive'],
    [244, 0x10, 'High 4:4:4 Intra'],
  ];
  for (const [idc, flags, name] of cases) assert.equal(avcProfileName(idc, flags), name, `${idc}/${flags.toString(16)}`);
  // the flags as the SPS carries them
  assert.equal(avcProfileName(parseSps(withConstraintFlags(high, 0x10)).profileIdc, 0x10), 'High 10 Intra');
  const x264High = hex('6764000dacd94141fb011000000300100000030320f1429960');
  const constrainedHigh = parseSps(withConstraintFlags(x264High, 0x0c));
  assert.equal(avcProfileName(constrainedHigh.profileIdc, constrainedHigh.constraintFlags), 'Constrained High');
  assert.equal(constrainedHigh.width, 320, 'the rest of the SPS is unchanged');
  // level_idc 11 with constraint_set3 is level 1b in Baseline / Main / Extended, 1.1 elsewhere
  const b1b = parseSps(withConstraintFlags(AVC.constrainedBaseline!.sps, 0xd0, 11));
  assert.equal(avcLevelName(b1b.levelIdc, b1b.profileIdc, b1b.constraintFlags), '1b');
  assert.equal(avcLevelName(11, 100, 0x10), '1.1');
  assert.equal(avcLevelName(11, 66, 0x40), '1.1');
  assert.equal(avcLevelName(9), '1b');
});

test('H.264 PPS: ids and entropy coding; other NAL units and truncation are CodecError', () => {
  for (const [name, f] of Object.entries(AVC)) {
    const pps = parsePps(f.pps);
    assert.deepEqual([pps.ppsId, pps.spsId, pps.cabac, pps.numSliceGroups], [0, 0, f.cabac, 1], name);
  }
  assert.throws(() => parsePps(AVC.high10!.sps), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  assert.throws(() => parsePps(hex('68')), CodecError);
  assert.throws(() => parsePps(hex('6800')), CodecError, 'exp-Golomb code running off the end');
});

test('HEVC SPS from x265 and hand-made: profile, level, size, depth, chroma format, VUI timing', () => {
  for (const [name, f] of Object.entries(HEVC)) {
    const sps = parseHevcSps(f.sps);
    assert.equal(hevcProfileName(sps.profileIdc), f.info.profile, name);
    assert.equal(hevcLevelName(sps.levelIdc), f.info.level, name);
    assert.equal(sps.width, f.info.width, name);
    assert.equal(sps.height, f.info.height, name);
    assert.equal(sps.fps, f.info.fps, name);
    assert.equal(sps.bitDepthLuma, f.bitDepth, name);
    assert.equal(sps.chromaFormatIdc, f.chromaFormatIdc, name);
  }
  // the fields behind the scaling lists, PCM, three reference picture sets and the long-term pictures
  const crafted = parseHevcSps(HEVC.crafted!.sps);
  assert.deepEqual([crafted.sarWidth, crafted.sarHeight, crafted.videoFullRange], [4, 3, true]);
  assert.deepEqual([crafted.numUnitsInTick, crafted.timeScale], [1001, 60000]);
  assert.equal(parseHevcSps(HEVC.main!.sps).timeScale, 30000);
});

test('HEVC SPS: a truncated tail keeps the picture size; a truncated head is CodecError', () => {
  const sps = HEVC.crafted!.sps;
  for (let n = 24; n < sps.length; n++) {
    const cut = parseHevcSps(sps.subarray(0, n));
    assert.equal(cut.width, 352, `cut at ${n}`);
    if (n < sps.length - 12) assert.equal(cut.fps, undefined, `no timing when cut at ${n}`);
  }
  for (let n = 0; n < 20; n++) assert.throws(() => parseHevcSps(sps.subarray(0, n)), CodecError, `cut at ${n}`);
});

test('HEVC VPS: ids, sub-layers, profile, and the timing info when written', () => {
  const vps = parseHevcVps(HEVC.main!.vps);
  assert.deepEqual([vps.vpsId, vps.maxLayers, vps.maxSubLayers, vps.temporalIdNesting], [0, 1, 1, true]);
  assert.deepEqual([vps.profileIdc, vps.levelIdc, vps.fps], [1, 60, undefined]);
  assert.equal(parseHevcVps(HEVC.rext422p10!.vps).profileIdc, 4);
  const timed = parseHevcVps(HEVC_VPS_TIMING);
  assert.deepEqual([timed.numUnitsInTick, timed.timeScale, timed.fps], [1001, 30000, 29.97]);
  assert.throws(() => parseHevcVps(HEVC.main!.sps), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  for (let n = 0; n < 17; n++) assert.throws(() => parseHevcVps(HEVC_VPS_TIMING.subarray(0, n)), CodecError, `cut at ${n}`);
});

test('HEVC PPS and the profile from compatibility flags', () => {
  assert.deepEqual(parseHevcPps(HEVC.main!.pps), {
    ppsId: 0,
    spsId: 0,
    dependentSliceSegmentsEnabled: false,
    outputFlagPresent: false,
    numExtraSliceHeaderBits: 0,
  });
  assert.throws(() => parseHevcPps(HEVC.main!.vps), CodecError);
  assert.throws(() => parseHevcPps(hex('4401')), CodecError);
  assert.equal(hevcProfileIdcOf(0, 0x20000000), 2, 'general_profile_compatibility_flag[2]: Main 10');
  assert.equal(hevcProfileIdcOf(0, 0x60000000), 1);
  assert.equal(hevcProfileIdcOf(1, 0x60000000), 1);
  assert.equal(hevcProfileIdcOf(0, 0), 0);
});
