// The media model every layer shares: a Frame is one access unit (video), one audio frame, or one metadata
// object, with timestamps in milliseconds (the FLV/RTMP timebase; MPEG-TS 90 kHz is converted at the edge).

/**
 * Video codec ids. H264 and H265 are the FLV CodecID values (7; 12 is the legacy Chinese CDN extension for
 * HEVC); Enhanced RTMP names codecs by FourCC instead (avc1, hvc1, av01, vp09), so AV1 and VP9 have no FLV
 * CodecID and get ids of our own (13 is also what SRS uses for AV1).
 */
export enum VideoCodec {
  H264 = 7,
  H265 = 12,
  AV1 = 13,
  VP9 = 14,
}

/** Audio codec ids; the numbers are the FLV SoundFormat values. */
export enum AudioCodec {
  MP3 = 2,
  AAC = 10,
  Opus = 13,
}

export type FrameType = 'video' | 'audio' | 'script';

/**
 * One unit of media.
 * - video: `data` holds AVCC/HVCC length-prefixed NAL units (4-byte lengths), or, when `header` is true,
 *   the AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord. AV1: one temporal unit of OBUs in
 *   the low-overhead format (each with obu_size), header: the AV1CodecConfigurationRecord (av1C). VP9: one
 *   frame, header: the VPCodecConfigurationRecord (vpcC).
 * - audio: `data` holds one raw AAC frame (no ADTS), or, when `header` is true, the AudioSpecificConfig;
 *   for MP3 the raw MPEG audio frame(s); for Opus one Opus packet, or, when `header` is true, the OpusHead
 *   identification header (RFC 7845 5.1).
 * - script: `data` holds AMF0 bytes of `"onMetaData", {..}` (without `@setDataFrame`).
 * `data` is shared by every consumer and must never be written to after publish.
 */
export interface Frame {
  type: FrameType;
  codec: VideoCodec | AudioCodec | 0;
  /** decode timestamp, ms */
  dts: number;
  /** presentation timestamp, ms (dts + composition time) */
  pts: number;
  /** video: an IDR / random access point. Audio and script frames: false. */
  keyframe: boolean;
  /** a sequence header (decoder configuration), not media */
  header: boolean;
  data: Buffer;
  /** audio only: samples per second (AAC from its config; MP3 from its frame) */
  sampleRate?: number;
  /** audio only: 1 or 2 (FLV can say no more) */
  channels?: number;
}

/** Codec details learned from the sequence headers, for the APIs and the muxers. */
export interface VideoInfo {
  codec: VideoCodec;
  profile: string;
  level: string;
  width: number;
  height: number;
  /** frames per second from the SPS's VUI timing info, when the encoder wrote it */
  fps?: number;
}

export interface AudioInfo {
  codec: AudioCodec;
  /** what a listener gets: the SBR output rate for HE-AAC */
  sampleRate: number;
  /** what a listener gets: 2 for HE-AAC v2 over a mono core */
  channels: number;
  /** AAC: 'LC', 'HE', 'HEv2', ... (SRS's names); '' for other codecs */
  profile: string;
}

export function codecName(codec: VideoCodec | AudioCodec | 0, type: FrameType): string {
  if (type === 'video') {
    return codec === VideoCodec.H265 ? 'H265' : codec === VideoCodec.AV1 ? 'AV1' : codec === VideoCodec.VP9 ? 'VP9' : 'H264';
  }
  if (type === 'audio') return codec === AudioCodec.MP3 ? 'MP3' : codec === AudioCodec.Opus ? 'Opus' : 'AAC';
  return '';
}
