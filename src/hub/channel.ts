// One output format of one stream (FLV, RTMP, TS): the muxer that serializes each frame once, the viewers
// of that format, and the merged-write batching that hands every caught-up viewer the same Buffer.
import type { Frame } from '../core/frame.js';
import type { Client } from './client.js';

/** A serializer of frames into one wire format; one instance per stream, shared by all its viewers. */
export interface FormatMuxer {
  /** Bytes every new viewer gets first (e.g. the FLV file header), or null. */
  fileHeader(): Buffer | null;
  /** Serializes one frame (media, sequence header or metadata); null when the format carries nothing. */
  mux(frame: Frame): Buffer | null;
}

/** What a muxer may ask of its stream. */
export interface MuxContext {
  hasVideo(): boolean;
  hasAudio(): boolean;
}

/** An output format, registered by the server that speaks it. The hub knows no protocol. */
export interface OutputFormat {
  readonly name: string;
  createMuxer(ctx: MuxContext): FormatMuxer;
}

/** Where a viewer's bytes go: a net.Socket or an HTTP stream sink. */
export interface ByteSink {
  /** bytes accepted by write() but not yet handed to the kernel */
  readonly writableLength: number;
  write(buf: Buffer): unknown;
  /** hold writes until uncork() and then hand them to the kernel at once (net.Socket has both) */
  cork?(): void;
  uncork?(): void;
}

/** One viewer of one format. Counters are read by the APIs. */
export class Viewer {
  /** times this viewer fell behind and was moved to the next keyframe */
  drops = 0;
  /** waiting for a keyframe before it gets media again (joined without GOP cache, or dropped) */
  waitKey = false;
  /** bytes of the channel's pending batch this viewer already has (it joined mid-batch) */
  skip = 0;
  /** set on a drop: resend the sequence headers before the next keyframe */
  needHeaders = false;
  /** its sink is corked until the end of this tick (writes without merged writes) */
  corked = false;

  constructor(
    readonly client: Client,
    readonly sink: ByteSink,
  ) {}

  send(buf: Buffer): void {
    this.client.sendBytes += buf.length;
    this.sink.write(buf);
  }
}

export interface ChannelOptions {
  /** merged-write interval in ms; 0 writes every frame at once */
  mwLatencyMs: number;
  /** a viewer with more than this many bytes unsent is moved to the next keyframe */
  queueBytes: number;
}

export class Channel {
  readonly muxer: FormatMuxer;
  readonly viewers = new Set<Viewer>();
  /** the latest serialized sequence headers and metadata: what a new viewer needs before media */
  private meta: Buffer | null = null;
  private videoHeader: Buffer | null = null;
  private audioHeader: Buffer | null = null;
  /** the serialized GOP cache, in step with Stream.gop */
  private gop: Buffer[] = [];
  private gopBytes = 0;
  /** frames serialized since the last flush, and where keyframes start in that batch */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private keyOffsets: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** viewers corked during this tick, uncorked together on the next tick */
  private corked: Viewer[] = [];
  /** frames serialized, for stats */
  frames = 0;

  constructor(
    readonly format: OutputFormat,
    private readonly opts: ChannelOptions,
    ctx: MuxContext,
  ) {
    this.muxer = format.createMuxer(ctx);
  }

  /** Feeds the stream's cached headers and GOP when the channel is created mid-stream. */
  prime(headers: (Frame | null)[], gop: Frame[]): void {
    for (const h of headers) if (h) this.onHeader(h);
    for (const f of gop) {
      const b = this.muxer.mux(f);
      if (b) {
        this.gop.push(b);
        this.gopBytes += b.length;
      }
    }
  }

  private onHeader(f: Frame): Buffer | null {
    const b = this.muxer.mux(f);
    if (!b) return null;
    if (f.type === 'script') this.meta = b;
    else if (f.type === 'video') this.videoHeader = b;
    else this.audioHeader = b;
    return b;
  }

  /**
   * Serializes one frame once and queues it for every viewer. `isKey` marks a point a viewer may start at;
   * `cache` says the stream put this media frame in its GOP cache (false clears this channel's copy).
   */
  push(f: Frame, isKey: boolean, cache: boolean): void {
    const isMedia = !f.header && f.type !== 'script';
    if (isMedia && (isKey || !cache) && this.gop.length > 0) this.clearGop();
    const b = isMedia ? this.muxer.mux(f) : this.onHeader(f);
    if (!b) return;
    this.frames++;
    if (isMedia && cache) {
      this.gop.push(b);
      this.gopBytes += b.length;
    }
    if (this.viewers.size === 0) return;
    if (isKey) this.keyOffsets.push(this.pendingBytes);
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.opts.mwLatencyMs <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.mwLatencyMs);
  }

  clearGop(): void {
    this.gop = [];
    this.gopBytes = 0;
  }

  /** Adds a viewer and writes it the file header, sequence headers and the GOP cache at once. */
  addViewer(v: Viewer, hasGop: boolean): void {
    const parts: Buffer[] = [];
    const fh = this.muxer.fileHeader();
    if (fh) parts.push(fh);
    if (this.meta) parts.push(this.meta);
    if (this.videoHeader) parts.push(this.videoHeader);
    if (this.audioHeader) parts.push(this.audioHeader);
    if (hasGop && this.gop.length > 0) {
      for (const b of this.gop) parts.push(b);
      // The GOP already holds the frames of the pending batch: skip them at the next flush.
      v.skip = this.pendingBytes;
    } else {
      v.waitKey = true;
    }
    if (parts.length > 0) v.send(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    this.viewers.add(v);
  }

  removeViewer(v: Viewer): void {
    this.viewers.delete(v);
    this.release(v);
  }

  /** Writes the pending batch: one write per viewer, the same Buffer for all who are caught up. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const keys = this.keyOffsets;
    this.pending = [];
    this.pendingBytes = 0;
    this.keyOffsets = [];
    for (const v of this.viewers) {
      let start = v.skip;
      v.skip = 0;
      if (v.sink.writableLength > this.opts.queueBytes) {
        if (!v.waitKey) {
          v.waitKey = true;
          v.needHeaders = true;
          v.drops++;
        }
        continue;
      }
      if (v.waitKey) {
        let k = -1;
        for (const off of keys) {
          if (off >= start) {
            k = off;
            break;
          }
        }
        if (k < 0) continue;
        start = k;
        v.waitKey = false;
        if (v.needHeaders) {
          v.needHeaders = false;
          const hs = [this.videoHeader, this.audioHeader].filter((x): x is Buffer => x !== null);
          if (hs.length) v.send(Buffer.concat(hs));
        }
      }
      if (start >= batch.length) continue;
      if (this.opts.mwLatencyMs <= 0) this.cork(v);
      v.send(start === 0 ? batch : batch.subarray(start));
    }
  }

  /**
   * Without merged writes every frame is flushed as it comes, but the frames that arrive in the same tick
   * (one read from the publisher often holds an audio and a video frame) still reach each viewer's kernel
   * buffer in one syscall: its sink is corked for the rest of the tick. No frame waits for a later one.
   */
  private cork(v: Viewer): void {
    if (v.corked || !v.sink.cork) return;
    v.sink.cork();
    v.corked = true;
    if (this.corked.length === 0) process.nextTick(uncorkAll, this.corked);
    this.corked.push(v);
  }

  /** Uncorks a viewer now (it is leaving, or its connection is being ended). */
  release(v: Viewer): void {
    if (!v.corked) return;
    v.corked = false;
    v.sink.uncork?.();
  }

  /** Stops the flush timer and forgets queued bytes; viewers are ended by the stream. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.keyOffsets = [];
    this.gop = [];
  }

  get cachedBytes(): number {
    return this.gopBytes + this.pendingBytes;
  }
}

function uncorkAll(list: Viewer[]): void {
  // the array is the channel's own: emptied in place so the next tick's corks start a new round
  const vs = list.splice(0);
  for (const v of vs) {
    if (!v.corked) continue;
    v.corked = false;
    v.sink.uncork?.();
  }
}
