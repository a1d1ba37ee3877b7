// H.265 / HEVC bitstream helpers: NAL unit types (ISO/IEC 23008-2 7.4.2.2), the parameter sets (VPS 7.3.2.1,
// SPS 7.3.2.2.1 up to the VUI timing info E.2.1, the leading fields of the PPS 7.3.2.3.1, profile_tier_level
// 7.3.3) and the HEVCDecoderConfigurationRecord 'hvcC' (ISO/IEC 14496-15 8.3.3.1). Pure functions, no I/O.

import { VideoCodec, type VideoInfo } from '../core/frame.js';
import { BitReader, removeEmulationPrevention } from './bit-reader.js';
import { CodecError } from './codec-error.js';
import { readTimingInfo, readVuiHead, type VuiPicture, type VuiTiming } from './vui.js';

/** nal_unit_type, 23008-2 Table 7-1. */
export enum HevcNalType {
  TRAIL_N = 0,
  TRAIL_R = 1,
  TSA_N = 2,
  TSA_R = 3,
  STSA_N = 4,
  STSA_R = 5,
  RADL_N = 6,
  RADL_R = 7,
  RASL_N = 8,
  RASL_R = 9,
  BLA_W_LP = 16,
  BLA_W_RADL = 17,
  BLA_N_LP = 18,
  IDR_W_RADL = 19,
  IDR_N_LP = 20,
  CRA_NUT = 21,
  RSV_IRAP_22 = 22,
  RSV_IRAP_23 = 23,
  VPS = 32,
  SPS = 33,
  PPS = 34,
  AUD = 35,
  EOS = 36,
  EOB = 37,
  FD = 38,
  PREFIX_SEI = 39,
  SUFFIX_SEI = 40,
}

/** general_profile_idc values, 23008-2 Annex A. */
export enum HevcProfile {
  Main = 1,
  Main10 = 2,
  MainStillPicture = 3,
  RangeExtensions = 4,
  HighThroughput = 5,
  MultiviewMain = 6,
  ScalableMain = 7,
  Main3d = 8,
  ScreenContent = 9,
  ScalableRangeExtensions = 10,
  HighThroughputScreenContent = 11,
}

/** nal_unit_type of an HEVC NAL unit from the first byte of its 2-byte header. */
export function hevcNalType(firstByte: number): HevcNalType {
  return (firstByte >> 1) & 0x3f;
}

/** IRAP pictures (BLA, IDR, CRA and the reserved IRAP types 22, 23) are random access points. */
export function isHevcKeyframe(nalType: number): boolean {
  return nalType >= HevcNalType.BLA_W_LP && nalType <= HevcNalType.RSV_IRAP_23;
}

function invalid(message: string): CodecError {
  return new CodecError('CODEC_INVALID', message);
}

/** Human name of a general_profile_idc ('Main', 'Main 10', 'Rext', ...). */
export function hevcProfileName(profileIdc: number): string {
  switch (profileIdc) {
    case HevcProfile.Main:
      return 'Main';
    case HevcProfile.Main10:
      return 'Main 10';
    case HevcProfile.MainStillPicture:
      return 'Main Still Picture';
    case HevcProfile.RangeExtensions:
      return 'Rext';
    case HevcProfile.HighThroughput:
      return 'High Throughput';
    case HevcProfile.MultiviewMain:
      return 'Multiview Main';
    case HevcProfile.ScalableMain:
      return 'Scalable Main';
    case HevcProfile.Main3d:
      return '3D Main';
    case HevcProfile.ScreenContent:
      return 'Screen Content';
    case HevcProfile.ScalableRangeExtensions:
      return 'Scalable Rext';
    case HevcProfile.HighThroughputScreenContent:
      return 'High Throughput Screen Content';
    default:
      return 'Unknown';
  }
}

/** general_level_idc (30 x level) as text: 93 -> '3.1', 120 -> '4'. */
export function hevcLevelName(levelIdc: number): string {
  return String(Math.round(levelIdc / 3) / 10);
}

/**
 * The profile of a general_profile_idc and its compatibility flags (7.4.4): an encoder may leave the
 * profile_idc 0 and say the profile with general_profile_compatibility_flag[j] only.
 */
export function hevcProfileIdcOf(profileIdc: number, compatibilityFlags: number): number {
  if (profileIdc !== 0) return profileIdc;
  for (let j = 1; j < 32; j++) if ((compatibilityFlags >>> (31 - j)) & 1) return j;
  return 0;
}

/** The general part of profile_tier_level() (7.3.3). */
export interface HevcProfileTierLevel {
  profileSpace: number;
  /** 0 Main tier, 1 High tier */
  tier: number;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the MSB */
  profileCompatibilityFlags: number;
  levelIdc: number;
}

/** Size in bits of the general (or a sub-layer) profile fields before the level, 7.3.3. */
const PTL_PROFILE_BITS = 88;
const PTL_LEVEL_BITS = 8;
/** general_progressive_source_flag .. general_inbld_flag / reserved bit: 4 flags and 44 constraint bits. */
const PTL_CONSTRAINT_BITS = 48;
const MAX_SUB_LAYERS_MINUS1 = 6;

/** Reads profile_tier_level(1, maxNumSubLayersMinus1), 7.3.3: the general part, the sub-layers skipped. */
function readProfileTierLevel(r: BitReader, maxNumSubLayersMinus1: number): HevcProfileTierLevel {
  const profileSpace = r.readBits(2);
  const tier = r.readBit();
  const profileIdc = r.readBits(5);
  const profileCompatibilityFlags = r.readBits(32);
  r.skipBits(PTL_CONSTRAINT_BITS);
  const levelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    profilePresent.push(r.readBit() === 1);
    levelPresent.push(r.readBit() === 1);
  }
  if (maxNumSubLayersMinus1 > 0) {
    for (let i = maxNumSubLayersMinus1; i < 8; i++) r.skipBits(2); // reserved_zero_2bits
  }
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(PTL_PROFILE_BITS);
    if (levelPresent[i]) r.skipBits(PTL_LEVEL_BITS);
  }
  return { profileSpace, tier, profileIdc, profileCompatibilityFlags, levelIdc };
}

/** Skips the sub-layer ordering info of a VPS or SPS (7.3.2.1, 7.3.2.2.1). */
function skipSubLayerOrdering(r: BitReader, maxSubLayersMinus1: number): void {
  const all = r.readBit() === 1; // *_sub_layer_ordering_info_present_flag
  for (let i = all ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.readUE(); // max_dec_pic_buffering_minus1
    r.readUE(); // max_num_reorder_pics
    r.readUE(); // max_latency_increase_plus1
  }
}

/** Fields of an HEVC video parameter set (7.3.2.1) up to its timing info. */
export interface HevcVps extends HevcProfileTierLevel, VuiTiming {
  vpsId: number;
  maxLayers: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
}

const MAX_LAYER_SETS = 1024;

/**
 * Parses a VPS NAL unit (with its 2-byte NAL header), 23008-2 7.3.2.1, up to vps_timing_info.
 * Throws CodecError CODEC_INVALID when it is not a VPS or is truncated before its profile_tier_level ends;
 * a truncated tail (layer sets, timing) leaves the fields before it.
 */
export function parseHevcVps(vps: Buffer): HevcVps {
  if (vps.length < 2 || hevcNalType(vps[0]) !== HevcNalType.VPS) throw invalid('not an HEVC VPS NAL unit');
  const r = new BitReader(removeEmulationPrevention(vps), 'HEVC VPS');
  r.skipBits(16); // NAL header
  const vpsId = r.readBits(4);
  r.skipBits(2); // vps_base_layer_internal_flag, vps_base_layer_available_flag
  const maxLayersMinus1 = r.readBits(6);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > MAX_SUB_LAYERS_MINUS1) {
    throw invalid(`HEVC VPS vps_max_sub_layers_minus1 ${maxSubLayersMinus1} is out of range`);
  }
  const temporalIdNesting = r.readBit() === 1;
  r.skipBits(16); // vps_reserved_0xffff_16bits
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const out: HevcVps = {
    vpsId,
    maxLayers: maxLayersMinus1 + 1,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    ...ptl,
  };
  try {
    skipSubLayerOrdering(r, maxSubLayersMinus1);
    const maxLayerId = r.readBits(6);
    const numLayerSetsMinus1 = r.readUEMax(MAX_LAYER_SETS - 1, 'vps_num_layer_sets_minus1');
    r.skipBits(numLayerSetsMinus1 * (maxLayerId + 1)); // layer_id_included_flag[i][j]
    if (r.readBit()) readTimingInfo(r, out, 1);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return out;
}

/** Fields of an HEVC sequence parameter set up to the VUI timing info. Sizes are after the conformance window. */
export interface HevcSps extends HevcProfileTierLevel, VuiPicture, VuiTiming {
  vpsId: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  /** the 12 bytes of general_profile_space .. general_level_idc, as hvcC stores them */
  generalProfileTierLevel: Buffer;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  codedWidth: number;
  codedHeight: number;
  conformanceWindow: { left: number; right: number; top: number; bottom: number };
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** Byte offset of the general profile_tier_level in the RBSP: 2-byte NAL header + 1 byte of ids/flags. */
const SPS_PTL_OFFSET = 3;
const PTL_GENERAL_BYTES = 12;
const MAX_SHORT_TERM_REF_PIC_SETS = 64;
/** sps_max_dec_pic_buffering_minus1 + 1 is at most 16 (A.4.2): no reference picture set holds more. */
const MAX_DPB_PICS = 16;
const MAX_LONG_TERM_REF_PICS = 32;
/** Skips scaling_list_data(), 7.3.4. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.readBit()) {
        r.readUE(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.readSE(); // scaling_list_dc_coef_minus8
      for (let i = 0; i < coefNum; i++) r.readSE(); // scaling_list_delta_coef
    }
  }
}

/** A short-term reference picture set as 7.4.8 derives it: the POC deltas before and after the picture. */
interface ShortTermRps {
  s0: number[];
  s1: number[];
}

/**
 * Reads st_ref_pic_set(idx) as it stands in an SPS (7.3.7) and derives its POC deltas (7.4.8), which the
 * next set may be predicted from: how many flags that set carries depends on them.
 */
function readShortTermRps(r: BitReader, idx: number, sets: ShortTermRps[]): ShortTermRps {
  if (idx !== 0 && r.readBit()) {
    // inter_ref_pic_set_prediction_flag: in an SPS the reference is the previous set (delta_idx_minus1 = 0)
    const ref = sets[idx - 1];
    const sign = r.readBit();
    const deltaRps = (1 - 2 * sign) * (r.readUEMax(2 ** 15 - 1, 'abs_delta_rps_minus1') + 1);
    const n = ref.s0.length + ref.s1.length;
    const useDelta: boolean[] = [];
    for (let j = 0; j <= n; j++) {
      const used = r.readBit() === 1; // used_by_curr_pic_flag
      useDelta.push(used || r.readBit() === 1); // use_delta_flag, inferred 1 when used
    }
    const s0: number[] = [];
    const s1: number[] = [];
    const n0 = ref.s0.length;
    // (7-61)
    for (let j = ref.s1.length - 1; j >= 0; j--) {
      const d = ref.s1[j] + deltaRps;
      if (d < 0 && useDelta[n0 + j]) s0.push(d);
    }
    if (deltaRps < 0 && useDelta[n]) s0.push(deltaRps);
    for (let j = 0; j < n0; j++) {
      const d = ref.s0[j] + deltaRps;
      if (d < 0 && useDelta[j]) s0.push(d);
    }
    // (7-62)
    for (let j = n0 - 1; j >= 0; j--) {
      const d = ref.s0[j] + deltaRps;
      if (d > 0 && useDelta[j]) s1.push(d);
    }
    if (deltaRps > 0 && useDelta[n]) s1.push(deltaRps);
    for (let j = 0; j < ref.s1.length; j++) {
      const d = ref.s1[j] + deltaRps;
      if (d > 0 && useDelta[n0 + j]) s1.push(d);
    }
    if (s0.length > MAX_DPB_PICS || s1.length > MAX_DPB_PICS) {
      throw invalid('HEVC SPS short-term reference picture set holds more pictures than a decoder keeps');
    }
    return { s0, s1 };
  }
  const negative = r.readUEMax(MAX_DPB_PICS, 'num_negative_pics');
  const positive = r.readUEMax(MAX_DPB_PICS, 'num_positive_pics');
  const s0: number[] = [];
  const s1: number[] = [];
  let poc = 0;
  for (let i = 0; i < negative; i++) {
    poc -= r.readUEMax(2 ** 15 - 1, 'delta_poc_s0_minus1') + 1;
    r.skipBits(1); // used_by_curr_pic_s0_flag
    s0.push(poc);
  }
  poc = 0;
  for (let i = 0; i < positive; i++) {
    poc += r.readUEMax(2 ** 15 - 1, 'delta_poc_s1_minus1') + 1;
    r.skipBits(1); // used_by_curr_pic_s1_flag
    s1.push(poc);
  }
  return { s0, s1 };
}

/** vui_parameters() up to the timing info, E.2.1. */
function readVui(r: BitReader, out: HevcSps): void {
  readVuiHead(r, out);
  r.skipBits(3); // neutral_chroma_indication_flag, field_seq_flag, frame_field_info_present_flag
  if (r.readBit()) {
    for (let i = 0; i < 4; i++) r.readUE(); // default display window offsets
  }
  if (r.readBit()) readTimingInfo(r, out, 1);
}

/** The SPS fields between the bit depths and the VUI (7.3.2.2.1), then the VUI. */
function readSpsTail(r: BitReader, maxSubLayersMinus1: number, out: HevcSps): void {
  const log2MaxPocLsb = r.readUEMax(12, 'log2_max_pic_order_cnt_lsb_minus4') + 4;
  skipSubLayerOrdering(r, maxSubLayersMinus1);
  for (let i = 0; i < 6; i++) r.readUE(); // coding / transform block sizes, transform hierarchy depths
  if (r.readBit() && r.readBit()) skipScalingListData(r); // scaling_list_enabled, sps_scaling_list_data_present
  r.skipBits(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.readBit()) {
    // pcm_enabled_flag
    r.skipBits(8); // pcm sample bit depths
    r.readUE();
    r.readUE();
    r.skipBits(1); // pcm_loop_filter_disabled_flag
  }
  const numSets = r.readUEMax(MAX_SHORT_TERM_REF_PIC_SETS, 'num_short_term_ref_pic_sets');
  const sets: ShortTermRps[] = [];
  for (let i = 0; i < numSets; i++) sets.push(readShortTermRps(r, i, sets));
  if (r.readBit()) {
    // long_term_ref_pics_present_flag
    const n = r.readUEMax(MAX_LONG_TERM_REF_PICS, 'num_long_term_ref_pics_sps');
    r.skipBits(n * (log2MaxPocLsb + 1)); // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
  }
  r.skipBits(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (r.readBit()) readVui(r, out);
}

/**
 * Parses an HEVC SPS NAL unit (with its 2-byte NAL header), 23008-2 7.3.2.2.1, up to the VUI timing info.
 * Throws CodecError CODEC_INVALID when it is not an SPS or is truncated before the bit depths; what follows
 * them (reference picture sets, VUI) is optional information: a truncated tail leaves the fields before it.
 */
export function parseHevcSps(sps: Buffer): HevcSps {
  if (sps.length < 2 || hevcNalType(sps[0]) !== HevcNalType.SPS) throw invalid('not an HEVC SPS NAL unit');
  const rbsp = removeEmulationPrevention(sps);
  if (rbsp.length < SPS_PTL_OFFSET + PTL_GENERAL_BYTES) throw invalid('HEVC SPS is truncated');
  const r = new BitReader(rbsp, 'HEVC SPS');
  r.skipBits(16); // NAL header
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > MAX_SUB_LAYERS_MINUS1) {
    throw invalid(`HEVC SPS sps_max_sub_layers_minus1 ${maxSubLayersMinus1} is out of range`);
  }
  const temporalIdNesting = r.readBit() === 1;
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.readUEMax(15, 'sps_seq_parameter_set_id');
  const chromaFormatIdc = r.readUEMax(3, 'chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 ? r.readBit() === 1 : false;
  const codedWidth = r.readUE();
  const codedHeight = r.readUE();
  const win = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readBit()) {
    win.left = r.readUE();
    win.right = r.readUE();
    win.top = r.readUE();
    win.bottom = r.readUE();
  }
  const bitDepthLuma = r.readUE() + 8;
  const bitDepthChroma = r.readUE() + 8;
  // Table 6-1: SubWidthC / SubHeightC; 1 for monochrome and separate planes
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidthC * (win.left + win.right);
  const height = codedHeight - subHeightC * (win.top + win.bottom);
  if (codedWidth === 0 || codedHeight === 0 || width <= 0 || height <= 0) {
    throw invalid(`HEVC SPS picture size ${codedWidth}x${codedHeight} (conformance window applied) is invalid`);
  }
  const out: HevcSps = {
    vpsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    ...ptl,
    generalProfileTierLevel: rbsp.subarray(SPS_PTL_OFFSET, SPS_PTL_OFFSET + PTL_GENERAL_BYTES),
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    codedWidth,
    codedHeight,
    conformanceWindow: win,
    width,
    height,
    bitDepthLuma,
    bitDepthChroma,
    sarWidth: 1,
    sarHeight: 1,
  };
  try {
    readSpsTail(r, maxSubLayersMinus1, out);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return out;
}

/** The leading fields of an HEVC picture parameter set (7.3.2.3.1): what a slice header parser needs first. */
export interface HevcPps {
  ppsId: number;
  spsId: number;
  dependentSliceSegmentsEnabled: boolean;
  outputFlagPresent: boolean;
  numExtraSliceHeaderBits: number;
}

/**
 * Parses the leading fields of an HEVC PPS NAL unit (with its 2-byte NAL header), 23008-2 7.3.2.3.1.
 * Throws CodecError CODEC_INVALID when it is not a PPS, is truncated or holds out-of-range ids.
 */
export function parseHevcPps(pps: Buffer): HevcPps {
  if (pps.length < 3 || hevcNalType(pps[0]) !== HevcNalType.PPS) throw invalid('not an HEVC PPS NAL unit');
  const r = new BitReader(removeEmulationPrevention(pps), 'HEVC PPS');
  r.skipBits(16); // NAL header
  const ppsId = r.readUEMax(63, 'pps_pic_parameter_set_id');
  const spsId = r.readUEMax(15, 'pps_seq_parameter_set_id');
  const dependentSliceSegmentsEnabled = r.readBit() === 1;
  const outputFlagPresent = r.readBit() === 1;
  const numExtraSliceHeaderBits = r.readBits(3);
  return { ppsId, spsId, dependentSliceSegmentsEnabled, outputFlagPresent, numExtraSliceHeaderBits };
}

/** An HEVCDecoderConfigurationRecord; the parameter sets are subarrays of the record. */
export interface HevcDecoderConfig {
  nalLengthSize: number;
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
  /** SEI NAL units from the record's arrays (prefix and suffix), if any */
  sei: Buffer[];
  profileIdc: number;
  tier: number;
  levelIdc: number;
  /** 'Main', 'Main 10', ... */
  profile: string;
  /** '3.1', '4', ... */
  level: string;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** from the first SPS after the conformance window; 0 when the record holds no SPS */
  width: number;
  height: number;
}

const HVCC_VERSION = 1;
const HVCC_HEADER_SIZE = 23;

/**
 * Parses an HEVCDecoderConfigurationRecord (14496-15 8.3.3.1.2); width and height come from the
 * first SPS. Throws CodecError CODEC_INVALID on a wrong version, truncation or an unreadable SPS.
 */
export function parseHevcDecoderConfig(record: Buffer): HevcDecoderConfig {
  if (record.length < HVCC_HEADER_SIZE) {
    throw invalid(`HEVC decoder configuration record is truncated (${record.length} bytes)`);
  }
  if (record[0] !== HVCC_VERSION) {
    throw invalid(`HEVC decoder configuration record has version ${record[0]}, expected ${HVCC_VERSION}`);
  }
  const nalLengthSize = (record[21] & 0x03) + 1;
  if (nalLengthSize === 3) throw invalid('HEVC decoder configuration record has a 3-byte NAL length size');
  const out: HevcDecoderConfig = {
    nalLengthSize,
    vps: [],
    sps: [],
    pps: [],
    sei: [],
    profileIdc: record[1] & 0x1f,
    tier: (record[1] >> 5) & 1,
    levelIdc: record[12],
    profile: hevcProfileName(record[1] & 0x1f),
    level: hevcLevelName(record[12]),
    chromaFormatIdc: record[16] & 0x03,
    bitDepthLuma: (record[17] & 0x07) + 8,
    bitDepthChroma: (record[18] & 0x07) + 8,
    width: 0,
    height: 0,
  };
  const numArrays = record[22];
  let p = HVCC_HEADER_SIZE;
  for (let a = 0; a < numArrays; a++) {
    if (p + 3 > record.length) throw invalid('HEVC decoder configuration record is truncated in its NAL arrays');
    const type = record[p] & 0x3f;
    const count = record.readUInt16BE(p + 1);
    p += 3;
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) throw invalid('HEVC decoder configuration record is truncated in a NAL length');
      const len = record.readUInt16BE(p);
      p += 2;
      if (p + len > record.length) throw invalid(`HEVC decoder configuration record is truncated in a ${len}-byte NAL unit`);
      const nal = record.subarray(p, p + len);
      p += len;
      if (len === 0) continue;
      if (type === HevcNalType.VPS) out.vps.push(nal);
      else if (type === HevcNalType.SPS) out.sps.push(nal);
      else if (type === HevcNalType.PPS) out.pps.push(nal);
      else if (type === HevcNalType.PREFIX_SEI || type === HevcNalType.SUFFIX_SEI) out.sei.push(nal);
    }
  }
  if (out.sps.length > 0) {
    const sps = parseHevcSps(out.sps[0]);
    out.width = sps.width;
    out.height = sps.height;
  }
  return out;
}

/**
 * Builds an HEVCDecoderConfigurationRecord with 4-byte NAL lengths from the parameter sets (NAL units
 * with their 2-byte header). The profile, tier, level, chroma format and bit depths come from the first SPS.
 * Throws CodecError CODEC_INVALID when the first SPS cannot be read.
 */
export function buildHevcDecoderConfig(vps: Buffer[], sps: Buffer[], pps: Buffer[]): Buffer {
  if (sps.length === 0) throw invalid('an HEVC decoder configuration record needs an SPS');
  const info = parseHevcSps(sps[0]);
  const arrays: Array<[HevcNalType, Buffer[]]> = [
    [HevcNalType.VPS, vps],
    [HevcNalType.SPS, sps],
    [HevcNalType.PPS, pps],
  ];
  let size = HVCC_HEADER_SIZE;
  let numArrays = 0;
  for (const [, list] of arrays) {
    if (list.length === 0) continue;
    if (list.length > 0xffff) throw invalid('too many parameter sets for an HEVC decoder configuration record');
    numArrays++;
    size += 3;
    for (const n of list) {
      if (n.length > 0xffff) throw invalid('a parameter set is longer than 65535 bytes');
      size += 2 + n.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = HVCC_VERSION;
  info.generalProfileTierLevel.copy(out, 1);
  out.writeUInt16BE(0xf000, 13); // reserved 4 bits + min_spatial_segmentation_idc 0
  out[15] = 0xfc; // reserved 6 bits + parallelismType 0 (unknown)
  out[16] = 0xfc | info.chromaFormatIdc;
  out[17] = 0xf8 | ((info.bitDepthLuma - 8) & 7);
  out[18] = 0xf8 | ((info.bitDepthChroma - 8) & 7);
  out.writeUInt16BE(0, 19); // avgFrameRate unspecified
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
  out[21] = (info.maxSubLayers << 3) | ((info.temporalIdNesting ? 1 : 0) << 2) | 3;
  out[22] = numArrays;
  let p = HVCC_HEADER_SIZE;
  for (const [type, list] of arrays) {
    if (list.length === 0) continue;
    out[p] = 0x80 | type; // array_completeness 1
    out.writeUInt16BE(list.length, p + 1);
    p += 3;
    for (const n of list) {
      out.writeUInt16BE(n.length, p);
      n.copy(out, p + 2);
      p += 2 + n.length;
    }
  }
  return out;
}

/**
 * Codec details from an HEVCDecoderConfigurationRecord, for the APIs: profile, level, size after the
 * conformance window and the VUI frame rate, read from the first SPS (else the VPS timing); the record's
 * own profile and level when it holds no SPS. Throws CodecError CODEC_INVALID when it cannot be read.
 */
export function hevcVideoInfo(record: Buffer): VideoInfo {
  const cfg = parseHevcDecoderConfig(record);
  if (cfg.sps.length === 0) {
    return { codec: VideoCodec.H265, profile: cfg.profile, level: cfg.level, width: 0, height: 0 };
  }
  const sps = parseHevcSps(cfg.sps[0]);
  const info: VideoInfo = {
    codec: VideoCodec.H265,
    profile: hevcProfileName(hevcProfileIdcOf(sps.profileIdc, sps.profileCompatibilityFlags)),
    level: hevcLevelName(sps.levelIdc),
    width: sps.width,
    height: sps.height,
  };
  let fps = sps.fps;
  if (fps === undefined && cfg.vps.length > 0) {
    try {
      fps = parseHevcVps(cfg.vps[0]).fps;
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  }
  if (fps !== undefined) info.fps = fps;
  return info;
}
