// FLV tags <-> Frames: Adobe FLV and F4V File Format Specification v10.1, Annex E (E.2 header, E.3 body,
// E.4.2 audio tags, E.4.3 video tags, E.4.4 script data), plus Enhanced RTMP v1 ("ExVideoTagHeader" with a
// FourCC) for H.265. The same tag bodies are the payloads of RTMP audio/video/data messages.

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

function videoBodyToFrame(ts: number, body: Buffer): Frame | null {
  const b0 = body[0];
  if (b0 & EX_HEADER) {
    // Enhanced RTMP: [1|FrameType:3|PacketType:4] FourCC:32 [CompositionTime:24 for CodedFrames] data
    const frameType = (b0 >> 4) & 0x07;
    const packetType = b0 & 0x0f;
    if (frameType === FlvVideoFrameType.InfoOrCommand) return null;
    if (body.length < 5) throw new FlvError(`Enhanced RTMP video tag body too short (${body.length} bytes, need 5)`);
    const fourcc = body.readUInt32BE(1);
    const codec = fourcc === FOURCC_HVC1 ? VideoCodec.H265 : fourcc === FOURCC_AVC1 ? VideoCodec.H264 : 0;
    if (codec === 0) return null; // av01, vp09, ...: not carried
    const key = frameType === FlvVideoFrameType.Key || frameType === FlvVideoFrameType.GeneratedKey;
    switch (packetType) {
      case ExVideoPacketType.SequenceStart:
        if (body.length === 5) return null;
        return videoFrame(codec, ts, 0, key, true, body.subarray(5));
      case ExVideoPacketType.CodedFrames:
        if (body.length < 8) throw new FlvError(`Enhanced RTMP CodedFrames body too short (${body.length} bytes, need 8)`);
        if (body.length === 8) return null;
        return videoFrame(codec, ts, readS24(body, 5), key, false, body.subarray(8));
      case ExVideoPacketType.CodedFramesX:
        if (body.length === 5) return null;
        return videoFrame(codec, ts, 0, key, false, body.subarray(5));
      default: // SequenceEnd, Metadata, MPEG2TSSequenceStart, reserved
        return null;
    }
  }
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

function audioBodyToFrame(ts: number, body: Buffer): Frame | null {
  const b0 = body[0];
  const format = b0 >> 4;
  if (format === AudioCodec.AAC) {
    if (body.length < 2) throw new FlvError('AAC audio tag body too short (1 byte, need 2)');
    if (body.length === 2) return null;
    const data = body.subarray(2);
    if (body[1] === AacPacketType.SequenceHeader) {
      const asc = aacHeaderFields(data);
      return {
        type: 'audio', codec: AudioCodec.AAC, dts: ts, pts: ts, keyframe: false, header: true, data,
        sampleRate: asc.sampleRate, channels: asc.channels,
      };
    }
    if (body[1] !== AacPacketType.Raw) throw new FlvError(`unknown AACPacketType ${body[1]} in audio tag`);
    return { type: 'audio', codec: AudioCodec.AAC, dts: ts, pts: ts, keyframe: false, header: false, data };
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
  } else if (frame.type === 'audio') {
    if (frame.codec === AudioCodec.AAC) return 2;
    if (frame.codec === AudioCodec.MP3) return 1;
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
 * (= flvBodyPrefixLength(frame)). H.265 is written in the Enhanced RTMP form with FourCC 'hvc1'.
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
