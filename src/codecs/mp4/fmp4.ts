// Fragmented MP4 writer for recording (ISO/IEC 14496-12 8.8 movie fragments; 14496-15 avcC/hvcC sample
// entries; 14496-14 esds). Frames in, bytes to append to a file out: an init segment (ftyp + moov with
// empty sample tables and mvex), then moof + mdat fragments cut at video keyframes.

import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { AAC_SAMPLES_PER_FRAME, parseAudioSpecificConfig, type AacConfig } from '../aac.js';
import { parseAv1Config } from '../av1.js';
import { CodecError } from '../codec-error.js';
import { parseAvcDecoderConfig, parseSps } from '../h264.js';
import { parseHevcDecoderConfig } from '../h265.js';
import { mpegAudioChannels, mpegAudioSampleRate, mpegAudioSamplesPerFrame } from '../mpeg-audio.js';
import {
  box,
  boxHeader,
  dinf,
  FieldWriter,
  ftyp,
  fullBox,
  hdlr,
  mdhd,
  mediaInfoHeader,
  mvhd,
  serialize,
  stsd,
  tkhd,
  type Box,
} from './boxes.js';

/** Track ids are fixed by kind so that files written by different writers line up. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

/** trun/trex sample flags (14496-12 8.8.3.1): a sync sample, and a sample that depends on others. */
export const SAMPLE_FLAGS_SYNC = 0x02000000;
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000;

export interface Fmp4WriterOptions {
  /** Cut a fragment at the first video keyframe at least this long after the fragment start. Default 1000. */
  fragmentMs?: number;
  /** Cut even without a keyframe once a fragment is this long, bounding what a crash can lose. Default 10000. */
  maxFragmentMs?: number;
  /** Whether the stream has video / audio, when the caller knows (from metadata); undefined = find out. */
  hasVideo?: boolean;
  hasAudio?: boolean;
  /** How much media (ms) to buffer waiting for a missing sequence header before starting without it. Default 1000. */
  startWaitMs?: number;
  /** Video track timescale. Default 90000. */
  videoTimescale?: number;
  /**
   * The caller cuts the fragments (HLS segments and parts): fragments are cut only before a frame pushed with
   * `cutBefore` true, never by time or keyframe. Default false.
   */
  externalCuts?: boolean;
  /** Picture size for tkhd and the sample entry; default: read from the SPS. */
  width?: number;
  height?: number;
}

/** Counters and notes about what the writer did, for logs and the API. */
export interface Fmp4WriterStats {
  fragments: number;
  videoSamples: number;
  audioSamples: number;
  /** bytes returned so far */
  bytes: number;
  /** media frames not written: before the first keyframe, without a configuration, unsupported codec, ... */
  droppedFrames: number;
  /** sequence headers that differed from the one in force */
  configChanges: number;
  /** human-readable notes on anything unusual (kept short: one per kind of event) */
  notes: string[];
}

interface VideoConfig {
  codec: VideoCodec;
  record: Buffer;
  width: number;
  height: number;
  /** bytes of the NAL unit length fields in samples */
  lengthSize: number;
  /** the parameter sets as length-prefixed NAL units, to send in-band after a change */
  paramSets: Buffer;
}

interface AudioConfig {
  codec: AudioCodec;
  /** AudioSpecificConfig (AAC only) */
  asc: Buffer | null;
  /** timescale: the core sample rate */
  sampleRate: number;
  /** output sample rate for the sample entry (differs from sampleRate with explicit SBR) */
  outputRate: number;
  channels: number;
  objectType: number;
  samplesPerFrame: number;
}

interface Sample {
  /** dts relative to the writer origin, ms */
  rel: number;
  decodeTime: number;
  duration: number;
  cts: number;
  sync: boolean;
  data: Buffer;
  prefix: Buffer | null;
}

interface Track {
  id: number;
  kind: 'video' | 'audio';
  timescale: number;
  /** nominal samples per frame (audio), 0 for video */
  nominal: number;
  done: Sample[];
  last: Sample | null;
  /** decode time where the next sample starts, once a held sample was closed by flush() */
  endTime: number | null;
  lastDuration: number;
}

type Phase = 'collect' | 'waitKey' | 'run';

/**
 * Turns a live stream's frames into fragmented MP4 bytes. `push()` and `flush()` return the buffers to append,
 * in order (often none); the writer never mutates frame data and returns sample payloads by reference.
 */
export class Fmp4Writer {
  private readonly fragmentMs: number;
  private readonly maxFragmentMs: number;
  private readonly startWaitMs: number;
  private readonly videoTimescale: number;
  private hasVideo: boolean | undefined;
  private hasAudio: boolean | undefined;
  private readonly width: number | undefined;
  private readonly height: number | undefined;
  private readonly externalCuts: boolean;
  /** externalCuts: the frame being pushed starts a new fragment */
  private cutRequested = false;

  private phase: Phase = 'collect';
  private pending: Frame[] = [];
  private videoConfig: VideoConfig | null = null;
  private audioConfig: AudioConfig | null = null;
  /** the configurations written into the init segment */
  private initVideo: VideoConfig | null = null;
  private initAudio: AudioConfig | null = null;
  private video: Track | null = null;
  private audio: Track | null = null;
  private videoBlocked = false;
  /** after a video configuration change, drop video up to the next keyframe */
  private videoNeedsKey = false;
  private audioBlocked = false;
  private inBandParamSets: Buffer | null = null;
  private initSent = false;
  private origin = 0;
  private fragmentStart = 0;
  private sequence = 0;
  private readonly noteSet = new Set<string>();

  readonly stats: Fmp4WriterStats = {
    fragments: 0,
    videoSamples: 0,
    audioSamples: 0,
    bytes: 0,
    droppedFrames: 0,
    configChanges: 0,
    notes: [],
  };

  constructor(opts: Fmp4WriterOptions = {}) {
    this.fragmentMs = opts.fragmentMs ?? 1000;
    this.maxFragmentMs = Math.max(opts.maxFragmentMs ?? 10000, this.fragmentMs);
    this.startWaitMs = opts.startWaitMs ?? 1000;
    this.videoTimescale = opts.videoTimescale ?? 90000;
    this.hasVideo = opts.hasVideo;
    this.hasAudio = opts.hasAudio;
    this.width = opts.width;
    this.height = opts.height;
    this.externalCuts = opts.externalCuts ?? false;
  }

  /** True once the init segment has been returned. */
  get started(): boolean {
    return this.initSent;
  }

  /** Media time written or held so far, ms. */
  get durationMs(): number {
    let end = 0;
    for (const t of [this.video, this.audio]) {
      if (!t) continue;
      const s = t.last ?? t.done[t.done.length - 1];
      const time = s ? s.decodeTime + Math.max(s.duration, 0) : t.endTime ?? 0;
      end = Math.max(end, (time / t.timescale) * 1000);
    }
    return end;
  }

  /**
   * Accepts one frame; returns the bytes to append (init segment and/or completed fragments). With
   * `externalCuts`, `cutBefore` true closes the fragment in progress before this frame: the bytes returned
   * are then that whole fragment (every sample before the frame, except a held sample of the other track).
   */
  push(frame: Frame, cutBefore = false): Buffer[] {
    this.cutRequested = cutBefore;
    const out: Buffer[] = [];
    if (frame.type === 'script') {
      this.onScript(frame);
      return out;
    }
    if (this.phase === 'collect') {
      if (frame.header) {
        this.setConfig(frame);
      } else {
        this.collectMedia(frame);
        if (this.shouldStart()) this.start(out);
      }
      this.cutRequested = false;
      return out;
    }
    if (frame.header) this.changeConfig(frame);
    else this.onMedia(frame, out);
    this.cutRequested = false;
    return out;
  }

  /**
   * Closes the held samples (their duration estimated from the previous one) and returns them as a fragment,
   * with the init segment first if it was not sent yet. Call at the end of a recording; pushing may continue.
   */
  flush(): Buffer[] {
    const out: Buffer[] = [];
    if (this.phase === 'collect' && (this.videoConfig || this.audioConfig)) this.start(out);
    for (const t of [this.video, this.audio]) {
      if (!t || !t.last) continue;
      const s = t.last;
      s.duration = t.lastDuration > 0 ? t.lastDuration : defaultDuration(t);
      t.done.push(s);
      t.endTime = s.decodeTime + s.duration;
      t.last = null;
    }
    this.cut(Infinity, out);
    return out;
  }

  private note(key: string, text: string): void {
    if (this.noteSet.has(key)) return;
    this.noteSet.add(key);
    this.stats.notes.push(text);
  }

  private onScript(frame: Frame): void {
    // A cheap hint from onMetaData: encoders list videocodecid / audiocodecid for the tracks they send.
    if (this.phase !== 'collect' || (this.hasVideo !== undefined && this.hasAudio !== undefined)) return;
    const text = frame.data.toString('latin1');
    if (!text.includes('onMetaData')) return;
    const v = text.includes('videocodecid');
    const a = text.includes('audiocodecid');
    if (v !== a) {
      this.hasVideo ??= v;
      this.hasAudio ??= a;
    }
  }

  // ---- start-up ----

  private collectMedia(frame: Frame): void {
    if (frame.type === 'audio' && frame.codec === AudioCodec.MP3 && !this.audioConfig) {
      this.audioConfig = mp3Config(frame);
    }
    this.pending.push(frame);
    // Bound the wait: keep no more than a few start windows of media.
    const first = this.pending[0];
    if (first && frame.dts - first.dts > this.startWaitMs * 4) {
      const cut = frame.dts - this.startWaitMs * 4;
      const before = this.pending.length;
      this.pending = this.pending.filter((f) => f.dts >= cut);
      this.stats.droppedFrames += before - this.pending.length;
    }
  }

  private shouldStart(): boolean {
    const haveV = this.videoConfig !== null;
    const haveA = this.audioConfig !== null;
    if (!haveV && !haveA) return false;
    if ((haveV || this.hasVideo === false) && (haveA || this.hasAudio === false)) return true;
    const first = this.pending[0];
    const last = this.pending[this.pending.length - 1];
    return first !== undefined && last !== undefined && last.dts - first.dts >= this.startWaitMs;
  }

  private start(out: Buffer[]): void {
    if (this.videoConfig) {
      this.initVideo = this.videoConfig;
      this.video = newTrack(VIDEO_TRACK_ID, 'video', this.videoTimescale, 0);
    }
    if (this.audioConfig) {
      this.initAudio = this.audioConfig;
      this.audio = newTrack(AUDIO_TRACK_ID, 'audio', this.audioConfig.sampleRate, this.audioConfig.samplesPerFrame);
    }
    if (!this.video && this.hasVideo) this.note('no-video', 'no video sequence header in time: recording audio only');
    if (!this.audio && this.hasAudio) this.note('no-audio', 'no audio sequence header in time: recording video only');
    this.phase = this.video ? 'waitKey' : 'run';
    const pending = this.pending;
    this.pending = [];
    for (const f of pending) this.onMedia(f, out);
  }

  private sendInit(out: Buffer[]): void {
    if (this.initSent) return;
    this.initSent = true;
    this.emit(out, initSegment(this.initVideo, this.initAudio, this.video, this.audio, this.width, this.height));
  }

  // ---- configuration ----

  private setConfig(frame: Frame): void {
    if (frame.type === 'video') {
      const c = videoConfigOf(frame);
      if (c) this.videoConfig = c;
      else this.note('video-codec', `video codec ${frame.codec} is not supported in MP4 recording: skipped`);
    } else {
      const c = audioConfigOf(frame);
      if (c) this.audioConfig = c;
      else this.note('audio-codec', `audio codec ${frame.codec} is not supported in MP4 recording: skipped`);
    }
  }

  private changeConfig(frame: Frame): void {
    if (frame.type === 'video') {
      const init = this.initVideo;
      if (!init) {
        this.note('late-video', 'a video sequence header arrived after the recording started audio only: ignored');
        return;
      }
      const cur = this.videoConfig;
      if (cur && cur.codec === frame.codec && cur.record.equals(frame.data)) return;
      this.stats.configChanges++;
      this.videoNeedsKey = true;
      const c = videoConfigOf(frame);
      if (!c || c.codec !== init.codec || c.lengthSize !== init.lengthSize) {
        this.videoConfig = c;
        this.videoBlocked = true;
        this.note('video-blocked', 'the video codec changed during the recording: video dropped until it changes back');
        return;
      }
      this.videoBlocked = false;
      this.videoConfig = c;
      this.inBandParamSets = c.paramSets;
      this.note(
        'video-change',
        `video configuration changed (${init.width}x${init.height} -> ${c.width}x${c.height}): ` +
          'the init segment keeps the first one, new parameter sets are sent in-band',
      );
    } else {
      const init = this.initAudio;
      if (!init) {
        this.note('late-audio', 'an audio sequence header arrived after the recording started video only: ignored');
        return;
      }
      const c = audioConfigOf(frame);
      const cur = this.audioConfig;
      if (c && cur && sameAudio(c, cur) && (c.asc === null || (cur.asc !== null && c.asc.equals(cur.asc)))) return;
      this.stats.configChanges++;
      this.audioConfig = c;
      this.audioBlocked = !c || !sameAudio(c, init);
      if (this.audioBlocked) {
        this.note('audio-blocked', 'the audio format changed during the recording: audio dropped until it changes back');
      }
    }
  }

  // ---- samples ----

  private onMedia(frame: Frame, out: Buffer[]): void {
    const track = frame.type === 'video' ? this.video : this.audio;
    if (!track || (frame.type === 'video' ? this.videoBlocked : this.audioBlocked)) {
      this.stats.droppedFrames++;
      return;
    }
    if (frame.type === 'audio' && frame.codec !== this.initAudio?.codec) {
      this.stats.droppedFrames++;
      return;
    }
    if (frame.type === 'video' && this.videoNeedsKey) {
      if (!frame.keyframe) {
        this.stats.droppedFrames++;
        return;
      }
      this.videoNeedsKey = false;
    }
    if (this.phase === 'waitKey') {
      if (frame.type === 'audio') {
        // Hold audio until the first keyframe fixes the origin; keep a bounded window.
        this.pending.push(frame);
        const oldest = frame.dts - this.startWaitMs * 4;
        while (this.pending.length > 0 && this.pending[0]!.dts < oldest) {
          this.pending.shift();
          this.stats.droppedFrames++;
        }
        return;
      }
      if (!frame.keyframe) {
        this.stats.droppedFrames++;
        return;
      }
      this.phase = 'run';
      this.origin = frame.dts;
      this.sendInit(out);
      const audio = this.pending;
      this.pending = [];
      this.addSample(track, frame, out);
      for (const f of audio) this.onMedia(f, out);
      return;
    }
    if (!this.initSent) {
      this.origin = frame.dts;
      this.sendInit(out);
    }
    this.addSample(track, frame, out);
  }

  private addSample(track: Track, frame: Frame, out: Buffer[]): void {
    let rel = frame.dts - this.origin;
    const prev = track.last ?? track.done[track.done.length - 1];
    if (prev && rel < prev.rel - 1000) {
      // Timestamps jumped back (a republish the caller did not smooth): continue the timeline from here.
      const step = track.lastDuration > 0 ? (track.lastDuration * 1000) / track.timescale : 0;
      this.origin = frame.dts - (prev.rel + step);
      rel = frame.dts - this.origin;
      this.note('ts-jump', 'timestamps jumped backwards: the timeline was continued');
    }
    if (rel < 0) {
      this.stats.droppedFrames++;
      return;
    }
    const ideal = Math.round((rel * track.timescale) / 1000);
    let decodeTime: number;
    if (track.last) {
      const last = track.last;
      let d = ideal - last.decodeTime;
      if (track.nominal > 0 && Math.abs(d - track.nominal) <= track.timescale * 0.003) d = track.nominal;
      if (d < 1) d = 1;
      last.duration = d;
      track.lastDuration = d;
      track.done.push(last);
      track.last = null;
      decodeTime = last.decodeTime + d;
    } else {
      decodeTime = track.endTime ?? ideal;
    }

    // Cut before the new sample: at a video keyframe, by time when there is no video, and at the maximum
    // length on any track (so audio alone cannot grow a fragment without bound while video is missing).
    const age = rel - this.fragmentStart;
    const atKey = this.video ? track.kind === 'video' && frame.keyframe : true;
    if (this.externalCuts ? this.cutRequested : (age >= this.fragmentMs && atKey) || age >= this.maxFragmentMs) {
      this.cutRequested = false;
      this.cut(rel, out);
    }

    let prefix: Buffer | null = null;
    if (track.kind === 'video' && frame.keyframe && this.inBandParamSets) {
      prefix = this.inBandParamSets;
      this.inBandParamSets = null;
    }
    track.last = {
      rel,
      decodeTime,
      duration: -1,
      cts: Math.round(((frame.pts - frame.dts) * track.timescale) / 1000),
      sync: track.kind === 'audio' || frame.keyframe,
      data: frame.data,
      prefix,
    };
  }

  /** Emits a fragment of every complete sample with rel < `until`. */
  private cut(until: number, out: Buffer[]): void {
    const runs: { track: Track; samples: Sample[] }[] = [];
    for (const t of [this.video, this.audio]) {
      if (!t) continue;
      let n = 0;
      while (n < t.done.length && t.done[n]!.rel < until) n++;
      if (n === 0) continue;
      runs.push({ track: t, samples: t.done.slice(0, n) });
      t.done = t.done.slice(n);
    }
    if (until !== Infinity) this.fragmentStart = until;
    if (runs.length === 0) return;
    this.sequence++;
    this.emit(out, ...fragment(this.sequence, runs));
    this.stats.fragments++;
    for (const r of runs) {
      if (r.track.kind === 'video') this.stats.videoSamples += r.samples.length;
      else this.stats.audioSamples += r.samples.length;
    }
  }

  private emit(out: Buffer[], ...bufs: Buffer[]): void {
    for (const b of bufs) {
      out.push(b);
      this.stats.bytes += b.length;
    }
  }
}

function newTrack(id: number, kind: 'video' | 'audio', timescale: number, nominal: number): Track {
  return { id, kind, timescale, nominal, done: [], last: null, endTime: null, lastDuration: 0 };
}

function defaultDuration(t: Track): number {
  return t.nominal > 0 ? t.nominal : Math.round(t.timescale / 25);
}

function sameAudio(a: AudioConfig, b: AudioConfig): boolean {
  return a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels && a.objectType === b.objectType;
}

// ---- init segment ----

function initSegment(
  v: VideoConfig | null,
  a: AudioConfig | null,
  vt: Track | null,
  at: Track | null,
  width: number | undefined,
  height: number | undefined,
): Buffer {
  const brands = ['isom', 'iso6', 'mp41'];
  if (v) brands.push(v.codec === VideoCodec.H265 ? 'hvc1' : v.codec === VideoCodec.AV1 ? 'av01' : 'avc1');
  const traks: Box[] = [];
  const trexes: Box[] = [];
  if (v && vt) {
    const w = width ?? v.width;
    const h = height ?? v.height;
    traks.push(emptyTrak(vt, 'vide', w, h, videoSampleEntry(v, w, h)));
    trexes.push(trex(vt.id));
  }
  if (a && at) {
    traks.push(emptyTrak(at, 'soun', 0, 0, audioSampleEntry(a)));
    trexes.push(trex(at.id));
  }
  const moov = box('moov', mvhd(1000, 0, AUDIO_TRACK_ID + 1), ...traks, box('mvex', ...trexes));
  return serialize(ftyp('isom', 0x200, brands), moov);
}

function emptyTrak(t: Track, handler: string, width: number, height: number, entry: Box): Box {
  const empty8 = Buffer.alloc(4); // entry_count 0
  const stbl = box(
    'stbl',
    stsd([entry]),
    fullBox('stts', 0, 0, empty8),
    fullBox('stsc', 0, 0, empty8),
    fullBox('stsz', 0, 0, Buffer.alloc(8)),
    fullBox('stco', 0, 0, empty8),
  );
  return box(
    'trak',
    tkhd(t.id, 0, width, height, handler === 'soun'),
    box(
      'mdia',
      mdhd(t.timescale, 0),
      hdlr(handler, handler === 'vide' ? 'VideoHandler' : 'SoundHandler'),
      box('minf', mediaInfoHeader(handler), dinf(), stbl),
    ),
  );
}

function trex(trackId: number): Box {
  return fullBox('trex', 0, 0, new FieldWriter(20).u32(trackId).u32(1).u32(0).u32(0).u32(0).end());
}

/** VisualSampleEntry (14496-12 12.1.3) with its avcC / hvcC. */
function videoSampleEntry(v: VideoConfig, width: number, height: number): Box {
  const hevc = v.codec === VideoCodec.H265;
  const w = new FieldWriter(78)
    .zeros(6)
    .u16(1) // data_reference_index
    .zeros(16)
    .u16(width)
    .u16(height)
    .u32(0x00480000)
    .u32(0x00480000)
    .u32(0)
    .u16(1) // frame_count
    .zeros(32) // compressorname
    .u16(0x0018)
    .i16(-1);
  if (v.codec === VideoCodec.AV1) return box('av01', w.end(), box('av1C', v.record));
  return box(hevc ? 'hvc1' : 'avc1', w.end(), box(hevc ? 'hvcC' : 'avcC', v.record));
}

/** AudioSampleEntry (14496-12 12.2.3) with an esds (14496-14 5.6, 14496-1 7.2.6). */
function audioSampleEntry(a: AudioConfig): Box {
  const w = new FieldWriter(28)
    .zeros(6)
    .u16(1)
    .zeros(8)
    .u16(a.channels)
    .u16(16)
    .u32(0)
    .u32((Math.min(a.outputRate, 0xffff) << 16) >>> 0);
  return box('mp4a', w.end(), esds(a));
}

function esds(a: AudioConfig): Box {
  // ObjectTypeIndication: 0x40 = MPEG-4 audio (AAC), 0x6B = MPEG-1 audio, 0x69 = MPEG-2 audio (MP3 at low rates).
  const oti = a.codec === AudioCodec.AAC ? 0x40 : a.sampleRate >= 32000 ? 0x6b : 0x69;
  const dsi = a.asc ? descriptor(0x05, a.asc) : Buffer.alloc(0);
  const dcd = descriptor(
    0x04,
    Buffer.concat([new FieldWriter(13).u8(oti).u8(0x15).u24(0).u32(0).u32(0).end(), dsi]),
  );
  const sl = descriptor(0x06, Buffer.from([0x02]));
  const es = descriptor(0x03, Buffer.concat([Buffer.from([0, 0, 0]), dcd, sl]));
  return fullBox('esds', 0, 0, es);
}

/** An MPEG-4 descriptor: tag, expandable length (7 bits a byte), body. */
function descriptor(tag: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    len.unshift(n & 0x7f);
    n >>>= 7;
  } while (n > 0);
  for (let i = 0; i < len.length - 1; i++) len[i]! |= 0x80;
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

// ---- fragments ----

function fragment(sequence: number, runs: { track: Track; samples: Sample[] }[]): Buffer[] {
  const truns: { buf: Buffer; dataBefore: number }[] = [];
  const trafs: Box[] = [];
  const payload: Buffer[] = [];
  let dataBytes = 0;
  for (const { track, samples } of runs) {
    const video = track.kind === 'video';
    const first = samples[0]!;
    const tfhdFlags = 0x020000 | (video ? 0 : 0x20); // default-base-is-moof, [default-sample-flags]
    const tfhdBody = new FieldWriter(video ? 4 : 8).u32(track.id);
    if (!video) tfhdBody.u32(SAMPLE_FLAGS_SYNC);
    const tfdt = fullBox('tfdt', 1, 0, new FieldWriter(8).u64(first.decodeTime).end());
    // data-offset, duration, size [, flags, composition offset]
    const trunFlags = video ? 0x000f01 : 0x000301;
    const per = video ? 16 : 8;
    const w = new FieldWriter(12 + per * samples.length).u32(((video ? 1 : 0) << 24) | trunFlags);
    w.u32(samples.length).i32(0);
    const dataBefore = dataBytes;
    for (const s of samples) {
      const size = s.data.length + (s.prefix ? s.prefix.length : 0);
      w.u32(s.duration).u32(size);
      if (video) w.u32(s.sync ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC).i32(s.cts);
      if (s.prefix) payload.push(s.prefix);
      payload.push(s.data);
      dataBytes += size;
    }
    const trunBuf = w.end();
    truns.push({ buf: trunBuf, dataBefore });
    trafs.push(box('traf', fullBox('tfhd', 0, tfhdFlags, tfhdBody.end()), tfdt, box('trun', trunBuf)));
  }
  const mfhd = fullBox('mfhd', 0, 0, new FieldWriter(4).u32(sequence).end());
  const moof = box('moof', mfhd, ...trafs);
  const mdatHead = boxHeader('mdat', dataBytes);
  for (const t of truns) t.buf.writeInt32BE(moof.size + mdatHead.length + t.dataBefore, 8);
  return [serialize(moof), mdatHead, ...payload];
}

// ---- codec configuration ----

/** The writer's view of a video sequence header, read by the codec parsers; null when it cannot be used. */
function videoConfigOf(frame: Frame): VideoConfig | null {
  const rec = frame.data;
  try {
    if (frame.codec === VideoCodec.H264) {
      const cfg = parseAvcDecoderConfig(rec);
      return videoConfig(VideoCodec.H264, rec, avcPictureSize(cfg.sps[0]), cfg.nalLengthSize, [...cfg.sps, ...cfg.pps]);
    }
    if (frame.codec === VideoCodec.H265) {
      const cfg = parseHevcDecoderConfig(rec);
      const sets = [...cfg.vps, ...cfg.sps, ...cfg.pps, ...cfg.sei];
      return videoConfig(VideoCodec.H265, rec, [cfg.width, cfg.height], cfg.nalLengthSize, sets);
    }
    if (frame.codec === VideoCodec.AV1) {
      // Samples are temporal units of OBUs, not length-prefixed NAL units: lengthSize 0; the sequence
      // header OBU goes in-band after a change.
      const cfg = parseAv1Config(rec);
      return { codec: VideoCodec.AV1, record: rec, width: cfg.width, height: cfg.height, lengthSize: 0, paramSets: cfg.configObus };
    }
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return null;
}

function videoConfig(codec: VideoCodec, record: Buffer, size: [number, number], lengthSize: number, sets: Buffer[]): VideoConfig {
  return { codec, record, width: size[0], height: size[1], lengthSize, paramSets: lengthPrefixed(sets, lengthSize) };
}

/** The picture size of an H.264 SPS; 0x0 when there is none or it cannot be read (the record is still usable). */
function avcPictureSize(sps: Buffer | undefined): [number, number] {
  if (!sps) return [0, 0];
  try {
    const s = parseSps(sps);
    return [s.width, s.height];
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return [0, 0];
  }
}

function lengthPrefixed(nals: Buffer[], lengthSize: number): Buffer {
  const parts: Buffer[] = [];
  for (const n of nals) {
    const len = Buffer.alloc(lengthSize);
    len.writeUIntBE(n.length, 0, lengthSize);
    parts.push(len, n);
  }
  return Buffer.concat(parts);
}

/** The writer's view of an audio sequence header (AAC) or first frame (MP3); null when it cannot be used. */
function audioConfigOf(frame: Frame): AudioConfig | null {
  if (frame.codec === AudioCodec.MP3) return mp3Config(frame);
  if (frame.codec !== AudioCodec.AAC) return null;
  let cfg: AacConfig;
  try {
    cfg = parseAudioSpecificConfig(frame.data);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return null;
  }
  const rate = cfg.sampleRate || frame.sampleRate || 0;
  if (rate <= 0) return null;
  return {
    codec: AudioCodec.AAC,
    asc: frame.data,
    sampleRate: rate,
    outputRate: cfg.extensionSampleRate || rate,
    channels: cfg.channels || frame.channels || 2,
    objectType: cfg.coreObjectType,
    samplesPerFrame: cfg.samplesPerFrame ?? AAC_SAMPLES_PER_FRAME,
  };
}

/** MP3 parameters from the MPEG audio frame header, else from the frame fields. */
function mp3Config(frame: Frame): AudioConfig {
  const headerRate = mpegAudioSampleRate(frame.data);
  const rate = headerRate || (frame.sampleRate ?? 44100);
  const channels = headerRate ? mpegAudioChannels(frame.data) : frame.channels ?? 2;
  const samplesPerFrame = headerRate ? mpegAudioSamplesPerFrame(frame.data) : rate >= 32000 ? 1152 : 576;
  return { codec: AudioCodec.MP3, asc: null, sampleRate: rate, outputRate: rate, channels, objectType: 0, samplesPerFrame };
}
