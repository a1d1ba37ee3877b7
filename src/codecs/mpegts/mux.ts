// MPEG-2 transport stream muxer, ISO/IEC 13818-1: transport packets (2.4.3.2), adaptation field with
// PCR and random_access_indicator (2.4.3.4), PES packets (2.4.3.6), PAT and PMT (2.4.4.3, 2.4.4.8).
// Turns hub Frames into one Buffer of 188-byte packets per frame (HLS segments, TS outputs); built once
// per frame per stream, so each frame is written with one allocation and no intermediate copies.

import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { CodecError } from '../codec-error.js';
import { NalUnitType, parseAvcDecoderConfig } from '../h264.js';
import { HevcNalType, parseHevcDecoderConfig } from '../h265.js';
import {
  ADTS_HEADER_SIZE,
  aacChannelConfig,
  aacSampleRateIndex,
  parseAudioSpecificConfig,
  writeAdtsHeader,
  type AacConfig,
} from '../aac.js';

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
export const TS_HEADER_SIZE = 4;
export const TS_PAYLOAD_SIZE = TS_PACKET_SIZE - TS_HEADER_SIZE;

/** The PIDs this server writes (the demuxer reads whatever the PMT says). */
export enum TsPid {
  PAT = 0x0000,
  PMT = 0x1000,
  Video = 0x0100,
  Audio = 0x0101,
  Null = 0x1fff,
}

/** stream_type, 13818-1 Table 2-34 (and 23008-2 / 14496-10 amendments). */
export enum StreamType {
  MPEG1Audio = 0x03,
  MPEG2Audio = 0x04,
  AAC_ADTS = 0x0f,
  H264 = 0x1b,
  H265 = 0x24,
}

/** PES stream_id, 13818-1 Table 2-22 (first video / first audio stream). */
export enum PesStreamId {
  Audio = 0xc0,
  Video = 0xe0,
}

/** table_id, 13818-1 Table 2-31. */
export enum TableId {
  PAT = 0x00,
  PMT = 0x02,
}

/** The 33-bit PTS/DTS/PCR-base modulus. */
export const PTS_WRAP = 2 ** 33;
/** 90 kHz system clock ticks per millisecond for PTS/DTS. */
export const TICKS_PER_MS = 90;

const PROGRAM_NUMBER = 1;
const TRANSPORT_STREAM_ID = 1;
const AUDIO_ONLY_TABLE_INTERVAL_MS = 500;
/** adaptation_field_length byte + flags byte + 6 PCR bytes */
const AF_WITH_PCR = 8;
/** adaptation_field_length byte + flags byte */
const AF_FLAGS_ONLY = 2;
const AF_FLAG_RANDOM_ACCESS = 0x40;
const AF_FLAG_PCR = 0x10;
/** PES header up to PES_header_data_length, 2.4.3.6 */
const PES_FIXED_HEADER = 9;
const PTS_FIELD = 5;
const PES_FLAGS1_DATA_ALIGNMENT = 0x84; // '10' marker + data_alignment_indicator
const PTS_ONLY = 0x80;
const PTS_AND_DTS = 0xc0;
const PTS_PREFIX_ONLY = 0x2;
const PTS_PREFIX_WITH_DTS = 0x3;
const DTS_PREFIX = 0x1;
const MAX_PES_PACKET_LENGTH = 0xffff;

/** Access unit delimiters written first in each video PES (primary_pic_type / pic_type "any"). */
const AVC_AUD = Buffer.from([0, 0, 0, 1, NalUnitType.AUD, 0xf0]);
const HEVC_AUD = Buffer.from([0, 0, 0, 1, HevcNalType.AUD << 1, 0x01, 0x50]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let j = 0; j < 8; j++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 of PSI sections, 13818-1 Annex A. Over a whole section including its CRC it is 0. */
export function crc32Mpeg2(buf: Buffer, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ buf[i]) & 0xff];
  return crc >>> 0;
}

/** ms -> 90 kHz ticks modulo 2^33. */
export function msToTicks(ms: number): number {
  const t = Math.round(ms * TICKS_PER_MS) % PTS_WRAP;
  return t < 0 ? t + PTS_WRAP : t;
}

export interface TsTracks {
  video?: VideoCodec;
  audio?: AudioCodec;
}

export interface TsMuxerOptions extends TsTracks {
  /** invalid sequence headers and frames that cannot be muxed; the frame is skipped */
  onError?: (e: Error) => void;
}

function videoStreamType(codec: VideoCodec): StreamType {
  return codec === VideoCodec.H265 ? StreamType.H265 : StreamType.H264;
}

function audioStreamType(codec: AudioCodec): StreamType | null {
  if (codec === AudioCodec.AAC) return StreamType.AAC_ADTS;
  if (codec === AudioCodec.MP3) return StreamType.MPEG1Audio;
  return null; // Opus in TS needs descriptors this muxer does not write
}

/** Writes a 33-bit PTS or DTS with its 4-bit prefix and marker bits, 2.4.3.7. */
function writeTimestamp(out: Buffer, p: number, prefix: number, ts: number): void {
  const low = ts % 2 ** 30;
  out[p] = (prefix << 4) | ((Math.floor(ts / 2 ** 30) & 7) << 1) | 1;
  out[p + 1] = low >>> 22;
  out[p + 2] = (((low >>> 15) & 0x7f) << 1) | 1;
  out[p + 3] = (low >>> 7) & 0xff;
  out[p + 4] = ((low & 0x7f) << 1) | 1;
}

/** Writes an adaptation field of `total` bytes (length byte included): flags, optional PCR, stuffing. */
function writeAdaptationField(out: Buffer, p: number, total: number, pcr: number, randomAccess: boolean): void {
  out[p] = total - 1;
  if (total === 1) return;
  let flags = 0;
  if (randomAccess) flags |= AF_FLAG_RANDOM_ACCESS;
  if (pcr >= 0) flags |= AF_FLAG_PCR;
  out[p + 1] = flags;
  let q = p + 2;
  if (pcr >= 0) {
    // program_clock_reference_base (33 bits), 6 reserved bits, extension (9 bits) = 0
    const hi = Math.floor(pcr / 2);
    out[q] = hi >>> 24;
    out[q + 1] = (hi >>> 16) & 0xff;
    out[q + 2] = (hi >>> 8) & 0xff;
    out[q + 3] = hi & 0xff;
    out[q + 4] = ((pcr % 2) << 7) | 0x7e;
    out[q + 5] = 0;
    q += 6;
  }
  if (q < p + total) out.fill(0xff, q, p + total);
}

/**
 * Muxes hub Frames, in order, into MPEG-TS. Sequence headers and script frames return null; every
 * media frame returns one Buffer of whole 188-byte packets: PAT + PMT when due (video keyframe, the
 * first frame, forceTables(), or every 500 ms of an audio-only stream), then one PES.
 * Without tracks in the options, the tracks follow the frames seen; with tracks, frames of other
 * tracks are skipped. A codec change on a track rewrites the PMT (new version).
 */
export class TsMuxer {
  private video: VideoCodec | undefined;
  private audio: AudioCodec | undefined;
  private autoTracks: boolean;
  private readonly onError: ((e: Error) => void) | undefined;

  private pmtVersion = 0;
  private patPacket: Buffer;
  private pmtPacket: Buffer;
  private tablesDue = true;
  private lastTablesAudioMs = 0;
  private ccPat = 0;
  private ccPmt = 0;
  private ccVideo = 0;
  private ccAudio = 0;

  /** NAL length size of incoming samples, from the decoder configuration */
  private nalLengthSize = 4;
  /** parameter sets (VPS/SPS/PPS) in Annex B with 4-byte start codes, inserted before keyframes */
  private paramSets: Buffer | null = null;
  private aacConfig: Pick<AacConfig, 'objectType' | 'sampleRateIndex' | 'channelConfig'> | null = null;

  // packet writer state for the PES being written
  private out: Buffer = Buffer.alloc(0);
  private wpos = 0;
  private room = 0;
  private pktIndex = 0;
  private pktCount = 0;
  private lastStuffing = 0;
  private pid = 0;
  private cc = 0;
  private readonly pesHeader = Buffer.alloc(PES_FIXED_HEADER + 2 * PTS_FIELD);

  constructor(opts: TsMuxerOptions = {}) {
    this.video = opts.video;
    this.audio = opts.audio;
    this.autoTracks = opts.video === undefined && opts.audio === undefined;
    this.onError = opts.onError;
    this.patPacket = this.buildPat();
    this.pmtPacket = this.buildPmt();
  }

  /** Declares the tracks the PMT lists; frames of other tracks are skipped. A change sends the tables again. */
  setTracks(opts: TsTracks): void {
    this.autoTracks = false;
    if (opts.video === this.video && opts.audio === this.audio) return;
    if (opts.video !== this.video) this.paramSets = null;
    if (opts.audio !== this.audio) this.aacConfig = null;
    this.video = opts.video;
    this.audio = opts.audio;
    this.tracksChanged();
  }

  /** The tracks the PMT currently lists. */
  get tracks(): TsTracks {
    return { video: this.video, audio: this.audio };
  }

  /** Writes PAT + PMT before the next media frame (e.g. at the start of each HLS segment). */
  forceTables(): void {
    this.tablesDue = true;
  }

  /** Restarts all continuity counters at 0 (a new file). */
  resetContinuity(): void {
    this.ccPat = this.ccPmt = this.ccVideo = this.ccAudio = 0;
  }

  /** Muxes one frame; returns its packets, or null for headers, script and skipped frames. */
  mux(frame: Frame): Buffer | null {
    if (frame.type === 'video') {
      const codec = frame.codec as VideoCodec;
      if (codec !== VideoCodec.H264 && codec !== VideoCodec.H265) {
        this.report(new CodecError('CODEC_UNSUPPORTED', `video codec ${codec} cannot be muxed into MPEG-TS`));
        return null;
      }
      if (!this.acceptTrack('video', codec)) return null;
      if (frame.header) {
        this.setVideoConfig(codec, frame.data);
        return null;
      }
      return this.muxVideo(frame, codec);
    }
    if (frame.type === 'audio') {
      const codec = frame.codec as AudioCodec;
      if (audioStreamType(codec) === null) {
        this.report(new CodecError('CODEC_UNSUPPORTED', `audio codec ${codec} cannot be muxed into MPEG-TS`));
        return null;
      }
      if (!this.acceptTrack('audio', codec)) return null;
      if (frame.header) {
        if (codec === AudioCodec.AAC) this.setAacConfig(frame.data);
        return null;
      }
      return this.muxAudio(frame, codec);
    }
    return null;
  }

  private report(e: Error): void {
    if (this.onError) this.onError(e);
  }

  /** Tracks: follow a codec change; add a track in auto mode; skip frames of undeclared tracks. */
  private acceptTrack(kind: 'video' | 'audio', codec: VideoCodec | AudioCodec): boolean {
    const current = kind === 'video' ? this.video : this.audio;
    if (current === codec) return true;
    if (current === undefined && !this.autoTracks) return false;
    if (kind === 'video') {
      this.video = codec as VideoCodec;
      this.paramSets = null;
      this.nalLengthSize = 4;
    } else {
      this.audio = codec as AudioCodec;
      this.aacConfig = null;
    }
    this.tracksChanged();
    return true;
  }

  private tracksChanged(): void {
    this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    this.pmtPacket = this.buildPmt();
    this.tablesDue = true;
  }

  private setVideoConfig(codec: VideoCodec, record: Buffer): void {
    try {
      let sets: Buffer[];
      let nalLengthSize: number;
      if (codec === VideoCodec.H265) {
        const cfg = parseHevcDecoderConfig(record);
        sets = [...cfg.vps, ...cfg.sps, ...cfg.pps];
        nalLengthSize = cfg.nalLengthSize;
      } else {
        const cfg = parseAvcDecoderConfig(record);
        sets = [...cfg.sps, ...cfg.pps];
        nalLengthSize = cfg.nalLengthSize;
      }
      let size = 0;
      for (const s of sets) size += 4 + s.length;
      const ps = Buffer.allocUnsafe(size);
      let p = 0;
      for (const s of sets) {
        ps.writeUInt32BE(1, p);
        s.copy(ps, p + 4);
        p += 4 + s.length;
      }
      this.paramSets = size > 0 ? ps : null;
      this.nalLengthSize = nalLengthSize;
    } catch (e) {
      this.report(e as Error);
    }
  }

  private setAacConfig(asc: Buffer): void {
    try {
      this.aacConfig = parseAudioSpecificConfig(asc);
    } catch (e) {
      this.report(e as Error);
    }
  }

  private buildPat(): Buffer {
    const pkt = Buffer.alloc(TS_PACKET_SIZE, 0xff);
    pkt[0] = TS_SYNC_BYTE;
    pkt[1] = 0x40 | (TsPid.PAT >> 8); // payload_unit_start_indicator
    pkt[2] = TsPid.PAT & 0xff;
    pkt[3] = 0x10;
    pkt[4] = 0; // pointer_field
    const s = 5;
    const sectionLength = 5 + 4 + 4; // header after length, one program, CRC
    pkt[s] = TableId.PAT;
    pkt[s + 1] = 0xb0 | (sectionLength >> 8); // section_syntax_indicator, '0', reserved
    pkt[s + 2] = sectionLength & 0xff;
    pkt.writeUInt16BE(TRANSPORT_STREAM_ID, s + 3);
    pkt[s + 5] = 0xc1; // reserved, version 0, current_next_indicator
    pkt[s + 6] = 0; // section_number
    pkt[s + 7] = 0; // last_section_number
    pkt.writeUInt16BE(PROGRAM_NUMBER, s + 8);
    pkt.writeUInt16BE(0xe000 | TsPid.PMT, s + 10);
    pkt.writeUInt32BE(crc32Mpeg2(pkt, s, s + 12), s + 12);
    return pkt;
  }

  private buildPmt(): Buffer {
    const streams: Array<[StreamType, TsPid]> = [];
    if (this.video !== undefined) streams.push([videoStreamType(this.video), TsPid.Video]);
    const audioType = this.audio !== undefined ? audioStreamType(this.audio) : null;
    if (audioType !== null) streams.push([audioType, TsPid.Audio]);
    const pcrPid = this.video !== undefined ? TsPid.Video : TsPid.Audio;
    const pkt = Buffer.alloc(TS_PACKET_SIZE, 0xff);
    pkt[0] = TS_SYNC_BYTE;
    pkt[1] = 0x40 | (TsPid.PMT >> 8);
    pkt[2] = TsPid.PMT & 0xff;
    pkt[3] = 0x10;
    pkt[4] = 0;
    const s = 5;
    const sectionLength = 9 + 5 * streams.length + 4;
    pkt[s] = TableId.PMT;
    pkt[s + 1] = 0xb0 | (sectionLength >> 8);
    pkt[s + 2] = sectionLength & 0xff;
    pkt.writeUInt16BE(PROGRAM_NUMBER, s + 3);
    pkt[s + 5] = 0xc1 | (this.pmtVersion << 1);
    pkt[s + 6] = 0;
    pkt[s + 7] = 0;
    pkt.writeUInt16BE(0xe000 | pcrPid, s + 8);
    pkt.writeUInt16BE(0xf000, s + 10); // program_info_length 0
    let p = s + 12;
    for (const [type, pid] of streams) {
      pkt[p] = type;
      pkt.writeUInt16BE(0xe000 | pid, p + 1);
      pkt.writeUInt16BE(0xf000, p + 3); // ES_info_length 0
      p += 5;
    }
    pkt.writeUInt32BE(crc32Mpeg2(pkt, s, p), p);
    return pkt;
  }

  /** Decides whether PAT + PMT go before this frame. */
  private takeTables(videoKeyframe: boolean, audioMs: number | null): boolean {
    let due = this.tablesDue || videoKeyframe;
    if (!due && audioMs !== null && this.video === undefined) {
      const since = audioMs - this.lastTablesAudioMs;
      due = since >= AUDIO_ONLY_TABLE_INTERVAL_MS || since < 0;
    }
    if (due) {
      this.tablesDue = false;
      if (audioMs !== null) this.lastTablesAudioMs = audioMs;
    }
    return due;
  }

  private writeTables(out: Buffer, pos: number): number {
    this.patPacket.copy(out, pos);
    out[pos + 3] = 0x10 | this.ccPat;
    this.ccPat = (this.ccPat + 1) & 0xf;
    this.pmtPacket.copy(out, pos + TS_PACKET_SIZE);
    out[pos + TS_PACKET_SIZE + 3] = 0x10 | this.ccPmt;
    this.ccPmt = (this.ccPmt + 1) & 0xf;
    return pos + 2 * TS_PACKET_SIZE;
  }

  /** Packets needed for a PES of pesLength bytes; sets the stuffing of the last packet. */
  private planPes(pesLength: number, firstAf: number): number {
    const cap0 = TS_PAYLOAD_SIZE - firstAf;
    if (pesLength <= cap0) {
      this.pktCount = 1;
      this.lastStuffing = cap0 - pesLength;
    } else {
      const rest = pesLength - cap0;
      this.pktCount = 1 + Math.ceil(rest / TS_PAYLOAD_SIZE);
      this.lastStuffing = (this.pktCount - 1) * TS_PAYLOAD_SIZE - rest;
    }
    return this.pktCount;
  }

  /** Writes the first packet header of a PES at out[pos] (planPes first). */
  private beginPes(out: Buffer, pos: number, pid: number, cc: number, firstAf: number, pcr: number, rai: boolean): void {
    this.out = out;
    this.pid = pid;
    this.pktIndex = 0;
    const afTotal = firstAf + (this.pktCount === 1 ? this.lastStuffing : 0);
    out[pos] = TS_SYNC_BYTE;
    out[pos + 1] = 0x40 | (pid >> 8);
    out[pos + 2] = pid & 0xff;
    if (afTotal > 0) {
      out[pos + 3] = 0x30 | cc;
      writeAdaptationField(out, pos + TS_HEADER_SIZE, afTotal, pcr, rai);
    } else {
      out[pos + 3] = 0x10 | cc;
    }
    this.cc = (cc + 1) & 0xf;
    this.wpos = pos + TS_HEADER_SIZE + afTotal;
    this.room = TS_PAYLOAD_SIZE - afTotal;
  }

  private nextPacket(): void {
    const out = this.out;
    const pos = this.wpos;
    this.pktIndex++;
    const stuffing = this.pktIndex === this.pktCount - 1 ? this.lastStuffing : 0;
    out[pos] = TS_SYNC_BYTE;
    out[pos + 1] = this.pid >> 8;
    out[pos + 2] = this.pid & 0xff;
    if (stuffing > 0) {
      out[pos + 3] = 0x30 | this.cc;
      writeAdaptationField(out, pos + TS_HEADER_SIZE, stuffing, -1, false);
    } else {
      out[pos + 3] = 0x10 | this.cc;
    }
    this.cc = (this.cc + 1) & 0xf;
    this.wpos = pos + TS_HEADER_SIZE + stuffing;
    this.room = TS_PAYLOAD_SIZE - stuffing;
  }

  /** Copies src[start, end) into the PES payload, crossing packet boundaries. */
  private put(src: Buffer, start: number, end: number): void {
    while (start < end) {
      if (this.room === 0) this.nextPacket();
      let k = end - start;
      if (k > this.room) k = this.room;
      if (k < 16) {
        const out = this.out;
        let w = this.wpos;
        for (let i = 0; i < k; i++) out[w++] = src[start + i];
      } else {
        src.copy(this.out, this.wpos, start, start + k);
      }
      this.wpos += k;
      this.room -= k;
      start += k;
    }
  }

  /** Fills this.pesHeader; returns its length. */
  private buildPesHeader(streamId: number, pesPacketLength: number, pts: number, dts: number): number {
    const h = this.pesHeader;
    const withDts = dts !== pts;
    h[0] = 0;
    h[1] = 0;
    h[2] = 1;
    h[3] = streamId;
    h[4] = pesPacketLength >> 8;
    h[5] = pesPacketLength & 0xff;
    h[6] = PES_FLAGS1_DATA_ALIGNMENT;
    h[7] = withDts ? PTS_AND_DTS : PTS_ONLY;
    h[8] = withDts ? 2 * PTS_FIELD : PTS_FIELD;
    writeTimestamp(h, PES_FIXED_HEADER, withDts ? PTS_PREFIX_WITH_DTS : PTS_PREFIX_ONLY, pts);
    if (withDts) writeTimestamp(h, PES_FIXED_HEADER + PTS_FIELD, DTS_PREFIX, dts);
    return PES_FIXED_HEADER + h[8];
  }

  private muxVideo(frame: Frame, codec: VideoCodec): Buffer | null {
    const data = frame.data;
    const n = data.length;
    const ls = this.nalLengthSize;
    const hevc = codec === VideoCodec.H265;
    const aud = hevc ? HEVC_AUD : AVC_AUD;
    // Pass 1: size the elementary stream; find in-band parameter sets; stop at a truncated unit.
    let esLength = aud.length;
    let inBandParamSets = false;
    let nalCount = 0;
    let p = 0;
    while (p + ls <= n) {
      let len = 0;
      for (let i = 0; i < ls; i++) len = len * 256 + data[p + i];
      if (len > n - p - ls) {
        this.report(new CodecError('CODEC_INVALID', `video frame at ${frame.dts} ms has a NAL unit running past its end`));
        break;
      }
      p += ls;
      if (len > 0) {
        const t = hevc ? (data[p] >> 1) & 0x3f : data[p] & 0x1f;
        if (t !== (hevc ? HevcNalType.AUD : NalUnitType.AUD)) {
          esLength += 4 + len;
          nalCount++;
          if (hevc ? t === HevcNalType.SPS : t === NalUnitType.SPS) inBandParamSets = true;
        }
      }
      p += len;
    }
    const validEnd = p;
    if (nalCount === 0) return null;
    const paramSets = frame.keyframe && !inBandParamSets ? this.paramSets : null;
    if (paramSets) esLength += paramSets.length;

    const dts = msToTicks(frame.dts);
    const pts = msToTicks(frame.pts);
    const headerLength = this.buildPesHeader(PesStreamId.Video, 0, pts, dts);
    const pcr = this.video !== undefined ? dts : -1; // the PCR rides on the video PID when there is video
    const firstAf = pcr >= 0 ? AF_WITH_PCR : frame.keyframe ? AF_FLAGS_ONLY : 0;
    const tables = this.takeTables(frame.keyframe, null);
    const packets = this.planPes(headerLength + esLength, firstAf);
    const out = Buffer.allocUnsafe(((tables ? 2 : 0) + packets) * TS_PACKET_SIZE);
    const pos = tables ? this.writeTables(out, 0) : 0;
    this.beginPes(out, pos, TsPid.Video, this.ccVideo, firstAf, pcr, frame.keyframe);
    this.put(this.pesHeader, 0, headerLength);
    this.put(aud, 0, aud.length);
    if (paramSets) this.put(paramSets, 0, paramSets.length);
    // Pass 2: start code + NAL unit, skipping AUDs.
    p = 0;
    while (p < validEnd) {
      let len = 0;
      for (let i = 0; i < ls; i++) len = len * 256 + data[p + i];
      p += ls;
      if (len > 0) {
        const t = hevc ? (data[p] >> 1) & 0x3f : data[p] & 0x1f;
        if (t !== (hevc ? HevcNalType.AUD : NalUnitType.AUD)) {
          this.put(START_CODE_4, 0, 4);
          this.put(data, p, p + len);
        }
      }
      p += len;
    }
    this.ccVideo = this.cc;
    return out;
  }

  private muxAudio(frame: Frame, codec: AudioCodec): Buffer | null {
    const data = frame.data;
    if (data.length === 0) return null;
    let adts = 0;
    if (codec === AudioCodec.AAC) {
      if (this.aacConfig === null && frame.sampleRate && frame.channels) {
        const index = aacSampleRateIndex(frame.sampleRate);
        if (index >= 0) this.aacConfig = { objectType: 2, sampleRateIndex: index, channelConfig: aacChannelConfig(frame.channels) };
      }
      if (this.aacConfig === null) {
        this.report(new CodecError('CODEC_INVALID', 'AAC frame before its AudioSpecificConfig: skipped'));
        return null;
      }
      try {
        writeAdtsHeader(this.aacConfig, data.length, this.adtsScratch, 0);
      } catch (e) {
        this.report(e as Error);
        return null;
      }
      adts = ADTS_HEADER_SIZE;
    }
    const esLength = adts + data.length;
    const pts = msToTicks(frame.pts);
    const headerLength = PES_FIXED_HEADER + PTS_FIELD;
    const pesLength = headerLength + esLength;
    const pesPacketLength = pesLength - 6 <= MAX_PES_PACKET_LENGTH ? pesLength - 6 : 0;
    this.buildPesHeader(PesStreamId.Audio, pesPacketLength, pts, pts);
    const audioOnly = this.video === undefined;
    const pcr = audioOnly ? pts : -1;
    const firstAf = audioOnly ? AF_WITH_PCR : 0;
    const tables = this.takeTables(false, frame.pts);
    const packets = this.planPes(pesLength, firstAf);
    const out = Buffer.allocUnsafe(((tables ? 2 : 0) + packets) * TS_PACKET_SIZE);
    const pos = tables ? this.writeTables(out, 0) : 0;
    this.beginPes(out, pos, TsPid.Audio, this.ccAudio, firstAf, pcr, audioOnly);
    this.put(this.pesHeader, 0, headerLength);
    if (adts > 0) this.put(this.adtsScratch, 0, ADTS_HEADER_SIZE);
    this.put(data, 0, data.length);
    this.ccAudio = this.cc;
    return out;
  }

  private readonly adtsScratch = Buffer.alloc(ADTS_HEADER_SIZE);
}

const START_CODE_4 = Buffer.from([0, 0, 0, 1]);
