// HLS for one stream (RFC 8216, and its draft 8216bis for low latency): a frame sink that cuts segments on
// keyframes at the target duration (SRS hls_fragment), keeps a sliding window in memory (a number of
// segments, or SRS hls_window seconds) and renders the media playlist. Segments are MPEG-TS, or fragmented
// MP4 (an init segment named by EXT-X-MAP, then .m4s media segments written by our Fmp4Writer): chosen when
// the stream starts, fMP4 for every codec other than H.264 (players read HEVC only in fMP4) or for all by
// option. With a part target (low-latency HLS, fMP4 only) each segment is also cut into partial segments
// listed as EXT-X-PART, the next one announced by EXT-X-PRELOAD-HINT, and a playlist request can wait for a
// part (blocking reload, `_HLS_msn`/`_HLS_part`). The fragment, window and part target can change live.
import { VideoCodec, type Frame } from '../../core/frame.js';
import { TsMuxer } from '../../codecs/mpegts/mux.js';
import { Fmp4Writer } from '../../codecs/mp4/fmp4.js';
import { buildMediaPlaylist, HLS_FMP4_VERSION } from '../../codecs/m3u8.js';
import type { FrameSink } from '../../hub/stream.js';

export type HlsFormat = 'ts' | 'fmp4';
/** HLS_FMP4: fMP4 for streams whose codec needs it (auto), for every stream (on), or never (off: TS only). */
export type Fmp4Mode = 'auto' | 'on' | 'off';

/** The one definition of HLS file names: `<stream>-<seq>.ts|.m4s`, beside `<stream>.m3u8`. */
export function segmentName(stream: string, seq: number, format: HlsFormat = 'ts'): string {
  return `${stream}-${seq}.${format === 'ts' ? 'ts' : 'm4s'}`;
}

/** A partial segment: `<stream>-<seq>.<part>.m4s`. */
export function partName(stream: string, seq: number, part: number): string {
  return `${stream}-${seq}.${part}.m4s`;
}

/** An fMP4 init segment: `<stream>-init<generation>.mp4` (a new generation after a republish). */
export function initName(stream: string, gen: number): string {
  return `${stream}-init${gen}.mp4`;
}

const SEGMENT_RE = /^(.+)-(\d+)$/;
const PART_RE = /^(.+)-(\d+)\.(\d+)$/;
const INIT_RE = /^(.+)-init(\d+)$/;

/** The stream and sequence number a segment name (without `.ts`/`.m4s`) names, or null. */
export function parseSegmentName(name: string): { stream: string; seq: number } | null {
  const m = SEGMENT_RE.exec(name);
  return m ? { stream: m[1]!, seq: Number(m[2]) } : null;
}

/** The stream, segment and part a part name (without `.m4s`) names, or null. */
export function parsePartName(name: string): { stream: string; seq: number; part: number } | null {
  const m = PART_RE.exec(name);
  return m ? { stream: m[1]!, seq: Number(m[2]), part: Number(m[3]) } : null;
}

/** The stream and generation an init segment name (without `.mp4`) names, or null. */
export function parseInitName(name: string): { stream: string; gen: number } | null {
  const m = INIT_RE.exec(name);
  return m ? { stream: m[1]!, gen: Number(m[2]) } : null;
}

/** a segment in progress larger than this (no keyframe for far too long) is dropped */
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/** fMP4 holds the samples of a segment in its writer: without a keyframe for this long, cut anyway */
const MAX_SEGMENT_MS = 30000;
/** parts are listed for the segments of about this many target durations at the live edge (8216bis: 3) */
const PART_SEGMENTS = 3;

export interface HlsPart {
  index: number;
  /** seconds */
  duration: number;
  data: Buffer;
  /** starts with a keyframe */
  independent: boolean;
}

export interface HlsSegment {
  seq: number;
  /** seconds */
  duration: number;
  data: Buffer;
  discontinuity: boolean;
  /** when the segment was completed, ms since epoch */
  completedAt: number;
  format: HlsFormat;
  /** fMP4: the generation of its init segment */
  init?: number;
  /** when its first frame arrived, ms since epoch (EXT-X-PROGRAM-DATE-TIME with low latency) */
  startedAt?: number;
  /** low latency: its parts, which add up to `data` */
  parts?: HlsPart[];
}

export interface SegmenterOptions {
  /** target segment duration, seconds */
  fragment: number;
  /** segments listed in the playlist */
  window: number;
  /** instead of `window`: list the newest segments that add up to at most this many seconds (SRS hls_window) */
  windowSeconds?: number;
  /** base name of segment files: <name>-<seq>.ts */
  name: string;
  /** when to write fMP4; default auto */
  fmp4?: Fmp4Mode;
  /** low-latency HLS: the part target, seconds (0 or absent: no parts); it makes new streams fMP4 */
  part?: number;
}

interface Waiter {
  seq: number;
  part: number;
  resolve: () => void;
}

export class HlsSegmenter implements FrameSink {
  private readonly ts = new TsMuxer();
  /** a video sequence header was seen: audio frames are not segment boundaries */
  private videoTrack = false;
  private readonly segments: HlsSegment[] = [];
  private chunks: Buffer[] = [];
  private partBytes = 0;
  private startDts = -1;
  private lastDts = -1;
  private nextSeq = 0;
  private discontinuityNext = false;
  private discontinuitySeq = 0;
  private hasVideo = false;
  private playlistCache: string | null = null;

  /** the format of this publish, chosen at its first media frame */
  private format: HlsFormat | null = null;
  private videoHeader: Frame | null = null;
  private audioHeader: Frame | null = null;
  private writer: Fmp4Writer | null = null;
  /** the current writer's init has an audio track */
  private writerAudio = false;
  /** segments completed since the current writer started */
  private writerSegments = 0;
  private initGen = -1;
  private readonly inits = new Map<number, Buffer>();
  /** low latency: the parts of the segment in progress, and where the part in progress started */
  private parts: HlsPart[] = [];
  private partStart = -1;
  private segmentWall = 0;
  private partIndependent = false;
  private partChunks: Buffer[] = [];
  private frameStep = 0;
  private lastBoundaryDts = -1;
  /** the largest part duration written, seconds */
  private maxPart = 0;
  private waiters: Waiter[] = [];

  /** set by the owner: the stream is gone */
  onClose: (() => void) | undefined;

  constructor(private opts: SegmenterOptions) {}

  /**
   * New fragment, window and part target: the segment in progress is cut by the new fragment at its next
   * keyframe; a new part target applies from the next part (a stream already in MPEG-TS gets parts at its next
   * publish).
   */
  configure(o: Pick<SegmenterOptions, 'fragment' | 'window' | 'windowSeconds' | 'part'>): void {
    this.opts = { ...this.opts, fragment: o.fragment, window: o.window, windowSeconds: o.windowSeconds, part: o.part };
    this.playlistCache = null;
  }

  /** The format of the stream's segments, once it has started (null before). */
  get segmentFormat(): HlsFormat | null {
    return this.format;
  }

  /** The part target in force, seconds (0: no parts). */
  private get partTarget(): number {
    return this.format === 'fmp4' ? this.opts.part ?? 0 : 0;
  }

  /** The segments the playlist lists: the newest `window`, or the newest within `windowSeconds`. */
  private listed(): HlsSegment[] {
    const limit = this.opts.windowSeconds;
    if (limit === undefined) return this.segments.slice(-this.opts.window);
    let total = 0;
    let i = this.segments.length;
    while (i > 0 && (i === this.segments.length || total + this.segments[i - 1]!.duration <= limit)) {
      total += this.segments[i - 1]!.duration;
      i--;
    }
    return this.segments.slice(i);
  }

  onPublish(republish: boolean): void {
    if (republish) this.discontinuityNext = true;
    this.hasVideo = false;
    // A new publish may bring other codecs: choose the format again, with a new init segment.
    this.format = null;
    this.writer = null;
  }

  onUnpublish(): void {
    this.cut(this.lastDts >= 0 ? this.lastDts + 40 : -1, null);
    this.wake();
  }

  onFrame(f: Frame): void {
    if (f.header) {
      // The TS muxer keeps the parameter sets and follows the tracks by itself; fMP4 is told of changes.
      this.ts.mux(f);
      if (f.type === 'video') {
        this.videoTrack = true;
        this.videoHeader = f;
      } else if (f.type === 'audio') {
        this.audioHeader = f;
        if (this.writer && !this.writerAudio) {
          // fMP4 started video-only (the audio config came after the first keyframe, as from SRT/MPEG-TS): an
          // init segment cannot gain a track, so the next keyframe starts a new init with both tracks. A first
          // segment still in progress is dropped (players would take the stream for video-only); a later
          // one is closed, with a discontinuity.
          if (this.writerSegments === 0) {
            this.chunks = [];
            this.partChunks = [];
            this.parts = [];
            this.partBytes = 0;
            this.startDts = -1;
            this.partStart = -1;
            this.playlistCache = null;
          } else {
            this.cut(this.lastDts >= 0 ? this.lastDts + 40 : -1, null);
            this.discontinuityNext = true;
          }
          this.writer = null;
          return;
        }
      }
      if (this.writer && f.type !== 'script') this.writer.push(f);
      return;
    }
    if (f.type === 'script') return;
    if (this.format === null) this.format = this.chooseFormat();
    if (f.type === 'video') this.hasVideo = true;
    const boundary = f.type === 'video' ? f.keyframe : !this.hasVideo && !this.videoTrack;
    if (this.format === 'fmp4') return this.onFmp4Frame(f, boundary);
    if (boundary) {
      if (this.startDts >= 0 && f.dts - this.startDts >= this.opts.fragment * 1000) this.cut(f.dts, null);
      if (this.startDts < 0) {
        this.startDts = f.dts;
        this.ts.forceTables();
      }
    }
    // Nothing before the first keyframe: every segment must start with one.
    if (this.startDts < 0) return;
    const b = this.ts.mux(f);
    if (b) {
      this.chunks.push(b);
      this.partBytes += b.length;
      if (this.partBytes > MAX_SEGMENT_BYTES) {
        // No keyframe for far too long: drop the segment in progress and wait for one (memory stays bounded).
        this.chunks = [];
        this.partBytes = 0;
        this.startDts = -1;
        this.discontinuityNext = true;
      }
    }
    this.lastDts = Math.max(this.lastDts, f.dts);
  }

  private chooseFormat(): HlsFormat {
    const mode = this.opts.fmp4 ?? 'auto';
    if (mode === 'off') return 'ts';
    if (mode === 'on' || (this.opts.part ?? 0) > 0) return 'fmp4';
    const v = this.videoHeader;
    return v && v.codec !== VideoCodec.H264 ? 'fmp4' : 'ts';
  }

  private onFmp4Frame(f: Frame, boundary: boolean): void {
    if (!this.writer) {
      if (!boundary) return; // every segment starts with a keyframe
      this.writerAudio = this.audioHeader !== null;
      this.writerSegments = 0;
      this.writer = new Fmp4Writer({ externalCuts: true, hasVideo: this.videoTrack, hasAudio: this.writerAudio });
      if (this.videoHeader) this.writer.push(this.videoHeader);
      if (this.audioHeader) this.writer.push(this.audioHeader);
    }
    const w = this.writer;
    // Cut points: the segment at a keyframe past the fragment, a part (low latency) before the frame that
    // would take it past the part target, on video frames (any frame without video).
    const cutSegment =
      this.startDts >= 0 && ((boundary && f.dts - this.startDts >= this.opts.fragment * 1000) || f.dts - this.startDts >= MAX_SEGMENT_MS);
    const target = this.partTarget * 1000;
    const partFrame = f.type === 'video' || (!this.hasVideo && !this.videoTrack);
    if (partFrame && this.lastBoundaryDts >= 0 && f.dts > this.lastBoundaryDts) this.frameStep = f.dts - this.lastBoundaryDts;
    const cutPart =
      !cutSegment && target > 0 && partFrame && this.partStart >= 0 && f.dts > this.partStart && f.dts - this.partStart + this.frameStep > target;
    const starting = this.startDts < 0;
    if (starting && !boundary) return;
    const wasStarted = w.started;
    const out = w.push(f, cutSegment || cutPart || starting);
    if (partFrame) this.lastBoundaryDts = f.dts;
    let bytes = out;
    if (!wasStarted && w.started && out.length > 0) {
      this.initGen++;
      this.inits.set(this.initGen, out[0]!);
      bytes = out.slice(1);
    }
    for (const b of bytes) {
      this.partChunks.push(b);
      this.partBytes += b.length;
    }
    if (cutSegment) this.cut(f.dts, f);
    else if (cutPart) this.closePart(f.dts, f);
    if (this.startDts < 0) {
      this.startDts = f.dts;
      this.segmentWall = Date.now();
      this.partStart = f.dts;
      this.partIndependent = boundary;
    }
    this.lastDts = Math.max(this.lastDts, f.dts);
  }

  /** Low latency: completes the part in progress at `endDts`; `next` starts the next one. */
  private closePart(endDts: number, next: Frame | null): void {
    if (this.partStart < 0 || this.partChunks.length === 0) return;
    const duration = Math.max(0.001, (endDts - this.partStart) / 1000);
    const data = Buffer.concat(this.partChunks);
    this.chunks.push(data);
    this.partChunks = [];
    if (this.partTarget > 0) {
      this.parts.push({ index: this.parts.length, duration, data, independent: this.partIndependent });
      this.maxPart = Math.max(this.maxPart, duration);
      this.playlistCache = null;
      this.wake();
    }
    this.partStart = next ? endDts : -1;
    this.partIndependent = next !== null && (next.type === 'video' ? next.keyframe : true);
  }

  /** Completes the current segment at `endDts` (the next segment's first dts); fMP4: `next` is that frame. */
  private cut(endDts: number, next: Frame | null): void {
    if (this.format === 'fmp4' && this.writer && next === null) {
      for (const b of this.writer.flush()) {
        this.partChunks.push(b);
        this.partBytes += b.length;
      }
    }
    if (this.format === 'fmp4') this.closePart(endDts, next);
    if (this.startDts < 0 || this.partBytes === 0) {
      this.startDts = -1;
      return;
    }
    const duration = Math.max(0.001, (endDts - this.startDts) / 1000);
    const now = Date.now();
    const fmp4 = this.format === 'fmp4';
    const seg: HlsSegment = {
      seq: this.nextSeq,
      duration,
      data: this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.partBytes),
      discontinuity: this.discontinuityNext && this.nextSeq > 0,
      completedAt: now,
      format: fmp4 ? 'fmp4' : 'ts',
      ...(fmp4 ? { init: this.initGen, startedAt: this.segmentWall } : {}),
      ...(this.parts.length > 0 ? { parts: this.parts } : {}),
    };
    this.nextSeq++;
    this.writerSegments++;
    this.discontinuityNext = false;
    this.chunks = [];
    this.parts = [];
    this.partBytes = 0;
    this.startDts = -1;
    this.segments.push(seg);
    // Keep two segments beyond the window for players holding an older playlist.
    const keep = this.opts.windowSeconds === undefined ? this.opts.window : this.listed().length;
    while (this.segments.length > keep + 2) {
      const old = this.segments.shift()!;
      if (old.discontinuity) this.discontinuitySeq++;
    }
    for (const gen of this.inits.keys()) {
      if (gen !== this.initGen && !this.segments.some((s) => s.init === gen)) this.inits.delete(gen);
    }
    this.playlistCache = null;
    this.wake();
  }

  /**
   * The media playlist, or null before the first segment is complete; `query` (e.g. "hls_ctx=abc") is
   * appended to each segment, part and init URI.
   */
  playlist(query = ''): string | null {
    const plain = this.plainPlaylist();
    if (!plain || !query) return plain;
    return plain.replace(/\.(ts|m4s)\n/g, `.$1?${query}\n`).replace(/\.(m4s|mp4)"/g, `.$1?${query}"`);
  }

  private plainPlaylist(): string | null {
    if (this.playlistCache) return this.playlistCache;
    const listed = this.listed();
    if (listed.length === 0) return null;
    let discSeq = this.discontinuitySeq;
    for (const s of this.segments) {
      if (s === listed[0]) break;
      if (s.discontinuity) discSeq++;
    }
    const name = this.opts.name;
    const fmp4 = listed.some((s) => s.format === 'fmp4');
    const part = this.partTarget;
    const ll = part > 0 && this.format === 'fmp4';
    let text = buildMediaPlaylist({
      ...(fmp4 ? { version: HLS_FMP4_VERSION } : {}),
      targetDuration: Math.ceil(Math.max(...listed.map((s) => s.duration))),
      mediaSequence: listed[0]!.seq,
      discontinuitySequence: discSeq,
      segments: listed.map((s) => ({
        uri: segmentName(name, s.seq, s.format),
        duration: s.duration,
        discontinuity: s.discontinuity,
        ...(s.init !== undefined ? { map: initName(name, s.init) } : {}),
        ...(ll && s.startedAt !== undefined ? { programDateTime: s.startedAt } : {}),
      })),
    });
    if (ll) text = this.lowLatency(text, listed, part);
    this.playlistCache = text;
    return text;
  }

  /** Adds the low-latency tags (8216bis 4.4.3.7-4.4.3.8, 4.4.5.2-4.4.5.3) to a built fMP4 playlist. */
  private lowLatency(text: string, listed: HlsSegment[], partTarget: number): string {
    const name = this.opts.name;
    const target = Math.max(partTarget, this.maxPart);
    const partLine = (seq: number, p: HlsPart) =>
      `#EXT-X-PART:DURATION=${p.duration.toFixed(3)},URI="${partName(name, seq, p.index)}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
    const lines = text.trimEnd().split('\n');
    const head = [
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${(target * 3).toFixed(3)}`,
      `#EXT-X-PART-INF:PART-TARGET=${target.toFixed(3)}`,
    ];
    lines.splice(1, 1, '#EXT-X-VERSION:9', ...head);
    // Parts of the newest segments go before their EXTINF.
    const from = Math.max(0, listed.length - PART_SEGMENTS);
    for (let i = from; i < listed.length; i++) {
      const s = listed[i]!;
      if (!s.parts) continue;
      const uri = segmentName(name, s.seq, 'fmp4');
      const at = lines.lastIndexOf(uri);
      if (at < 1) continue;
      lines.splice(at - 1, 0, ...s.parts.map((p) => partLine(s.seq, p)));
    }
    for (const p of this.parts) lines.push(partLine(this.nextSeq, p));
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(name, this.nextSeq, this.parts.length)}"`);
    return lines.join('\n') + '\n';
  }

  segment(seq: number): HlsSegment | undefined {
    return this.segments.find((s) => s.seq === seq);
  }

  /** A part: of a completed segment still held, or of the segment in progress. */
  part(seq: number, index: number): HlsPart | undefined {
    if (seq === this.nextSeq) return this.parts[index];
    return this.segment(seq)?.parts?.[index];
  }

  /** An fMP4 init segment still referenced. */
  init(gen: number): Buffer | undefined {
    return this.inits.get(gen);
  }

  /** The next part to be written (what EXT-X-PRELOAD-HINT names). */
  get nextPart(): { seq: number; part: number } {
    return { seq: this.nextSeq, part: this.parts.length };
  }

  /** Whether the playlist holds segment `seq` complete, or (part >= 0) its part `part`. */
  private has(seq: number, part: number): boolean {
    if (seq < this.nextSeq) return true;
    if (seq > this.nextSeq || part < 0) return false;
    return this.parts.length > part;
  }

  /**
   * Blocking reload (8216bis 6.2.5.2): resolves when segment `seq` is complete (part < 0) or its part `part`
   * is written, or after `timeoutMs`; true if it is there.
   */
  waitFor(seq: number, part: number, timeoutMs: number): Promise<boolean> {
    if (this.has(seq, part)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = {
        seq,
        part,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.has(seq, part));
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(this.has(seq, part));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => this.has(w.seq, w.part));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** The highest bitrate of the listed segments, bits per second (0 before the first): BANDWIDTH in ABR playlists. */
  measuredBitrate(): number {
    let peak = 0;
    for (const s of this.listed()) if (s.duration >= 0.5) peak = Math.max(peak, (s.data.length * 8) / s.duration);
    return Math.round(peak);
  }

  get bytes(): number {
    let n = this.partBytes;
    for (const s of this.segments) n += s.data.length;
    for (const b of this.inits.values()) n += b.length;
    return n;
  }
}
