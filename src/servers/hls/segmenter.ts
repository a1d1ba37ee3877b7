// HLS for one stream (RFC 8216): a frame sink that cuts MPEG-TS segments on keyframes at the target
// duration (SRS hls_fragment), keeps a sliding window in memory (a number of segments, or SRS hls_window
// seconds) and renders the media playlist. The fragment and window can change while the stream is live.
import type { Frame } from '../../core/frame.js';
import { TsMuxer } from '../../codecs/mpegts/mux.js';
import { buildMediaPlaylist } from '../../codecs/m3u8.js';
import type { FrameSink } from '../../hub/stream.js';

/** The one definition of HLS segment names: `<stream>-<seq>.ts`, beside `<stream>.m3u8`. */
export function segmentName(stream: string, seq: number): string {
  return `${stream}-${seq}.ts`;
}

const SEGMENT_RE = /^(.+)-(\d+)$/;

/** The stream and sequence number a segment name (without `.ts`) names, or null. */
export function parseSegmentName(name: string): { stream: string; seq: number } | null {
  const m = SEGMENT_RE.exec(name);
  return m ? { stream: m[1]!, seq: Number(m[2]) } : null;
}

/** a segment in progress larger than this (no keyframe for far too long) is dropped */
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface HlsSegment {
  seq: number;
  /** seconds */
  duration: number;
  data: Buffer;
  discontinuity: boolean;
  /** when the segment was completed, ms since epoch */
  completedAt: number;
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
}

export class HlsSegmenter implements FrameSink {
  private readonly ts = new TsMuxer();
  /** a video sequence header was seen: audio frames are not segment boundaries */
  private videoTrack = false;
  private readonly segments: HlsSegment[] = [];
  private parts: Buffer[] = [];
  private partBytes = 0;
  private startDts = -1;
  private lastDts = -1;
  private nextSeq = 0;
  private discontinuityNext = false;
  private discontinuitySeq = 0;
  private hasVideo = false;
  private playlistCache: string | null = null;

  /** set by the owner: the stream is gone */
  onClose: (() => void) | undefined;

  constructor(private opts: SegmenterOptions) {}

  /** New fragment and window: the segment in progress is cut by the new fragment at its next keyframe. */
  configure(o: Pick<SegmenterOptions, 'fragment' | 'window' | 'windowSeconds'>): void {
    this.opts = { ...this.opts, fragment: o.fragment, window: o.window, windowSeconds: o.windowSeconds };
    this.playlistCache = null;
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
  }

  onUnpublish(): void {
    this.cut(this.lastDts >= 0 ? this.lastDts + 40 : -1);
  }

  onFrame(f: Frame): void {
    if (f.header) {
      // The TS muxer keeps the parameter sets and follows the tracks by itself.
      this.ts.mux(f);
      if (f.type === 'video') this.videoTrack = true;
      return;
    }
    if (f.type === 'script') return;
    if (f.type === 'video') this.hasVideo = true;
    const boundary = f.type === 'video' ? f.keyframe : !this.hasVideo && !this.videoTrack;
    if (boundary) {
      if (this.startDts >= 0 && f.dts - this.startDts >= this.opts.fragment * 1000) this.cut(f.dts);
      if (this.startDts < 0) {
        this.startDts = f.dts;
        this.ts.forceTables();
      }
    }
    // Nothing before the first keyframe: every segment must start with one.
    if (this.startDts < 0) return;
    const b = this.ts.mux(f);
    if (b) {
      this.parts.push(b);
      this.partBytes += b.length;
      if (this.partBytes > MAX_SEGMENT_BYTES) {
        // No keyframe for far too long: drop the segment in progress and wait for one (memory stays bounded).
        this.parts = [];
        this.partBytes = 0;
        this.startDts = -1;
        this.discontinuityNext = true;
      }
    }
    this.lastDts = Math.max(this.lastDts, f.dts);
  }

  /** Completes the current segment at `endDts` (the next segment's first dts). */
  private cut(endDts: number): void {
    if (this.startDts < 0 || this.partBytes === 0) {
      this.startDts = -1;
      return;
    }
    const duration = Math.max(0.001, (endDts - this.startDts) / 1000);
    const now = Date.now();
    const seg: HlsSegment = {
      seq: this.nextSeq,
      duration,
      data: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes),
      discontinuity: this.discontinuityNext && this.nextSeq > 0,
      completedAt: now,
    };
    this.nextSeq++;
    this.discontinuityNext = false;
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
    this.playlistCache = null;
  }

  /**
   * The media playlist, or null before the first segment is complete; `query` (e.g. "hls_ctx=abc") is
   * appended to each segment URI.
   */
  playlist(query = ''): string | null {
    const plain = this.plainPlaylist();
    return plain && query ? plain.replace(/\.ts\n/g, `.ts?${query}\n`) : plain;
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
    this.playlistCache = buildMediaPlaylist({
      targetDuration: Math.ceil(Math.max(...listed.map((s) => s.duration))),
      mediaSequence: listed[0]!.seq,
      discontinuitySequence: discSeq,
      segments: listed.map((s) => ({
        uri: segmentName(this.opts.name, s.seq),
        duration: s.duration,
        discontinuity: s.discontinuity,
      })),
    });
    return this.playlistCache;
  }

  segment(seq: number): HlsSegment | undefined {
    return this.segments.find((s) => s.seq === seq);
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
    return n;
  }
}
