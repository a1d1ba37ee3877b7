// MPEG-2 transport stream demuxer, ISO/IEC 13818-1: packet sync and adaptation field (2.4.3.2-4),
// PSI sections PAT/PMT (2.4.4), PES assembly and PTS/DTS (2.4.3.6-7). Turns a TS byte stream
// (e.g. from an SRT publisher) into hub Frames: AVC/HEVC access units as AVCC with sequence headers,
// one Frame per AAC frame, MP3 passed through. Input is untrusted: push() never throws, errors go to
// onError, and memory only grows with bytes actually received (bounded per PES).

import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { CodecError } from '../codec-error.js';
import { splitAnnexB } from '../h264.js';
import { VideoFramer } from '../video-framer.js';
import { mpegAudioChannels, mpegAudioSampleRate } from '../mpeg-audio.js';
import {
  AAC_SAMPLES_PER_FRAME,
  audioSpecificConfigFromAdts,
  parseAdtsFrames,
  type AacConfig,
} from '../aac.js';
import {
  PTS_WRAP,
  StreamType,
  TICKS_PER_MS,
  TS_PACKET_SIZE,
  TS_SYNC_BYTE,
  TableId,
  TsPid,
  crc32Mpeg2,
} from './mux.js';

export interface TsDemuxerOptions {
  onFrame: (frame: Frame) => void;
  /** malformed input and dropped data; the demuxer carries on */
  onError?: (e: Error) => void;
}

/** Counters for monitoring a publisher's stream quality. */
export interface TsDemuxerStats {
  packets: number;
  /** bytes skipped to regain sync (garbage, partial packets) */
  droppedBytes: number;
  /** times sync was lost and found again */
  resyncs: number;
  /** continuity_counter discontinuities on elementary streams */
  ccErrors: number;
  /** PES packets dropped (broken by lost packets, truncated, malformed or too large) */
  pesDropped: number;
  /** packets with transport_error_indicator set (dropped) */
  transportErrors: number;
  /** video access units dropped because no SPS/PPS had been seen yet */
  videoWithoutConfig: number;
  /** errors reported through onError */
  errors: number;
}

const MAX_SECTION_LENGTH = 1024; // PAT/PMT section_length is at most 1021, 2.4.4.4
const MAX_VIDEO_PES = 16 * 1024 * 1024;
const MAX_AUDIO_PES = 1024 * 1024;
const INITIAL_VIDEO_PES = 256 * 1024;
const INITIAL_AUDIO_PES = 16 * 1024;
const MAX_AAC_CARRY = 8192; // an ADTS frame is at most 8191 bytes
const PES_START_CODE_PREFIX = 0x000001;
const PES_MIN_HEADER = 9;
const UNKNOWN = -1;


interface PesStream {
  pid: number;
  kind: 'video' | 'audio';
  streamType: StreamType;
  buf: Buffer;
  len: number;
  /** a PES is being assembled (its start was seen and nothing was lost since) */
  active: boolean;
  /** total PES bytes from PES_packet_length; 0 unbounded; UNKNOWN before 6 bytes arrived */
  expected: number;
  cc: number;
  // video: NAL units -> sequence headers and AVCC frames
  framer: VideoFramer | null;
  // audio
  aac: Pick<AacConfig, 'objectType' | 'sampleRateIndex' | 'channelConfig'> | null;
  carry: Buffer | null;
  carryTicks: number;
}

interface Section {
  buf: Buffer;
  len: number;
  active: boolean;
}

/** Reads a 33-bit PTS/DTS field, 2.4.3.7. */
function readTimestamp(b: Buffer, p: number): number {
  return ((b[p] >> 1) & 7) * 2 ** 30 + ((b[p + 1] << 22) | ((b[p + 2] >> 1) << 15) | (b[p + 3] << 7) | (b[p + 4] >> 1));
}

/** Demuxes one program of an MPEG-TS byte stream into Frames; see the file header. */
export class TsDemuxer {
  readonly stats: TsDemuxerStats = {
    packets: 0,
    droppedBytes: 0,
    resyncs: 0,
    ccErrors: 0,
    pesDropped: 0,
    transportErrors: 0,
    videoWithoutConfig: 0,
    errors: 0,
  };
  private readonly onFrame: (frame: Frame) => void;
  private readonly onError: ((e: Error) => void) | undefined;
  private readonly part = Buffer.alloc(TS_PACKET_SIZE);
  private partLen = 0;
  private pmtPid = UNKNOWN;
  private readonly sections = new Map<number, Section>();
  private streams = new Map<number, PesStream>();
  /** last unwrapped 90 kHz timestamp, the reference for 33-bit wrap-around */
  private tsRef = UNKNOWN;

  constructor(opts: TsDemuxerOptions) {
    this.onFrame = opts.onFrame;
    this.onError = opts.onError;
  }

  /** Feeds bytes in any chunking. Never throws. */
  push(buf: Buffer): void {
    try {
      this.pushBytes(buf);
    } catch (e) {
      this.report(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** End of input: emits the PES in progress on each stream (video PES have no length) and drops a partial packet. */
  flush(): void {
    try {
      if (this.partLen > 0) {
        this.stats.droppedBytes += this.partLen;
        this.partLen = 0;
      }
      for (const s of this.streams.values()) {
        if (s.active) this.finishPes(s);
        s.carry = null;
        s.cc = UNKNOWN;
      }
    } catch (e) {
      this.report(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private report(e: Error): void {
    this.stats.errors++;
    try {
      this.onError?.(e);
    } catch {
      // a failing error handler must not break the demuxer
    }
  }

  private emit(frame: Frame): void {
    try {
      this.onFrame(frame);
    } catch (e) {
      this.report(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private pushBytes(buf: Buffer): void {
    const n = buf.length;
    let off = 0;
    if (this.partLen > 0) {
      const need = TS_PACKET_SIZE - this.partLen;
      if (n < need) {
        buf.copy(this.part, this.partLen);
        this.partLen += n;
        return;
      }
      buf.copy(this.part, this.partLen, 0, need);
      if (n > need && buf[need] !== TS_SYNC_BYTE) {
        // the partial packet was not aligned with what follows: drop it and resync in buf
        this.stats.droppedBytes += this.partLen;
        this.partLen = 0;
      } else {
        this.partLen = 0;
        this.packet(this.part, 0);
        off = need;
      }
    }
    while (off < n) {
      if (buf[off] !== TS_SYNC_BYTE) {
        const s = this.findSync(buf, off);
        this.stats.droppedBytes += s - off;
        this.stats.resyncs++;
        this.report(new CodecError('CODEC_INVALID', `MPEG-TS sync lost: skipped ${s - off} bytes`));
        off = s;
        continue;
      }
      if (off + TS_PACKET_SIZE > n) {
        buf.copy(this.part, 0, off);
        this.partLen = n - off;
        break;
      }
      this.packet(buf, off);
      off += TS_PACKET_SIZE;
    }
  }

  /** The next sync byte followed by another one a packet later (or by the end of buf). */
  private findSync(buf: Buffer, from: number): number {
    const n = buf.length;
    for (let j = from; j < n; j++) {
      if (buf[j] === TS_SYNC_BYTE && (j + TS_PACKET_SIZE >= n || buf[j + TS_PACKET_SIZE] === TS_SYNC_BYTE)) return j;
    }
    return n;
  }

  private packet(b: Buffer, o: number): void {
    this.stats.packets++;
    const b1 = b[o + 1];
    if (b1 & 0x80) {
      this.stats.transportErrors++;
      return;
    }
    const pusi = (b1 & 0x40) !== 0;
    const pid = ((b1 & 0x1f) << 8) | b[o + 2];
    if (pid === TsPid.Null) return;
    const b3 = b[o + 3];
    const afc = (b3 >> 4) & 3;
    const cc = b3 & 0xf;
    const end = o + TS_PACKET_SIZE;
    let p = o + 4;
    let discontinuity = false;
    if (afc & 2) {
      const afLength = b[p];
      if (afLength > (afc & 1 ? 182 : 183)) {
        this.report(new CodecError('CODEC_INVALID', `MPEG-TS packet on PID ${pid} has an adaptation field of ${afLength} bytes`));
        return;
      }
      if (afLength > 0) discontinuity = (b[p + 1] & 0x80) !== 0;
      p += 1 + afLength;
    }
    if (!(afc & 1) || p >= end) return; // adaptation field only: no payload, counter unchanged
    if (pid === TsPid.PAT || pid === this.pmtPid) {
      this.psiPacket(pid, b, p, end, pusi);
      return;
    }
    const s = this.streams.get(pid);
    if (s) this.pesPacket(s, b, p, end, pusi, cc, discontinuity);
  }

  // ---- PSI ----

  private psiPacket(pid: number, b: Buffer, p: number, end: number, pusi: boolean): void {
    let sec = this.sections.get(pid);
    if (!sec) {
      sec = { buf: Buffer.alloc(MAX_SECTION_LENGTH + 3), len: 0, active: false };
      this.sections.set(pid, sec);
    }
    if (pusi) {
      const pointer = b[p++];
      if (p + pointer > end) {
        sec.active = false;
        return;
      }
      if (sec.active && pointer > 0) {
        this.appendSection(sec, b, p, p + pointer);
        this.completeSection(pid, sec);
      }
      p += pointer;
      sec.active = true;
      sec.len = 0;
    } else if (!sec.active) {
      return;
    }
    this.appendSection(sec, b, p, end);
    this.completeSection(pid, sec);
  }

  private appendSection(sec: Section, b: Buffer, p: number, end: number): void {
    const k = Math.min(end - p, sec.buf.length - sec.len);
    if (k > 0) b.copy(sec.buf, sec.len, p, p + k);
    sec.len += Math.max(k, 0);
  }

  private completeSection(pid: number, sec: Section): void {
    if (!sec.active || sec.len < 3) return;
    if (sec.buf[0] === 0xff) {
      sec.active = false; // stuffing
      return;
    }
    const total = 3 + (((sec.buf[1] & 0x0f) << 8) | sec.buf[2]);
    if (total > sec.buf.length || total < 3 + 9) {
      sec.active = false;
      this.report(new CodecError('CODEC_INVALID', `PSI section on PID ${pid} has an invalid length ${total}`));
      return;
    }
    if (sec.len < total) return;
    sec.active = false;
    const s = sec.buf.subarray(0, total);
    if (crc32Mpeg2(s) !== 0) {
      this.report(new CodecError('CODEC_INVALID', `PSI section on PID ${pid} has a bad CRC`));
      return;
    }
    if (pid === TsPid.PAT && s[0] === TableId.PAT) this.parsePat(s);
    else if (pid === this.pmtPid && s[0] === TableId.PMT) this.parsePmt(s);
  }

  private parsePat(s: Buffer): void {
    if (!(s[5] & 1)) return; // not yet current
    for (let p = 8; p + 4 <= s.length - 4; p += 4) {
      const program = s.readUInt16BE(p);
      const pid = s.readUInt16BE(p + 2) & 0x1fff;
      if (program === 0) continue; // network PID
      if (pid !== this.pmtPid) {
        this.sections.delete(this.pmtPid);
        this.sections.delete(pid);
        this.pmtPid = pid;
      }
      return; // the first program only
    }
  }

  private parsePmt(s: Buffer): void {
    if (!(s[5] & 1)) return;
    const programInfoLength = s.readUInt16BE(10) & 0x0fff;
    const end = s.length - 4;
    let video: [number, StreamType] | null = null;
    let audio: [number, StreamType] | null = null;
    for (let p = 12 + programInfoLength; p + 5 <= end; ) {
      const type = s[p];
      const pid = s.readUInt16BE(p + 1) & 0x1fff;
      p += 5 + (s.readUInt16BE(p + 3) & 0x0fff);
      if (!video && (type === StreamType.H264 || type === StreamType.H265)) video = [pid, type];
      else if (!audio && (type === StreamType.AAC_ADTS || type === StreamType.MPEG1Audio || type === StreamType.MPEG2Audio)) {
        audio = [pid, type];
      }
    }
    const next = new Map<number, PesStream>();
    for (const [kind, entry] of [['video', video], ['audio', audio]] as const) {
      if (!entry) continue;
      const [pid, type] = entry;
      const old = this.streams.get(pid);
      if (old && old.streamType === type && old.kind === kind) next.set(pid, old);
      else next.set(pid, this.newStream(pid, kind, type));
    }
    for (const [pid, old] of this.streams) {
      if (next.get(pid) !== old && old.active) this.finishPes(old);
    }
    this.streams = next;
  }

  private newStream(pid: number, kind: 'video' | 'audio', streamType: StreamType): PesStream {
    return {
      pid,
      kind,
      streamType,
      buf: Buffer.allocUnsafe(kind === 'video' ? INITIAL_VIDEO_PES : INITIAL_AUDIO_PES),
      len: 0,
      active: false,
      expected: UNKNOWN,
      cc: UNKNOWN,
      framer:
        kind === 'video'
          ? new VideoFramer(streamType === StreamType.H265 ? VideoCodec.H265 : VideoCodec.H264, (f) => this.emit(f), (e) => this.report(e))
          : null,
      aac: null,
      carry: null,
      carryTicks: 0,
    };
  }

  // ---- PES ----

  private dropPes(s: PesStream, reason: string): void {
    s.active = false;
    s.len = 0;
    s.carry = null;
    this.stats.pesDropped++;
    this.report(new CodecError('CODEC_INVALID', `PES on PID ${s.pid} dropped: ${reason}`));
  }

  private pesPacket(s: PesStream, b: Buffer, p: number, end: number, pusi: boolean, cc: number, discontinuity: boolean): void {
    if (s.cc !== UNKNOWN && !discontinuity) {
      if (cc === s.cc) return; // a duplicate packet, 2.4.3.3
      if (cc !== ((s.cc + 1) & 0xf)) {
        this.stats.ccErrors++;
        if (s.active) this.dropPes(s, `continuity counter jumped from ${s.cc} to ${cc}`);
        else s.carry = null;
      }
    }
    s.cc = cc;
    if (pusi) {
      if (s.active) this.finishPes(s);
      s.active = true;
      s.len = 0;
      s.expected = UNKNOWN;
    } else if (!s.active) {
      return; // waiting for the start of a PES
    }
    const k = end - p;
    if (s.len + k > s.buf.length) {
      const max = s.kind === 'video' ? MAX_VIDEO_PES : MAX_AUDIO_PES;
      if (s.len + k > max) {
        this.dropPes(s, `larger than ${max} bytes`);
        return;
      }
      const grown = Buffer.allocUnsafe(Math.min(max, Math.max(s.len + k, s.buf.length * 2)));
      s.buf.copy(grown, 0, 0, s.len);
      s.buf = grown;
    }
    b.copy(s.buf, s.len, p, end);
    s.len += k;
    if (s.expected === UNKNOWN && s.len >= 6) {
      if (s.buf.readUIntBE(0, 3) !== PES_START_CODE_PREFIX) {
        this.dropPes(s, 'no packet_start_code_prefix');
        return;
      }
      const pesPacketLength = s.buf.readUInt16BE(4);
      s.expected = pesPacketLength === 0 ? 0 : 6 + pesPacketLength;
    }
    if (s.expected > 0 && s.len >= s.expected) this.finishPes(s);
  }

  /** 33-bit timestamp -> monotonic 90 kHz ticks, choosing the wrap nearest the previous timestamp. */
  private unwrap(raw: number): number {
    if (this.tsRef === UNKNOWN) {
      this.tsRef = raw;
      return raw;
    }
    const x = raw + Math.round((this.tsRef - raw) / PTS_WRAP) * PTS_WRAP;
    this.tsRef = x;
    return x;
  }

  private finishPes(s: PesStream): void {
    s.active = false;
    const len = s.len;
    s.len = 0;
    const d = s.buf;
    if (len < PES_MIN_HEADER || d.readUIntBE(0, 3) !== PES_START_CODE_PREFIX) {
      this.dropPes(s, 'PES header is truncated or malformed');
      return;
    }
    let payloadEnd = len;
    if (s.expected > 0) {
      if (len < s.expected) {
        this.dropPes(s, `truncated: ${len} of ${s.expected} bytes`);
        return;
      }
      payloadEnd = s.expected;
    }
    const flags = d[7];
    const payloadStart = PES_MIN_HEADER + d[8];
    if (payloadStart > payloadEnd) {
      this.dropPes(s, 'PES header runs past its payload');
      return;
    }
    const ptsDts = flags >> 6;
    if (ptsDts < 2 || payloadStart < PES_MIN_HEADER + (ptsDts === 3 ? 10 : 5)) {
      this.dropPes(s, 'no PTS');
      return;
    }
    const ptsRaw = readTimestamp(d, PES_MIN_HEADER);
    const dtsRaw = ptsDts === 3 ? readTimestamp(d, PES_MIN_HEADER + 5) : ptsRaw;
    const dts = this.unwrap(dtsRaw);
    const pts = dts + ((ptsRaw - dtsRaw + PTS_WRAP * 1.5) % PTS_WRAP) - PTS_WRAP / 2;
    const payload = d.subarray(payloadStart, payloadEnd);
    if (s.kind === 'video') this.videoAccessUnit(s, payload, pts, dts);
    else if (s.streamType === StreamType.AAC_ADTS) this.aacPes(s, payload, pts);
    else this.mp3Pes(s, payload, pts);
  }

  private videoAccessUnit(s: PesStream, payload: Buffer, ptsTicks: number, dtsTicks: number): void {
    const framer = s.framer!;
    const before = framer.stats.withoutConfig;
    framer.push(splitAnnexB(payload), Math.round(ptsTicks / TICKS_PER_MS), Math.round(dtsTicks / TICKS_PER_MS));
    this.stats.videoWithoutConfig += framer.stats.withoutConfig - before;
  }

  private aacPes(s: PesStream, payload: Buffer, ptsTicks: number): void {
    // one allocation per PES: the frames are views of it
    const carry = s.carry;
    const own = carry ? Buffer.concat([carry, payload]) : Buffer.from(payload);
    s.carry = null;
    const r = parseAdtsFrames(own);
    if (r.skippedBytes > 0) {
      this.report(new CodecError('CODEC_INVALID', `ADTS on PID ${s.pid}: skipped ${r.skippedBytes} bytes without a syncword`));
    }
    const cfg = r.config;
    if (!cfg) {
      if (r.rest && r.rest.length <= MAX_AAC_CARRY) {
        s.carry = r.rest;
        s.carryTicks = carry ? s.carryTicks : ptsTicks;
      }
      return;
    }
    if (!s.aac || s.aac.objectType !== cfg.objectType || s.aac.sampleRateIndex !== cfg.sampleRateIndex || s.aac.channelConfig !== cfg.channelConfig) {
      s.aac = { objectType: cfg.objectType, sampleRateIndex: cfg.sampleRateIndex, channelConfig: cfg.channelConfig };
      this.emitAac(audioSpecificConfigFromAdts(cfg), carry ? s.carryTicks : ptsTicks, cfg, true);
    }
    const frameTicks = (AAC_SAMPLES_PER_FRAME * TICKS_PER_MS * 1000) / cfg.sampleRate;
    // a frame completed from the previous PES keeps that PES's clock; this PES's PTS is for the next one
    let first = 0;
    if (carry && r.frames.length > 0 && r.frames[0].byteOffset - own.byteOffset < carry.length) {
      this.emitAac(r.frames[0], s.carryTicks, cfg);
      first = 1;
    }
    for (let i = first; i < r.frames.length; i++) this.emitAac(r.frames[i], ptsTicks + (i - first) * frameTicks, cfg);
    if (r.rest) {
      if (r.rest.length <= MAX_AAC_CARRY) {
        s.carry = r.rest;
        s.carryTicks = ptsTicks + (r.frames.length - first) * frameTicks;
      } else {
        this.report(new CodecError('CODEC_INVALID', `ADTS on PID ${s.pid}: dropped a ${r.rest.length}-byte incomplete frame`));
      }
    }
  }

  /** One AAC frame, or (header) the AudioSpecificConfig made from the ADTS header. */
  private emitAac(data: Buffer, ticks: number, cfg: AacConfig, header = false): void {
    const ms = Math.round(ticks / TICKS_PER_MS);
    this.emit({
      type: 'audio',
      codec: AudioCodec.AAC,
      dts: ms,
      pts: ms,
      keyframe: false,
      header,
      data,
      sampleRate: cfg.sampleRate,
      channels: cfg.channels,
    });
  }

  private mp3Pes(s: PesStream, payload: Buffer, ptsTicks: number): void {
    if (payload.length === 0) return;
    const data = Buffer.from(payload);
    const ms = Math.round(ptsTicks / TICKS_PER_MS);
    const frame: Frame = { type: 'audio', codec: AudioCodec.MP3, dts: ms, pts: ms, keyframe: false, header: false, data };
    const rate = mpegAudioSampleRate(data);
    if (rate > 0) {
      frame.sampleRate = rate;
      frame.channels = mpegAudioChannels(data);
    } else {
      this.report(new CodecError('CODEC_INVALID', `MPEG audio PES on PID ${s.pid} does not start with a frame header`));
    }
    this.emit(frame);
  }
}
