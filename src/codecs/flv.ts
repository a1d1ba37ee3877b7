// FLV tags <-> Frames: Adobe FLV and F4V File Format Specification v10.1, Annex E (E.2 header, E.3 body,
// E.4.2 audio tags, E.4.3 video tags, E.4.4 script data), plus Enhanced RTMP (veovera v1 and v2:
// ExVideoTagHeader / ExAudioTagHeader with a FourCC, ModEx, multitrack) for H.265, AV1, VP9 and Opus. The
// same tag bodies are the payloads of RTMP audio/video/data messages.

import { AudioCodec, VideoCodec, type Frame } from '../core/frame.js';
import { parseAudioSpecificConfig } from './aac.js';
import { Amf0Error, Amf0Marker, decodeAmf0, decodeAmf0Value } from './amf0.js';
import { CodecError } from './codec-error.js';
import { mpegAudioChannels, mpegAudioSampleRate } from './mpeg-audio.js';

export enum FlvTagType {
  Audio = 8,
  Video = 9,
  Script = 18,
}

/** FLV video FrameType (E.4.3.1, upper nibble of the first byte; 3 bits in the Enhanced RTMP form). */
export enum FlvVideoFrameType {
  Key = 1,
  Inter = 2,
  DisposableInter = 3,
  GeneratedKey = 4,
  InfoOrCommand = 5,
}

/** AVCPacketType (E.4.3.1), also used by the legacy HEVC codec id 12. */
export enum AvcPacketType {
  SequenceHeader = 0,
  Nalu = 1,
  EndOfSequence = 2,
}

/** Enhanced RTMP v1 video PacketType (lower nibble of the first byte when IsExHeader is set). */
export enum ExVideoPacketType {
  SequenceStart = 0,
  CodedFrames = 1,
  SequenceEnd = 2,
  CodedFramesX = 3,
  Metadata = 4,
  Mpeg2TsSequenceStart = 5,
  /** v2: a multitrack header follows */
  Multitrack = 6,
  /** v2: size-prefixed modifier data, then the real packet type */
  ModEx = 7,
}

/** Enhanced RTMP v2 AudioPacketType (lower nibble of the first byte when SoundFormat is 9). */
export enum ExAudioPacketType {
  SequenceStart = 0,
  CodedFrames = 1,
  SequenceEnd = 2,
  MultichannelConfig = 4,
  Multitrack = 5,
  ModEx = 7,
}

/** Enhanced RTMP v2 AvMultitrackType (upper nibble of the byte after a Multitrack packet type). */
export enum MultitrackType {
  OneTrack = 0,
  ManyTracks = 1,
  ManyTracksManyCodecs = 2,
}

/** AACPacketType (E.4.2.1). */
export enum AacPacketType {
  SequenceHeader = 0,
  Raw = 1,
}

/** IsExHeader flag of the first video byte (Enhanced RTMP). */
const EX_HEADER = 0x80;
const FOURCC_HVC1 = 0x68766331; // 'hvc1'
const FOURCC_AVC1 = 0x61766331; // 'avc1'
const FOURCC_AV01 = 0x61763031; // 'av01'
const FOURCC_VP09 = 0x76703039; // 'vp09'
const FOURCC_MP4A = 0x6d703461; // 'mp4a'
const FOURCC_MP3 = 0x2e6d7033; // '.mp3'
const FOURCC_OPUS = 0x4f707573; // 'Opus'
/** SoundFormat 9: an Enhanced RTMP ExAudioTagHeader follows. */
const SOUND_FORMAT_EX_HEADER = 9;

/** The FourCCs (Enhanced RTMP `fourCcList`) this server carries, video first. */
export const ENHANCED_RTMP_FOURCCS = ['hvc1', 'av01', 'vp09', 'avc1', 'Opus', 'mp4a', '.mp3'] as const;

/** SoundRate field (E.4.2.1) -> Hz. */
const FLV_SOUND_RATES = [5512, 11025, 22050, 44100] as const;

/** Refused tag body size in the demuxer unless configured otherwise. */
export const FLV_DEFAULT_MAX_TAG_SIZE = 16 * 1024 * 1024;

const TAG_HEADER_SIZE = 11;
const PREV_TAG_SIZE = 4;
const FILE_HEADER_SIZE = 9;
const FLV_SIGNATURE = [0x46, 0x4c, 0x56]; // 'FLV'

/** Malformed FLV data. */
export class FlvError extends Error {
  readonly code = 'FLV_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlvError';
  }
}

/** The 9-byte FLV header (E.2) followed by PreviousTagSize0 = 0: 13 bytes to start a file/HTTP-FLV stream. */
export function flvFileHeader(hasVideo: boolean, hasAudio: boolean): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE + PREV_TAG_SIZE);
  b[0] = 0x46; // 'F'
  b[1] = 0x4c; // 'L'
  b[2] = 0x56; // 'V'
  b[3] = 1; // version
  b[4] = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  b.writeUInt32BE(FILE_HEADER_SIZE, 5); // DataOffset
  return b; // PreviousTagSize0 is already zero
}

// ---------------------------------------------------------------------------------------------------------
// Tag body -> Frame

/**
 * Converts one FLV tag body (= RTMP audio/video/data message payload) into a Frame. `data` is a subarray of
 * `body` (no copy). Returns null for what a Frame does not carry: empty bodies, unknown codecs, end-of-sequence
 * and command packets. Throws FlvError for bodies too short for their own header or with bad AMF0.
 */
export function flvBodyToFrame(tagType: FlvTagType, timestamp: number, body: Buffer): Frame | null {
  if (body.length === 0) return null;
  switch (tagType) {
    case FlvTagType.Video:
      return videoBodyToFrame(timestamp, body);
    case FlvTagType.Audio:
      return audioBodyToFrame(timestamp, body);
    case FlvTagType.Script:
      return scriptBodyToFrame(timestamp, body);
    default:
      return null;
  }
}

function readS24(b: Buffer, pos: number): number {
  return ((b[pos] << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8)) >> 8;
}

function videoFrame(codec: VideoCodec, dts: number, cts: number, key: boolean, header: boolean, data: Buffer): Frame {
  return { type: 'video', codec, dts, pts: dts + cts, keyframe: key, header, data };
}

/** Bounds-checked reads over one tag body; running out of bytes is a FlvError naming what was read. */
class BodyReader {
  pos = 0;
  constructor(private readonly b: Buffer, private readonly what: string) {}

  need(n: number, field: string): void {
    if (this.pos + n > this.b.length) {
      throw new FlvError(`${this.what} too short: ${field} needs ${n} byte(s) at offset ${this.pos} of ${this.b.length}`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.b[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(field: string): number {
    this.need(3, field);
    const v = this.b.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }
}

/**
 * The common part of the Enhanced RTMP v2 ExVideoTagHeader / ExAudioTagHeader after the first byte: ModEx
 * prefixes (their data, TimestampOffsetNano today, is skipped: our timestamps are ms), then either one FourCC
 * or a multitrack header. Of a multitrack packet only track 0 is used (the default track; OBS sends its
 * extra renditions as tracks 1..n); a packet without track 0 gives null. Returns the packet type, the FourCC
 * and the track's payload, or null.
 */
function readExHeader(
  r: BodyReader,
  body: Buffer,
  firstPacketType: number,
  modEx: number,
  multitrack: number,
  commandFrame: boolean,
): { packetType: number; fourcc: number; payload: Buffer } | null {
  let packetType = firstPacketType;
  for (let guard = 0; packetType === modEx; guard++) {
    if (guard === 8) throw new FlvError('Enhanced RTMP tag has more than 8 ModEx prefixes');
    let size = r.u8('ModEx data size') + 1;
    if (size === 256) size = r.u16('ModEx extended data size') + 1;
    r.skip(size, 'ModEx data');
    packetType = r.u8('ModEx type / packet type') & 0x0f;
  }
  // A video command frame (other than metadata) carries one VideoCommand byte (seek start/end), no FourCC.
  if (commandFrame && packetType !== ExVideoPacketType.Metadata) return null;
  if (packetType !== multitrack) return { packetType, fourcc: r.u32('FourCC'), payload: body.subarray(r.pos) };
  const b = r.u8('multitrack type / packet type');
  const trackType = b >> 4;
  packetType = b & 0x0f;
  if (packetType === multitrack || packetType === modEx) {
    throw new FlvError(`Enhanced RTMP multitrack packet nests packet type ${packetType}`);
  }
  if (trackType > MultitrackType.ManyTracksManyCodecs) return null; // reserved
  let fourcc = trackType === MultitrackType.ManyTracksManyCodecs ? 0 : r.u32('multitrack FourCC');
  for (;;) {
    if (trackType === MultitrackType.ManyTracksManyCodecs) fourcc = r.u32('track FourCC');
    const trackId = r.u8('track id');
    let end = body.length;
    if (trackType !== MultitrackType.OneTrack) {
      const size = r.u24('track size');
      end = r.pos + size;
      if (end > body.length) throw new FlvError(`Enhanced RTMP track ${trackId} of ${size} bytes overruns its tag body`);
    }
    if (trackId === 0) return { packetType, fourcc, payload: body.subarray(r.pos, end) };
    if (end === body.length) return null;
    r.pos = end;
  }
}

function fourccCodec(fourcc: number): VideoCodec | 0 {
  switch (fourcc) {
    case FOURCC_HVC1:
      return VideoCodec.H265;
    case FOURCC_AVC1:
      return VideoCodec.H264;
    case FOURCC_AV01:
      return VideoCodec.AV1;
    case FOURCC_VP09:
      return VideoCodec.VP9;
    default:
      return 0;
  }
}

/**
 * Enhanced RTMP video (veovera v1 and v2): [1|FrameType:3|PacketType:4] [ModEx...] (FourCC | multitrack
 * header) body. SequenceStart carries the decoder configuration record (avcC, hvcC, av1C, vpcC);
 * CodedFrames of avc1/hvc1 start with a 24-bit composition time, of av01/vp09 not; CodedFramesX has none.
 * SequenceEnd, Metadata (the colorInfo AMF object), MPEG2TSSequenceStart and command frames give null.
 */
function exVideoBodyToFrame(ts: number, body: Buffer): Frame | null {
  const r = new BodyReader(body, 'Enhanced RTMP video tag body');
  const b0 = r.u8('header');
  const frameType = (b0 >> 4) & 0x07;
  const command = frameType === FlvVideoFrameType.InfoOrCommand;
  const ex = readExHeader(r, body, b0 & 0x0f, ExVideoPacketType.ModEx, ExVideoPacketType.Multitrack, command);
  if (ex === null) return null;
  const codec = fourccCodec(ex.fourcc);
  if (codec === 0) return null; // a FourCC we do not carry
  const key = frameType === FlvVideoFrameType.Key || frameType === FlvVideoFrameType.GeneratedKey;
  const p = ex.payload;
  switch (ex.packetType) {
    case ExVideoPacketType.SequenceStart:
      if (p.length === 0) return null;
      return videoFrame(codec, ts, 0, key, true, p);
    case ExVideoPacketType.CodedFrames:
      if (codec === VideoCodec.H264 || codec === VideoCodec.H265) {
        if (p.length < 3) throw new FlvError(`Enhanced RTMP CodedFrames body too short (${p.length} bytes after the FourCC, need 3)`);
        if (p.length === 3) return null;
        return videoFrame(codec, ts, readS24(p, 0), key, false, p.subarray(3));
      }
      if (p.length === 0) return null;
      return videoFrame(codec, ts, 0, key, false, p);
    case ExVideoPacketType.CodedFramesX:
      if (p.length === 0) return null;
      return videoFrame(codec, ts, 0, key, false, p);
    default: // SequenceEnd, Metadata, MPEG2TSSequenceStart, reserved
      return null;
  }
}

function videoBodyToFrame(ts: number, body: Buffer): Frame | null {
  const b0 = body[0];
  if (b0 & EX_HEADER) return exVideoBodyToFrame(ts, body);
  // Legacy VIDEODATA: [FrameType:4|CodecID:4] AVCPacketType:8 CompositionTime:s24 data
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (codecId !== VideoCodec.H264 && codecId !== VideoCodec.H265) return null;
  if (frameType === FlvVideoFrameType.InfoOrCommand) return null;
  if (body.length < 5) throw new FlvError(`AVC/HEVC video tag body too short (${body.length} bytes, need 5)`);
  const key = frameType === FlvVideoFrameType.Key || frameType === FlvVideoFrameType.GeneratedKey;
  switch (body[1]) {
    case AvcPacketType.SequenceHeader:
      if (body.length === 5) return null;
      return videoFrame(codecId, ts, 0, key, true, body.subarray(5));
    case AvcPacketType.Nalu:
      if (body.length === 5) return null;
      return videoFrame(codecId, ts, readS24(body, 2), key, false, body.subarray(5));
    case AvcPacketType.EndOfSequence:
      return null;
    default:
      throw new FlvError(`unknown AVCPacketType ${body[1]} in video tag`);
  }
}

/** The core sample rate and channels of an AudioSpecificConfig, as FlvError for a bad one. */
function aacHeaderFields(asc: Buffer): { sampleRate: number; channels: number } {
  try {
    const cfg = parseAudioSpecificConfig(asc);
    // 0 channels (a program_config_element that could not be read): stereo is all FLV could have said anyway.
    return { sampleRate: cfg.sampleRate, channels: cfg.channels || 2 };
  } catch (err) {
    if (err instanceof CodecError) throw new FlvError(`AAC sequence header: ${err.message}`, { cause: err });
    throw err;
  }
}

function aacFrame(ts: number, header: boolean, data: Buffer): Frame {
  if (header) {
    const asc = aacHeaderFields(data);
    return {
      type: 'audio', codec: AudioCodec.AAC, dts: ts, pts: ts, keyframe: false, header: true, data,
      sampleRate: asc.sampleRate, channels: asc.channels,
    };
  }
  return { type: 'audio', codec: AudioCodec.AAC, dts: ts, pts: ts, keyframe: false, header: false, data };
}

/** OpusHead (RFC 7845 5.1): 'OpusHead', version, channel count, ... at least 19 bytes. */
function opusHeadChannels(head: Buffer): number {
  if (head.length < 19 || head.toString('latin1', 0, 8) !== 'OpusHead') {
    throw new FlvError('Enhanced RTMP Opus sequence start is not an OpusHead identification header');
  }
  return head[9];
}

/**
 * Enhanced RTMP audio (veovera v2 ExAudioTagHeader, SoundFormat 9): [9|PacketType:4] [ModEx...] (FourCC |
 * multitrack header) body. mp4a (AAC), .mp3 and Opus are carried; ac-3, ec-3, fLaC and unknown FourCCs,
 * SequenceEnd and MultichannelConfig give null.
 */
function exAudioBodyToFrame(ts: number, body: Buffer): Frame | null {
  const r = new BodyReader(body, 'Enhanced RTMP audio tag body');
  const ex = readExHeader(r, body, r.u8('header') & 0x0f, ExAudioPacketType.ModEx, ExAudioPacketType.Multitrack, false);
  if (ex === null) return null;
  const p = ex.payload;
  const start = ex.packetType === ExAudioPacketType.SequenceStart;
  if (!start && ex.packetType !== ExAudioPacketType.CodedFrames) return null;
  if (p.length === 0) return null;
  switch (ex.fourcc) {
    case FOURCC_MP4A:
      return aacFrame(ts, start, p);
    case FOURCC_MP3: {
      if (start) return null; // MP3 has no sequence header
      const rate = mpegAudioSampleRate(p);
      return {
        type: 'audio', codec: AudioCodec.MP3, dts: ts, pts: ts, keyframe: false, header: false, data: p,
        sampleRate: rate || 44100, channels: rate ? mpegAudioChannels(p) : 2,
      };
    }
    case FOURCC_OPUS: {
      const f: Frame = { type: 'audio', codec: AudioCodec.Opus, dts: ts, pts: ts, keyframe: false, header: start, data: p, sampleRate: 48000 };
      if (start) f.channels = opusHeadChannels(p);
      return f;
    }
    default: // ac-3, ec-3, fLaC: no muxer of ours carries them
      return null;
  }
}

function audioBodyToFrame(ts: number, body: Buffer): Frame | null {
  const b0 = body[0];
  const format = b0 >> 4;
  if (format === SOUND_FORMAT_EX_HEADER) return exAudioBodyToFrame(ts, body);
  if (format === AudioCodec.AAC) {
    if (body.length < 2) throw new FlvError('AAC audio tag body too short (1 byte, need 2)');
    if (body.length === 2) return null;
    if (body[1] !== AacPacketType.SequenceHeader && body[1] !== AacPacketType.Raw) {
      throw new FlvError(`unknown AACPacketType ${body[1]} in audio tag`);
    }
    return aacFrame(ts, body[1] === AacPacketType.SequenceHeader, body.subarray(2));
  }
  if (format === AudioCodec.MP3) {
    if (body.length === 1) return null;
    const data = body.subarray(1);
    // The flags can't say 48000 or 32000 (both are written as "44 kHz"): prefer the frame header.
    const rate = mpegAudioSampleRate(data);
    return {
      type: 'audio', codec: AudioCodec.MP3, dts: ts, pts: ts, keyframe: false, header: false, data,
      sampleRate: rate || FLV_SOUND_RATES[(b0 >> 2) & 0x03],
      channels: rate ? mpegAudioChannels(data) : (b0 & 0x01) + 1,
    };
  }
  return null;
}

const SET_DATA_FRAME = '@setDataFrame';

function scriptBodyToFrame(ts: number, body: Buffer): Frame | null {
  let data = body;
  try {
    // RTMP publishers send `@setDataFrame, onMetaData, {...}`; recorded/played metadata is without it.
    if (body[0] === Amf0Marker.String) {
      const first = decodeAmf0Value(body, 0);
      if (first.value === SET_DATA_FRAME) data = body.subarray(first.end);
    }
    if (data.length === 0) return null;
    decodeAmf0(data); // validate once here so that consumers can trust the bytes
  } catch (err) {
    if (err instanceof Amf0Error) throw new FlvError(`invalid script data: ${err.message}`, { cause: err });
    throw err;
  }
  return { type: 'script', codec: 0, dts: ts, pts: ts, keyframe: false, header: false, data };
}

// ---------------------------------------------------------------------------------------------------------
// Frame -> tag body

/** Number of bytes `writeFlvBodyPrefix` writes before `frame.data` in a tag body / RTMP message. */
export function flvBodyPrefixLength(frame: Frame): number {
  if (frame.type === 'video') {
    if (frame.codec === VideoCodec.H264) return 5;
    if (frame.codec === VideoCodec.H265) return frame.header ? 5 : 8;
    if (frame.codec === VideoCodec.AV1 || frame.codec === VideoCodec.VP9) return 5;
  } else if (frame.type === 'audio') {
    if (frame.codec === AudioCodec.AAC) return 2;
    if (frame.codec === AudioCodec.MP3) return 1;
    if (frame.codec === AudioCodec.Opus) return 5;
  } else if (frame.type === 'script') {
    return 0;
  }
  throw new FlvError(`a ${frame.type} frame with codec ${frame.codec} cannot be carried in FLV/RTMP`);
}

/** Composition time in ms, rounded the same way as the tag timestamp, clamped to s24. */
function compositionTime(frame: Frame): number {
  const cts = Math.round(frame.pts) - Math.round(frame.dts);
  return cts > 0x7fffff ? 0x7fffff : cts < -0x800000 ? -0x800000 : cts;
}

function writeS24(target: Buffer, offset: number, v: number): void {
  target[offset] = (v >> 16) & 0xff;
  target[offset + 1] = (v >> 8) & 0xff;
  target[offset + 2] = v & 0xff;
}

/** SoundRate/SoundSize/SoundType bits for MP3 (E.4.2.1). */
function mp3Flags(frame: Frame): number {
  const rate = frame.sampleRate ?? 44100;
  const rateBits = rate >= 44100 ? 3 : rate >= 22050 ? 2 : rate >= 11025 ? 1 : 0;
  return (AudioCodec.MP3 << 4) | (rateBits << 2) | 0x02 | ((frame.channels ?? 2) >= 2 ? 1 : 0);
}

/**
 * Writes the tag-body bytes that precede `frame.data` into `target` at `offset`; returns the count
 * (= flvBodyPrefixLength(frame)). H.264, AAC and MP3 keep the legacy form every player reads; H.265, AV1,
 * VP9 and Opus are written in the Enhanced RTMP form (FourCC hvc1, av01, vp09, Opus; hvc1 CodedFrames with
 * their composition time, av01/vp09 have none), which is what OBS 30+, FFmpeg 6.1+ and mpegts.js read.
 * AAC always gets 0xAF: E.4.2.1 says AAC must be flagged 44 kHz/stereo whatever it really is (the decoder
 * reads the real values from the AudioSpecificConfig), which is also what FFmpeg and OBS write.
 */
export function writeFlvBodyPrefix(frame: Frame, target: Buffer, offset: number): number {
  if (frame.type === 'video') {
    const frameType = frame.keyframe ? FlvVideoFrameType.Key : FlvVideoFrameType.Inter;
    if (frame.codec === VideoCodec.H264) {
      target[offset] = (frameType << 4) | VideoCodec.H264;
      target[offset + 1] = frame.header ? AvcPacketType.SequenceHeader : AvcPacketType.Nalu;
      writeS24(target, offset + 2, frame.header ? 0 : compositionTime(frame));
      return 5;
    }
    if (frame.codec === VideoCodec.H265) {
      const packetType = frame.header ? ExVideoPacketType.SequenceStart : ExVideoPacketType.CodedFrames;
      target[offset] = EX_HEADER | (frameType << 4) | packetType;
      target.writeUInt32BE(FOURCC_HVC1, offset + 1);
      if (frame.header) return 5;
      writeS24(target, offset + 5, compositionTime(frame));
      return 8;
    }
    if (frame.codec === VideoCodec.AV1 || frame.codec === VideoCodec.VP9) {
      const packetType = frame.header ? ExVideoPacketType.SequenceStart : ExVideoPacketType.CodedFrames;
      target[offset] = EX_HEADER | (frameType << 4) | packetType;
      target.writeUInt32BE(frame.codec === VideoCodec.AV1 ? FOURCC_AV01 : FOURCC_VP09, offset + 1);
      return 5;
    }
  } else if (frame.type === 'audio') {
    if (frame.codec === AudioCodec.AAC) {
      target[offset] = (AudioCodec.AAC << 4) | 0x0f; // 44 kHz, 16-bit, stereo: mandated for AAC
      target[offset + 1] = frame.header ? AacPacketType.SequenceHeader : AacPacketType.Raw;
      return 2;
    }
    if (frame.codec === AudioCodec.MP3) {
      target[offset] = mp3Flags(frame);
      return 1;
    }
    if (frame.codec === AudioCodec.Opus) {
      const packetType = frame.header ? ExAudioPacketType.SequenceStart : ExAudioPacketType.CodedFrames;
      target[offset] = (SOUND_FORMAT_EX_HEADER << 4) | packetType;
      target.writeUInt32BE(FOURCC_OPUS, offset + 1);
      return 5;
    }
  } else if (frame.type === 'script') {
    return 0;
  }
  throw new FlvError(`a ${frame.type} frame with codec ${frame.codec} cannot be carried in FLV/RTMP`);
}

/** FLV tag type for a frame. */
export function flvTagTypeOf(frame: Frame): FlvTagType {
  return frame.type === 'video' ? FlvTagType.Video : frame.type === 'audio' ? FlvTagType.Audio : FlvTagType.Script;
}

/**
 * One complete FLV tag (E.3: 11-byte header, body, PreviousTagSize) in one allocation with one copy of
 * `frame.data`. The timestamp is the frame's dts in ms (wrapping at 2^32 via the extended byte).
 */
export function encodeFlvTag(frame: Frame): Buffer {
  const prefix = flvBodyPrefixLength(frame);
  const bodySize = prefix + frame.data.length;
  if (bodySize > 0xffffff) throw new FlvError(`frame of ${bodySize} bytes exceeds the FLV tag size limit (16 MiB)`);
  const buf = Buffer.allocUnsafe(TAG_HEADER_SIZE + bodySize + PREV_TAG_SIZE);
  const ts = Math.round(frame.dts) >>> 0;
  buf[0] = flvTagTypeOf(frame);
  writeS24(buf, 1, bodySize);
  writeS24(buf, 4, ts & 0xffffff);
  buf[7] = ts >>> 24; // TimestampExtended
  buf[8] = 0; // StreamID, always 0
  buf[9] = 0;
  buf[10] = 0;
  writeFlvBodyPrefix(frame, buf, TAG_HEADER_SIZE);
  frame.data.copy(buf, TAG_HEADER_SIZE + prefix);
  buf.writeUInt32BE(TAG_HEADER_SIZE + bodySize, TAG_HEADER_SIZE + bodySize);
  return buf;
}

// ---------------------------------------------------------------------------------------------------------
// Byte-stream demuxer

export interface FlvDemuxerOptions {
  /** every tag, raw (body is a subarray of the pushed chunk when it fits in one, else one fresh Buffer) */
  onTag?: (type: FlvTagType, timestamp: number, body: Buffer) => void;
  /** every tag flvBodyToFrame turns into a Frame; raw AAC frames get sampleRate/channels of the last header */
  onFrame?: (frame: Frame) => void;
  /** tag bodies larger than this are refused with FlvError (default 16 MiB) */
  maxTagSize?: number;
}

const enum DemuxState {
  FileHeader,
  TagHeader,
  Body,
  Failed,
}

/**
 * Push parser for an FLV byte stream (a file or an HTTP-FLV response). Chunks may split anywhere. Bodies
 * that arrive whole in one chunk are handed out as subarrays of it, so pushed chunks must not be reused.
 * After an FlvError the demuxer stays failed and every further push throws.
 */
export class FlvDemuxer {
  /** header flags once the file header was read */
  hasAudio = false;
  hasVideo = false;
  private state = DemuxState.FileHeader;
  /** small header accumulator: file header (9) or PreviousTagSize + tag header (15) */
  private readonly head = Buffer.alloc(FILE_HEADER_SIZE + PREV_TAG_SIZE);
  private headLen = 0;
  /** bytes of the file header's DataOffset beyond 9 still to skip, then PreviousTagSize0 */
  private skip = 0;
  private tagType = FlvTagType.Audio;
  private tagTs = 0;
  private body: Buffer | null = null;
  private bodyLen = 0;
  private bodyFilled = 0;
  private aacRate: number | undefined;
  private aacChannels: number | undefined;
  private readonly maxTagSize: number;
  private error: FlvError | null = null;

  constructor(private readonly opts: FlvDemuxerOptions) {
    this.maxTagSize = opts.maxTagSize ?? FLV_DEFAULT_MAX_TAG_SIZE;
  }

  push(chunk: Buffer): void {
    if (this.error) throw this.error;
    try {
      this.parse(chunk);
    } catch (err) {
      if (err instanceof FlvError) {
        this.state = DemuxState.Failed;
        this.error = err;
      }
      throw err;
    }
  }

  private parse(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.state === DemuxState.FileHeader) {
        const n = Math.min(FILE_HEADER_SIZE - this.headLen, end - pos);
        chunk.copy(this.head, this.headLen, pos, pos + n);
        // Check the signature as soon as its bytes arrive so that a wrong URL fails fast.
        for (let i = this.headLen; i < this.headLen + n && i < 3; i++) {
          if (this.head[i] !== FLV_SIGNATURE[i]) {
            throw new FlvError('not an FLV stream: the signature "FLV" is missing');
          }
        }
        this.headLen += n;
        pos += n;
        if (this.headLen < FILE_HEADER_SIZE) return;
        const dataOffset = this.head.readUInt32BE(5);
        if (dataOffset < FILE_HEADER_SIZE || dataOffset > 1024) {
          throw new FlvError(`FLV header DataOffset ${dataOffset} is out of range`);
        }
        this.hasAudio = (this.head[4] & 0x04) !== 0;
        this.hasVideo = (this.head[4] & 0x01) !== 0;
        this.skip = dataOffset - FILE_HEADER_SIZE;
        this.headLen = 0;
        this.state = DemuxState.TagHeader;
      } else if (this.state === DemuxState.TagHeader) {
        // PreviousTagSize (not checked: muxers get it wrong and it carries nothing) + 11-byte tag header
        const want = PREV_TAG_SIZE + TAG_HEADER_SIZE;
        let h: Buffer;
        let p: number;
        if (this.headLen === 0 && end - pos >= want) {
          h = chunk;
          p = pos + PREV_TAG_SIZE;
          pos += want;
        } else {
          const n = Math.min(want - this.headLen, end - pos);
          chunk.copy(this.head, this.headLen, pos, pos + n);
          this.headLen += n;
          pos += n;
          if (this.headLen < want) return;
          this.headLen = 0;
          h = this.head;
          p = PREV_TAG_SIZE;
        }
        this.startTag(h, p);
        if (this.bodyLen === 0) this.finishTag(Buffer.alloc(0));
        else this.state = DemuxState.Body;
      } else if (this.state === DemuxState.Body) {
        const avail = end - pos;
        if (this.body === null && avail >= this.bodyLen) {
          const body = chunk.subarray(pos, pos + this.bodyLen);
          pos += this.bodyLen;
          this.finishTag(body);
          continue;
        }
        if (this.body === null) {
          this.body = Buffer.allocUnsafe(this.bodyLen);
          this.bodyFilled = 0;
        }
        const n = Math.min(this.bodyLen - this.bodyFilled, avail);
        chunk.copy(this.body, this.bodyFilled, pos, pos + n);
        this.bodyFilled += n;
        pos += n;
        if (this.bodyFilled === this.bodyLen) {
          const body = this.body;
          this.body = null;
          this.finishTag(body);
        }
      } else {
        return;
      }
    }
  }

  private startTag(h: Buffer, p: number): void {
    const b0 = h[p];
    if (b0 & 0xc0) throw new FlvError(`FLV tag header has reserved bits set (0x${b0.toString(16)}): stream is corrupt`);
    if (b0 & 0x20) throw new FlvError('encrypted FLV tags (Filter bit) are not supported');
    const type = b0 & 0x1f;
    if (type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) {
      throw new FlvError(`unknown FLV tag type ${type}: stream is corrupt`);
    }
    const size = (h[p + 1] << 16) | (h[p + 2] << 8) | h[p + 3];
    if (size > this.maxTagSize) throw new FlvError(`FLV tag of ${size} bytes exceeds the limit of ${this.maxTagSize}`);
    this.tagType = type;
    this.tagTs = (((h[p + 7] << 24) | (h[p + 4] << 16) | (h[p + 5] << 8) | h[p + 6]) >>> 0);
    this.bodyLen = size;
  }

  private finishTag(body: Buffer): void {
    this.state = DemuxState.TagHeader;
    this.opts.onTag?.(this.tagType, this.tagTs, body);
    if (!this.opts.onFrame) return;
    const frame = flvBodyToFrame(this.tagType, this.tagTs, body);
    if (frame === null) return;
    if (frame.type === 'audio' && frame.codec === AudioCodec.AAC) {
      if (frame.header) {
        this.aacRate = frame.sampleRate;
        this.aacChannels = frame.channels;
      } else {
        frame.sampleRate = this.aacRate;
        frame.channels = this.aacChannels;
      }
    }
    this.opts.onFrame(frame);
  }
}
