// One live stream (vhost/app/stream): its publisher, cached sequence headers, metadata and GOP, its output
// channels (one per wire format, serialized once) and its frame sinks (HLS, recording, bridges).
import { AudioCodec, VideoCodec, type AudioInfo, type Frame, type VideoInfo } from '../core/frame.js';
import { randomId } from '../core/ids.js';
import { describeAudio, describeVideo } from '../codecs/describe.js';
import { Channel, Viewer, type ByteSink, type ChannelOptions, type OutputFormat } from './channel.js';
import type { Client } from './client.js';
import { streamKey, streamPath, type StreamUrl } from './stream-url.js';

/** A consumer of frames that is not a viewer: HLS segmenter, recorder, forwarder, protocol bridge. */
export interface FrameSink {
  /** called for every frame, headers and metadata included, in order */
  onFrame(f: Frame): void;
  /** a (re)publish began; `republish` is true when this stream had a publisher before */
  onPublish?(republish: boolean): void;
  onUnpublish?(): void;
  /** the stream is gone (no publisher and no viewers left) */
  onClose?(): void;
}

/** What a viewer of a byte format is told when the stream's publisher changes. */
export interface ViewerEvents {
  onUnpublish?(): void;
  onRepublish?(): void;
  /** the stream ended for good: end the response or connection */
  onEnd(): void;
}

export interface StreamOptions extends ChannelOptions {
  gopCache: boolean;
  /** most frames kept in the GOP cache (a runaway GOP is not cached beyond this) */
  gopMaxFrames: number;
}

interface ViewerEntry {
  viewer: Viewer;
  channel: Channel;
  events: ViewerEvents;
}

export class Stream {
  readonly id = `vid-${randomId(7)}`;
  readonly key: string;
  readonly path: string;
  readonly createdAt = Date.now();
  publisher: Client | null = null;
  /** when the current publisher started, ms since epoch */
  publishedAt = 0;
  /** number of publish sessions so far */
  publishCount = 0;
  metadata: Frame | null = null;
  videoHeader: Frame | null = null;
  audioHeader: Frame | null = null;
  video: VideoInfo | null = null;
  audio: AudioInfo | null = null;
  /** frames since (and including) the last video keyframe */
  gop: Frame[] = [];
  /** media frames received in all */
  frames = 0;
  /** video frames received in all (the API samples it for the measured frame rate) */
  videoFrames = 0;
  readonly sinks = new Set<FrameSink>();
  private readonly channels = new Map<string, Channel>();
  private readonly viewers = new Map<Viewer, ViewerEntry>();
  /** timestamp rebasing so a republish continues where the last one ended */
  private lastDts: number | null = null;
  private tsOffset = 0;
  private rebasePending = false;
  private hasVideo = false;
  private gopOverflow = false;
  private readonly muxContext = {
    hasVideo: () => this.videoHeader !== null,
    hasAudio: () => this.audioHeader !== null || this.audio !== null,
  };

  constructor(
    readonly url: StreamUrl,
    private readonly opts: StreamOptions,
    private readonly onIdle: (s: Stream) => void,
  ) {
    this.key = streamKey(url);
    this.path = streamPath(url);
  }

  get active(): boolean {
    return this.publisher !== null;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Starts a publish session; false if someone already publishes. Internal to Hub.claim: sources claim through the hub. */
  startPublish(client: Client): boolean {
    if (this.publisher) return false;
    const republish = this.publishCount > 0;
    this.publisher = client;
    this.publishedAt = Date.now();
    this.publishCount++;
    this.rebasePending = this.lastDts !== null;
    this.hasVideo = false;
    this.gop = [];
    for (const ch of this.channels.values()) ch.clearGop();
    for (const s of this.sinks) s.onPublish?.(republish);
    if (republish) for (const e of this.viewers.values()) e.events.onRepublish?.();
    return true;
  }

  /** Ends the publish session of `client` (no-op for anyone else). Internal to Publisher.release. */
  stopPublish(client: Client): void {
    if (this.publisher !== client) return;
    this.publisher = null;
    for (const ch of this.channels.values()) ch.flush();
    for (const s of this.sinks) s.onUnpublish?.();
    for (const e of this.viewers.values()) e.events.onUnpublish?.();
    this.gop = [];
    this.onIdle(this);
  }

  /** The packet path: cache, serialize once per format, hand to sinks. */
  publish(f: Frame): void {
    if (this.rebasePending && !f.header && f.type !== 'script') {
      this.rebasePending = false;
      this.tsOffset = (this.lastDts ?? 0) + 20 - f.dts;
    }
    if (this.tsOffset !== 0) {
      f.dts += this.tsOffset;
      f.pts += this.tsOffset;
    }
    let isKey = false;
    let cache = false;
    if (f.type === 'script') {
      this.metadata = f;
    } else if (f.header) {
      if (f.type === 'video') {
        this.videoHeader = f;
        this.video = describeVideo(f);
      } else {
        this.audioHeader = f;
        this.audio = describeAudio(f);
      }
    } else {
      this.frames++;
      this.lastDts = f.dts;
      if (f.type === 'video') {
        this.hasVideo = true;
        this.videoFrames++;
        isKey = f.keyframe;
      } else {
        isKey = !this.hasVideo && this.videoHeader === null;
        if (f.codec === AudioCodec.MP3 && !this.audio) {
          this.audio = { codec: AudioCodec.MP3, sampleRate: f.sampleRate ?? 0, channels: f.channels ?? 0, profile: '' };
        }
      }
      if (this.opts.gopCache) {
        if (isKey) {
          this.gop = [];
          this.gopOverflow = false;
        }
        if (!this.gopOverflow && (this.gop.length > 0 || isKey)) {
          if (this.gop.length >= this.opts.gopMaxFrames) {
            // A GOP this long is not cached: new viewers wait for the next keyframe instead.
            this.gop = [];
            this.gopOverflow = true;
          } else {
            this.gop.push(f);
            cache = true;
          }
        }
      }
    }
    for (const ch of this.channels.values()) ch.push(f, isKey, cache);
    for (const s of this.sinks) s.onFrame(f);
  }

  /** Adds a viewer of a byte format; it receives headers and the GOP at once, then live media. */
  addViewer(format: OutputFormat, client: Client, sink: ByteSink, events: ViewerEvents): Viewer {
    let ch = this.channels.get(format.name);
    if (!ch) {
      ch = new Channel(format, this.opts, this.muxContext);
      ch.prime([this.metadata, this.videoHeader, this.audioHeader], this.opts.gopCache ? this.gop : []);
      this.channels.set(format.name, ch);
    }
    const v = new Viewer(client, sink);
    ch.addViewer(v, this.opts.gopCache && this.gop.length > 0);
    this.viewers.set(v, { viewer: v, channel: ch, events });
    return v;
  }

  removeViewer(v: Viewer): void {
    const e = this.viewers.get(v);
    if (!e) return;
    this.viewers.delete(v);
    e.channel.removeViewer(v);
    if (e.channel.viewers.size === 0) {
      e.channel.close();
      this.channels.delete(e.channel.format.name);
    }
    this.onIdle(this);
  }

  /** All viewers, for stats and drop counts. */
  listViewers(): Viewer[] {
    return [...this.viewers.keys()];
  }

  addSink(s: FrameSink): void {
    this.sinks.add(s);
    // A sink that joins mid-stream gets the headers and the GOP first.
    for (const h of [this.metadata, this.videoHeader, this.audioHeader]) if (h) s.onFrame(h);
    for (const f of this.gop) s.onFrame(f);
  }

  removeSink(s: FrameSink): void {
    this.sinks.delete(s);
    this.onIdle(this);
  }

  /** Ends every viewer and sink: the stream is being removed. */
  close(): void {
    for (const e of [...this.viewers.values()]) {
      this.viewers.delete(e.viewer);
      e.channel.removeViewer(e.viewer);
      e.events.onEnd();
    }
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
    for (const s of this.sinks) s.onClose?.();
    this.sinks.clear();
  }

  get dropCount(): number {
    let n = 0;
    for (const v of this.viewers.keys()) n += v.drops;
    return n;
  }
}
