// Parameter sets and AudioSpecificConfigs shared by the codec, describe and API tests, each with what ffprobe
// says about it (profile, size, frame rate, sample rate, channels), so that the tests can check that the codec
// parsers and /api/v1/streams report the same as an independent reader.
//
// Video: written by libx264 / libx265 (ffmpeg -f lavfi -i testsrc=size=352x288:rate=30000/1001 -frames:v 3
// -c:v libx264|libx265 -pix_fmt ... -profile:v ...), or hand-made and checked field by field with ffmpeg's
// trace_headers bitstream filter. Audio: hand-made, checked by putting each in front of libavcodec AAC frames in
// an FLV file and reading it with ffprobe (-show_entries stream=sample_rate,channels).

import { AudioCodec, VideoCodec, type AudioInfo, type VideoInfo } from '../../../src/core/frame.js';

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

export interface AvcFixture {
  sps: Buffer;
  pps: Buffer;
  /** what ffprobe prints, with the constraint-flag profiles that ffprobe folds into their base profile */
  info: VideoInfo;
  bitDepth: number;
  chromaFormatIdc: number;
  cabac: boolean;
}

export const AVC: Record<string, AvcFixture> = {
  // -profile:v baseline: constraint_set0 + set1 (ffprobe: Constrained Baseline)
  constrainedBaseline: {
    sps: hex('6742c00dd9016096c04400000fa40003a9803c50a920'),
    pps: hex('68cb83cb20'),
    info: { codec: VideoCodec.H264, profile: 'Constrained Baseline', level: '1.3', width: 352, height: 288, fps: 29.97 },
    bitDepth: 8,
    chromaFormatIdc: 1,
    cabac: false,
  },
  // -pix_fmt yuv420p10le -profile:v high10 (ffprobe: High 10)
  high10: {
    sps: hex('676e000da6cd9416096c04400000fa40003a9803c50a6580'),
    pps: hex('68ebe3cb22c0'),
    info: { codec: VideoCodec.H264, profile: 'High 10', level: '1.3', width: 352, height: 288, fps: 29.97 },
    bitDepth: 10,
    chromaFormatIdc: 1,
    cabac: true,
  },
  // the same with keyint=1: constraint_set3 (ffprobe: High 10 Intra)
  high10Intra: {
    sps: hex('676e100da6cb82c12d808800001f480007530020'),
    pps: hex('68ee0f2c8b'),
    info: { codec: VideoCodec.H264, profile: 'High 10 Intra', level: '1.3', width: 352, height: 288, fps: 29.97 },
    bitDepth: 10,
    chromaFormatIdc: 1,
    cabac: true,
  },
  // -pix_fmt yuv422p10le -profile:v high422, keyint=1 (ffprobe: High 4:2:2 Intra)
  high422Intra: {
    sps: hex('677a100db6cb82c12d808800001f480007530020'),
    pps: hex('68ee0f2c8b'),
    info: { codec: VideoCodec.H264, profile: 'High 4:2:2 Intra', level: '1.3', width: 352, height: 288, fps: 29.97 },
    bitDepth: 10,
    chromaFormatIdc: 2,
    cabac: true,
  },
  // -profile:v main -vf crop=350:286: constraint_set1, frame cropping right 1 and bottom 1 (ffprobe: Main 350x286)
  mainCropped: {
    sps: hex('674d400deca0b04bd56022000007d20001d4c01e28532c'),
    pps: hex('68ebe3cb20'),
    info: { codec: VideoCodec.H264, profile: 'Main', level: '1.3', width: 350, height: 286, fps: 29.97 },
    bitDepth: 8,
    chromaFormatIdc: 1,
    cabac: true,
  },
};

/** An SPS with its constraint_set flags byte (the third byte; no emulation prevention near it) replaced. */
export function withConstraintFlags(sps: Buffer, flags: number, levelIdc = sps[3]!): Buffer {
  const out = Buffer.from(sps);
  out[2] = flags;
  out[3] = levelIdc;
  return out;
}

export interface HevcFixture {
  vps: Buffer;
  sps: Buffer;
  pps: Buffer;
  info: VideoInfo;
  bitDepth: number;
  chromaFormatIdc: number;
}

const X265_PPS = hex('4401c172b46240');
const X265_VPS_MAIN = hex('40010c01ffff01600000030090000003000003003c959809');

export const HEVC: Record<string, HevcFixture> = {
  main: {
    vps: X265_VPS_MAIN,
    sps: hex('42010101600000030090000003000003003ca00b08048596566924caf01680800001f480003a9804'),
    pps: X265_PPS,
    info: { codec: VideoCodec.H265, profile: 'Main', level: '2', width: 352, height: 288, fps: 29.97 },
    bitDepth: 8,
    chromaFormatIdc: 1,
  },
  // -pix_fmt yuv422p10le (ffprobe: Rext; the range extensions profile idc 4)
  rext422p10: {
    vps: hex('40010c01ffff0408000003009d0800000300003c959809'),
    sps: hex('4201010408000003009d0800000300003cb00b080484d96566924caf01680800001f480003a98040'),
    pps: X265_PPS,
    info: { codec: VideoCodec.H265, profile: 'Rext', level: '2', width: 352, height: 288, fps: 29.97 },
    bitDepth: 10,
    chromaFormatIdc: 2,
  },
  // -pix_fmt gray (ffprobe: Rext, monochrome)
  monochrome: {
    vps: hex('40010c01ffff0408000003009fc800000300003c959809'),
    sps: hex('4201010408000003009fc800000300003cc02c2012165959a4932bc05b02000007d20000ea6010'),
    pps: X265_PPS,
    info: { codec: VideoCodec.H265, profile: 'Rext', level: '2', width: 352, height: 288, fps: 29.97 },
    bitDepth: 8,
    chromaFormatIdc: 0,
  },
  // main's SPS with, after max_transform_hierarchy_depth_intra: explicit scaling lists (all sizes, DC
  // coefficients), PCM, three short-term RPS (the second and third predicted, one entry of the second
  // dropped by its POC delta of 0: 7.4.8), two long-term pictures, and a VUI with SAR 4:3 (extended),
  // full range and timing 1001/60000. ffmpeg's trace_headers reads every field and the stop bit.
  crafted: {
    vps: X265_VPS_MAIN,
    sps: hex(
      '42010101600000030090000003000003003ca00b08048596566924f69d3a74e9d34e9d3a74e9a74e9d3a754e9d3a74e9d3a74e9d3a74' +
        'e9d3a74e9d3a74e9a74e9d3a74e9d3a74e9d3a74e9d3a74e9d3a74d3a74e9d3a74e9d3a74e9d3a74e9d3a74e9d3a5993a74e9d3a74e9' +
        'd3a74e9d3a74e9d3a74e9d3a664e9d3a74e9d3a74e9d3a74e9d3a74e9d3a74e9993a74e9d3a74e9d3a74e9d3a74e9d3a74e9d3a993a' +
        '74e9d3a74e9d3a74e9d3a74e9d3a74e9d3a5bbd08d69da74db0584bffc0010000db80808082000007d20001d4c010',
    ),
    pps: X265_PPS,
    info: { codec: VideoCodec.H265, profile: 'Main', level: '2', width: 352, height: 288, fps: 59.94 },
    bitDepth: 8,
    chromaFormatIdc: 1,
  },
};

/** X265_VPS_MAIN with vps_timing_info 1001/30000 (checked with trace_headers; ffprobe: 30000/1001). */
export const HEVC_VPS_TIMING = hex('40010c01ffff01600000030090000003000003003c95980c00000fa40001d4c140');

export interface AacFixture {
  asc: Buffer;
  /** what ffprobe reports for sample rate and channels; the profile SRS's API names */
  info: AudioInfo;
  /** the core (AAC LC) sampling frequency, which ADTS and the MP4 timescale use */
  coreRate: number;
}

export const AAC: Record<string, AacFixture> = {
  lc: { asc: hex('1190'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'LC' }, coreRate: 48000 },
  // object type 5, 24 kHz core, 48 kHz SBR
  heExplicit: { asc: hex('2b118800'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'HE' }, coreRate: 24000 },
  // object type 29 over a mono core: PS makes stereo
  hev2Explicit: { asc: hex('eb098800'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'HEv2' }, coreRate: 24000 },
  // AAC LC 24 kHz + sync extension 0x2b7, SBR present at 48 kHz
  heBackwardCompatible: { asc: hex('131056e598'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'HE' }, coreRate: 24000 },
  // AAC LC 24 kHz mono + 0x2b7 SBR + 0x548 PS
  hev2BackwardCompatible: { asc: hex('130856e59d4880'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'HEv2' }, coreRate: 24000 },
  // the sync extension with sbrPresentFlag 0: plain LC
  lcSbrAbsent: { asc: hex('131056e500'), info: { codec: AudioCodec.AAC, sampleRate: 24000, channels: 2, profile: 'LC' }, coreRate: 24000 },
  // channelConfiguration 0 and a program_config_element: front SCE + CPE, back CPE, one LFE (5.1)
  pce51: { asc: hex('118004c8050001088000'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 6, profile: 'LC' }, coreRate: 48000 },
  // frameLengthFlag: 960-sample frames
  lc960: { asc: hex('1194'), info: { codec: AudioCodec.AAC, sampleRate: 48000, channels: 2, profile: 'LC' }, coreRate: 48000 },
};
