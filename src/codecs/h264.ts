// H.264 / AVC bitstream helpers: NAL units and Annex B byte streams (ISO/IEC 14496-10 7.3.1, Annex B),
// the sequence parameter set (14496-10 7.3.2.1.1, E.1.1 VUI) and the AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 5.3.3.1). Pure functions over Buffers, no I/O.

import { VideoCodec, type VideoInfo } from '../core/frame.js';
import { BitReader, removeEmulationPrevention } from './bit-reader.js';
import { CodecError } from './codec-error.js';
import { readTimingInfo, readVuiHead, type VuiPicture, type VuiTiming } from './vui.js';

/** nal_unit_type, 14496-10 Table 7-1. */
export enum NalUnitType {
  NonIdr = 1,
  PartitionA = 2,
  PartitionB = 3,
  PartitionC = 4,
  IDR = 5,
  SEI = 6,
  SPS = 7,
  PPS = 8,
  AUD = 9,
  EndOfSequence = 10,
  EndOfStream = 11,
  Filler = 12,
  SpsExtension = 13,
  Prefix = 14,
  SubsetSps = 15,
}

/** profile_idc values, 14496-10 Annex A. */
export enum AvcProfile {
  Baseline = 66,
  Main = 77,
  Extended = 88,
  High = 100,
  High10 = 110,
  High422 = 122,
  High444 = 244,
  Cavlc444 = 44,
  ScalableBaseline = 83,
  ScalableHigh = 86,
  MultiviewHigh = 118,
  StereoHigh = 128,
  MultiviewDepthHigh = 138,
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);


/** The 4-byte Annex B start code written by the builders. */
export const START_CODE = Buffer.from([0, 0, 0, 1]);

/** nal_unit_type of an H.264 NAL unit from its first byte. */
export function avcNalType(firstByte: number): NalUnitType {
  return firstByte & 0x1f;
}

function invalid(message: string): CodecError {
  return new CodecError('CODEC_INVALID', message);
}

/** Fields of an H.264 sequence parameter set. Sizes are after frame cropping. */
export interface AvcSps extends VuiPicture, VuiTiming {
  profileIdc: number;
  /** constraint_set0..5 flags as the byte that carries them */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  /** coded size in luma samples (macroblock multiple) */
  codedWidth: number;
  codedHeight: number;
  crop: { left: number; right: number; top: number; bottom: number };
  width: number;
  height: number;
}

function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const delta = r.readSE();
      nextScale = (lastScale + delta + 256) % 256;
    }
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/**
 * Parses an SPS NAL unit (starting with its NAL header byte), 14496-10 7.3.2.1.1.
 * Throws CodecError CODEC_INVALID when it is not an SPS or is truncated.
 */
export function parseSps(sps: Buffer): AvcSps {
  if (sps.length < 4 || avcNalType(sps[0]) !== NalUnitType.SPS) {
    throw invalid('not an H.264 SPS NAL unit');
  }
  const r = new BitReader(removeEmulationPrevention(sps), 'H.264 SPS');
  r.skipBits(8); // NAL header
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUE();
  if (spsId > 31) throw invalid(`H.264 SPS id ${spsId} is out of range`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUE();
    if (chromaFormatIdc > 3) throw invalid(`H.264 SPS chroma_format_idc ${chromaFormatIdc} is out of range`);
    if (chromaFormatIdc === 3) separateColourPlane = r.readBit() === 1;
    bitDepthLuma = r.readUE() + 8;
    bitDepthChroma = r.readUE() + 8;
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readBit()) {
      // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.readBit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  const log2MaxFrameNum = r.readUE() + 4;
  const picOrderCntType = r.readUE();
  if (picOrderCntType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) throw invalid('H.264 SPS num_ref_frames_in_pic_order_cnt_cycle is out of range');
    for (let i = 0; i < cycle; i++) r.readSE();
  } else if (picOrderCntType !== 2) {
    throw invalid(`H.264 SPS pic_order_cnt_type ${picOrderCntType} is out of range`);
  }
  const maxNumRefFrames = r.readUE();
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.readUE() + 1;
  const heightInMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readBit() === 1;
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readBit()) {
    crop.left = r.readUE();
    crop.right = r.readUE();
    crop.top = r.readUE();
    crop.bottom = r.readUE();
  }
  const codedWidth = widthInMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * heightInMapUnits * 16;
  // 7.4.2.1.1: crop units depend on ChromaArrayType and field coding
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const cropUnitX = chromaArrayType === 0 ? 1 : chromaArrayType === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * (frameMbsOnly ? 1 : 2);
  const width = codedWidth - cropUnitX * (crop.left + crop.right);
  const height = codedHeight - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw invalid('H.264 SPS frame cropping exceeds the picture size');

  const out: AvcSps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    maxNumRefFrames,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    crop,
    width,
    height,
    sarWidth: 1,
    sarHeight: 1,
  };
  // The VUI is optional information: a truncated one leaves the fields above intact.
  try {
    if (r.readBit()) parseVui(r, out);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return out;
}

/** vui_parameters() up to the timing info, 14496-10 E.1.1. */
function parseVui(r: BitReader, out: AvcSps): void {
  readVuiHead(r, out);
  if (r.readBit()) readTimingInfo(r, out, 2);
}

/** constraint_set0_flag .. constraint_set5_flag in the byte after profile_idc (7.3.2.1.1), MSB first. */
export const AVC_CONSTRAINT_SET0 = 0x80;
export const AVC_CONSTRAINT_SET1 = 0x40;
export const AVC_CONSTRAINT_SET3 = 0x10;
export const AVC_CONSTRAINT_SET4 = 0x08;
export const AVC_CONSTRAINT_SET5 = 0x04;

/**
 * Human name of a profile (14496-10 Annex A), with the profiles that a constraint flag defines:
 * Constrained Baseline (66 + set1, A.2.1.1), Progressive High (100 + set4, A.2.4.1), Constrained High
 * (100 + set4 + set5, A.2.4.2), Progressive High 10 (110 + set4), and the Intra profiles (set3 with 110,
 * 122, 244; A.2.8 - A.2.10). The other names are those ffprobe prints.
 */
export function avcProfileName(profileIdc: number, constraintFlags = 0): string {
  const set3 = (constraintFlags & AVC_CONSTRAINT_SET3) !== 0;
  const set4 = (constraintFlags & AVC_CONSTRAINT_SET4) !== 0;
  switch (profileIdc) {
    case AvcProfile.Baseline:
      return constraintFlags & AVC_CONSTRAINT_SET1 ? 'Constrained Baseline' : 'Baseline';
    case AvcProfile.Main:
      return 'Main';
    case AvcProfile.Extended:
      return 'Extended';
    case AvcProfile.High:
      if (!set4) return 'High';
      return constraintFlags & AVC_CONSTRAINT_SET5 ? 'Constrained High' : 'Progressive High';
    case AvcProfile.High10:
      return set3 ? 'High 10 Intra' : set4 ? 'Progressive High 10' : 'High 10';
    case AvcProfile.High422:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case AvcProfile.High444:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case AvcProfile.Cavlc444:
      return 'CAVLC 4:4:4 Intra';
    case AvcProfile.ScalableBaseline:
      return 'Scalable Baseline';
    case AvcProfile.ScalableHigh:
      return 'Scalable High';
    case AvcProfile.MultiviewHigh:
      return 'Multiview High';
    case AvcProfile.StereoHigh:
      return 'Stereo High';
    case AvcProfile.MultiviewDepthHigh:
      return 'Multiview Depth High';
    default:
      return 'Unknown';
  }
}

const LEVEL_1B_IDC = 9;
const LEVEL_11_IDC = 11;

/**
 * level_idc as text: 31 -> '3.1', 30 -> '3', 9 -> '1b'. Level 1b is also level_idc 11 with
 * constraint_set3 in the Baseline, Main and Extended profiles (A.3.1, 7.4.2.1.1).
 */
export function avcLevelName(levelIdc: number, profileIdc = 0, constraintFlags = 0): string {
  if (levelIdc === LEVEL_1B_IDC) return '1b';
  const lowProfile = profileIdc === AvcProfile.Baseline || profileIdc === AvcProfile.Main || profileIdc === AvcProfile.Extended;
  if (levelIdc === LEVEL_11_IDC && lowProfile && constraintFlags & AVC_CONSTRAINT_SET3) return '1b';
  const major = Math.floor(levelIdc / 10);
  const minor = levelIdc % 10;
  return minor === 0 ? `${major}` : `${major}.${minor}`;
}

/** The leading fields of an H.264 picture parameter set (7.3.2.2), up to the slice group count. */
export interface AvcPps {
  ppsId: number;
  spsId: number;
  /** entropy_coding_mode_flag: CABAC (true) or CAVLC (false) */
  cabac: boolean;
  bottomFieldPicOrderInFramePresent: boolean;
  numSliceGroups: number;
}

/**
 * Parses the leading fields of a PPS NAL unit (with its NAL header byte), 14496-10 7.3.2.2.
 * Throws CodecError CODEC_INVALID when it is not a PPS, is truncated or holds out-of-range ids.
 */
export function parsePps(pps: Buffer): AvcPps {
  if (pps.length < 2 || avcNalType(pps[0]) !== NalUnitType.PPS) throw invalid('not an H.264 PPS NAL unit');
  const r = new BitReader(removeEmulationPrevention(pps), 'H.264 PPS');
  r.skipBits(8); // NAL header
  const ppsId = r.readUEMax(255, 'pic_parameter_set_id');
  const spsId = r.readUEMax(31, 'seq_parameter_set_id');
  const cabac = r.readBit() === 1;
  const bottomFieldPicOrderInFramePresent = r.readBit() === 1;
  const numSliceGroups = r.readUEMax(7, 'num_slice_groups_minus1') + 1;
  return { ppsId, spsId, cabac, bottomFieldPicOrderInFramePresent, numSliceGroups };
}

/** An AVCDecoderConfigurationRecord; sps/pps are subarrays of the record. */
export interface AvcDecoderConfig {
  nalLengthSize: number;
  profileIdc: number;
  profileCompatibility: number;
  levelIdc: number;
  sps: Buffer[];
  pps: Buffer[];
}

const AVCC_VERSION = 1;

/**
 * Parses an AVCDecoderConfigurationRecord (14496-15 5.3.3.1). The parameter sets are subarrays
 * of `record`. Throws CodecError CODEC_INVALID on a wrong version or truncation.
 */
export function parseAvcDecoderConfig(record: Buffer): AvcDecoderConfig {
  if (record.length < 7) throw invalid(`AVC decoder configuration record is truncated (${record.length} bytes)`);
  if (record[0] !== AVCC_VERSION) {
    throw invalid(`AVC decoder configuration record has version ${record[0]}, expected ${AVCC_VERSION}`);
  }
  const nalLengthSize = (record[4] & 0x03) + 1;
  if (nalLengthSize === 3) throw invalid('AVC decoder configuration record has a 3-byte NAL length size');
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  let p = 5;
  const readSets = (count: number, into: Buffer[], what: string): void => {
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) throw invalid(`AVC decoder configuration record is truncated in its ${what} list`);
      const len = record.readUInt16BE(p);
      p += 2;
      if (p + len > record.length) throw invalid(`AVC decoder configuration record is truncated in an ${what}`);
      if (len > 0) into.push(record.subarray(p, p + len));
      p += len;
    }
  };
  readSets(record[p++] & 0x1f, sps, 'SPS');
  if (p >= record.length) throw invalid('AVC decoder configuration record is truncated before its PPS count');
  readSets(record[p++], pps, 'PPS');
  return {
    nalLengthSize,
    profileIdc: record[1],
    profileCompatibility: record[2],
    levelIdc: record[3],
    sps,
    pps,
  };
}

/**
 * Builds an AVCDecoderConfigurationRecord with 4-byte NAL lengths from the parameter sets
 * (NAL units with their header byte). For the High profiles the chroma format and bit depth
 * extension is appended, read from the first SPS.
 */
export function buildAvcDecoderConfig(sps: Buffer[], pps: Buffer[]): Buffer {
  if (sps.length === 0 || sps[0].length < 4) throw invalid('an AVC decoder configuration record needs an SPS');
  if (sps.length > 31) throw invalid('an AVC decoder configuration record holds at most 31 SPS');
  if (pps.length > 255) throw invalid('an AVC decoder configuration record holds at most 255 PPS');
  const first = sps[0];
  const profileIdc = first[1];
  const extended = profileIdc === 100 || profileIdc === 110 || profileIdc === 122 || profileIdc === 144;
  let size = 7 + (extended ? 4 : 0);
  for (const s of sps) size += 2 + s.length;
  for (const s of pps) size += 2 + s.length;
  for (const s of [...sps, ...pps]) {
    if (s.length > 0xffff) throw invalid('a parameter set is longer than 65535 bytes');
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = AVCC_VERSION;
  out[1] = profileIdc;
  out[2] = first[2];
  out[3] = first[3];
  out[4] = 0xfc | 3; // reserved 6 bits + lengthSizeMinusOne = 3
  out[5] = 0xe0 | sps.length;
  let p = 6;
  for (const s of sps) {
    out.writeUInt16BE(s.length, p);
    s.copy(out, p + 2);
    p += 2 + s.length;
  }
  out[p++] = pps.length;
  for (const s of pps) {
    out.writeUInt16BE(s.length, p);
    s.copy(out, p + 2);
    p += 2 + s.length;
  }
  if (extended) {
    let chroma = 1;
    let depthLuma = 8;
    let depthChroma = 8;
    try {
      const parsed = parseSps(first);
      chroma = parsed.chromaFormatIdc;
      depthLuma = parsed.bitDepthLuma;
      depthChroma = parsed.bitDepthChroma;
    } catch {
      // keep the 4:2:0 8-bit defaults for an SPS we cannot read
    }
    out[p++] = 0xfc | chroma;
    out[p++] = 0xf8 | ((depthLuma - 8) & 7);
    out[p++] = 0xf8 | ((depthChroma - 8) & 7);
    out[p++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

/**
 * Splits an Annex B byte stream at its 3- and 4-byte start codes (14496-10 B.2). Returns subarrays
 * of `buf`, trailing zero bytes trimmed; bytes before the first start code are ignored.
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const n = buf.length;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    const b2 = buf[i + 2];
    if (b2 > 1) {
      i += 3;
    } else if (b2 === 1 && buf[i + 1] === 0 && buf[i] === 0) {
      if (start >= 0) pushNal(buf, start, i, out);
      start = i + 3;
      i += 3;
    } else {
      i++;
    }
  }
  if (start >= 0) pushNal(buf, start, n, out);
  return out;
}

function pushNal(buf: Buffer, start: number, end: number, out: Buffer[]): void {
  while (end > start && buf[end - 1] === 0) end--;
  if (end > start) out.push(buf.subarray(start, end));
}

/** Concatenates NAL units with 4-byte big-endian length prefixes (AVCC / HVCC sample format). */
export function annexBToAvcc(nalus: Buffer[]): Buffer {
  let size = 0;
  for (const n of nalus) size += 4 + n.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const n of nalus) {
    out.writeUInt32BE(n.length, p);
    n.copy(out, p + 4);
    p += 4 + n.length;
  }
  return out;
}

/**
 * Calls `cb` with each NAL unit (a subarray) of a length-prefixed sample. Throws CodecError
 * CODEC_INVALID when a length runs past the end; the units before it have been delivered.
 */
export function forEachAvccNalu(data: Buffer, nalLengthSize: number, cb: (nalu: Buffer) => void): void {
  if (nalLengthSize < 1 || nalLengthSize > 4) throw invalid(`NAL length size ${nalLengthSize} is not 1..4`);
  const n = data.length;
  let p = 0;
  while (p < n) {
    if (p + nalLengthSize > n) throw invalid('length-prefixed NAL units are truncated in a length field');
    let len = 0;
    for (let i = 0; i < nalLengthSize; i++) len = len * 256 + data[p + i];
    p += nalLengthSize;
    if (p + len > n) throw invalid(`a NAL unit of ${len} bytes runs past the end of the sample`);
    if (len > 0) cb(data.subarray(p, p + len));
    p += len;
  }
}

/** The NAL units of a length-prefixed sample as subarrays; see forEachAvccNalu. */
export function splitAvcc(data: Buffer, nalLengthSize = 4): Buffer[] {
  const out: Buffer[] = [];
  forEachAvccNalu(data, nalLengthSize, (n) => out.push(n));
  return out;
}

/**
 * Codec details from an AVCDecoderConfigurationRecord, for the APIs: profile (with the constraint-flag
 * profiles), level, size after cropping and the VUI frame rate, all read from the first SPS.
 * Throws CodecError CODEC_INVALID when the record or its SPS cannot be read.
 */
export function avcVideoInfo(record: Buffer): VideoInfo {
  const cfg = parseAvcDecoderConfig(record);
  if (cfg.sps.length === 0) throw invalid('AVC decoder configuration record holds no SPS');
  const sps = parseSps(cfg.sps[0]);
  const info: VideoInfo = {
    codec: VideoCodec.H264,
    profile: avcProfileName(sps.profileIdc, sps.constraintFlags),
    level: avcLevelName(sps.levelIdc, sps.profileIdc, sps.constraintFlags),
    width: sps.width,
    height: sps.height,
  };
  if (sps.fps !== undefined) info.fps = sps.fps;
  return info;
}
