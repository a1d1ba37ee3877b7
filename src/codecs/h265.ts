// H.265 / HEVC bitstream helpers: NAL unit types (ISO/IEC 23008-2 7.4.2.2), the sequence parameter set
// up to the picture size (23008-2 7.3.2.2.1, profile_tier_level 7.3.3) and the
// HEVCDecoderConfigurationRecord 'hvcC' (ISO/IEC 14496-15 8.3.3.1). Pure functions, no I/O.

import { VideoCodec, type VideoInfo } from '../core/frame.js';
import { BitReader, CodecError, removeEmulationPrevention } from './h264.js';

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

/** Fields of an HEVC sequence parameter set, up to the bit depths. Sizes are after the conformance window. */
export interface HevcSps {
  vpsId: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  profileSpace: number;
  /** 0 Main tier, 1 High tier */
  tier: number;
  profileIdc: number;
  profileCompatibilityFlags: number;
  levelIdc: number;
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

/** Size in bits of the general (or a sub-layer) profile fields before the level, 7.3.3. */
const PTL_PROFILE_BITS = 88;
const PTL_LEVEL_BITS = 8;
/** Byte offset of the general profile_tier_level in the RBSP: 2-byte NAL header + 1 byte of ids/flags. */
const SPS_PTL_OFFSET = 3;
const PTL_GENERAL_BYTES = 12;

/** Skips profile_tier_level(1, maxNumSubLayersMinus1) after the general part has been read, 7.3.3. */
function skipSubLayers(r: BitReader, maxNumSubLayersMinus1: number): void {
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
}

/**
 * Parses an HEVC SPS NAL unit (with its 2-byte NAL header), 23008-2 7.3.2.2.1, as far as the bit depths.
 * Throws CodecError CODEC_INVALID when it is not an SPS or is truncated.
 */
export function parseHevcSps(sps: Buffer): HevcSps {
  if (sps.length < 2 || hevcNalType(sps[0]) !== HevcNalType.SPS) throw invalid('not an HEVC SPS NAL unit');
  const rbsp = removeEmulationPrevention(sps);
  if (rbsp.length < SPS_PTL_OFFSET + PTL_GENERAL_BYTES) throw invalid('HEVC SPS is truncated');
  const r = new BitReader(rbsp, 'HEVC SPS');
  r.skipBits(16); // NAL header
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw invalid(`HEVC SPS sps_max_sub_layers_minus1 ${maxSubLayersMinus1} is out of range`);
  const temporalIdNesting = r.readBit() === 1;
  // general profile_tier_level
  const profileSpace = r.readBits(2);
  const tier = r.readBit();
  const profileIdc = r.readBits(5);
  const profileCompatibilityFlags = r.readBits(32);
  r.skipBits(48); // progressive/interlaced/non-packed/frame-only flags + 44 constraint bits
  const levelIdc = r.readBits(8);
  skipSubLayers(r, maxSubLayersMinus1);
  const spsId = r.readUE();
  if (spsId > 15) throw invalid(`HEVC SPS id ${spsId} is out of range`);
  const chromaFormatIdc = r.readUE();
  if (chromaFormatIdc > 3) throw invalid(`HEVC SPS chroma_format_idc ${chromaFormatIdc} is out of range`);
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
  return {
    vpsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    profileSpace,
    tier,
    profileIdc,
    profileCompatibilityFlags,
    levelIdc,
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
  };
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

/** Codec details (profile, level, size) from an HEVCDecoderConfigurationRecord, for the APIs. */
export function hevcVideoInfo(record: Buffer): VideoInfo {
  const cfg = parseHevcDecoderConfig(record);
  return { codec: VideoCodec.H265, profile: cfg.profile, level: cfg.level, width: cfg.width, height: cfg.height };
}
