// RtmpPush: plays one hub stream into a remote RTMP/RTMPS server (a forward, a restream). It is a FrameSink of
// the stream: headers and the GOP first, then every frame; when the socket cannot keep up it drops frames up
// to the next keyframe and counts them.
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import type { FrameSink, Stream } from '../../hub/stream.js';
import { RtmpClient, parseRtmpTarget, type RtmpClientOptions } from './client.js';

export interface RtmpPushOptions extends RtmpClientOptions {
  /** bytes queued in the socket above which frames are dropped up to the next keyframe (default 4 MiB) */
  maxQueuedBytes?: number;
  /**
   * merged writes: frames are held in the corked socket and handed to the kernel once per this many ms (one
   * syscall for several frames, as the hub does for viewers); 0 writes each frame at once (default 0)
   */
  flushMs?: number;
}

export class RtmpPush implements FrameSink {
  /** the push ended: the reason (stopped, the stream ended, the remote closed, an error) */
  readonly closed = new TypedEvent<[string]>();
  /** frames sent */
  frames = 0;
  /** media bytes sent (frame payloads) */
  bytes = 0;
  /** frames dropped because the remote did not keep up */
  drops = 0;
  private readonly client: RtmpClient;
  private state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  private waitKeyframe = false;
  private readonly maxQueued: number;
  private closeReason: string | null = null;
  private streamGone = false;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: Stream,
    readonly url: string,
    private readonly opts: RtmpPushOptions = {},
  ) {
    parseRtmpTarget(url); // fail now on a bad URL, not at start
    this.client = new RtmpClient(opts);
    this.maxQueued = opts.maxQueuedBytes ?? 4 * 1024 * 1024;
  }

  /** bytes waiting in the socket */
  get queued(): number {
    return this.client.rawSocket?.writableLength ?? 0;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Connects and publishes, then subscribes to the stream. Rejects (and closes) when the remote refuses. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`RtmpPush to ${this.url}: start() called twice`);
    this.state = 'starting';
    this.client.closed.on((e) => this.end(e ? `the remote closed: ${e.message}` : 'the remote closed the connection'));
    try {
      await this.client.open(this.url, 'publish');
    } catch (e) {
      this.end(e instanceof Error ? e.message : String(e));
      throw e;
    }
    if (this.state !== 'starting') {
      this.client.close();
      throw new Error(`RtmpPush to ${this.url}: ${this.closeReason ?? 'stopped'}`);
    }
    this.state = 'running';
    this.stream.addSink(this);
  }

  /** Ends the push and waits for the socket to close. */
  async stop(reason = 'stopped'): Promise<void> {
    this.end(reason);
    await this.client.ended;
  }

  onFrame(f: Frame): void {
    if (this.state !== 'running') return;
    const sock = this.client.rawSocket;
    if (!sock) return;
    if (!f.header && f.type !== 'script') {
      if (this.waitKeyframe) {
        if (f.type === 'video' && f.keyframe) this.waitKeyframe = false;
        else if (f.type === 'video' || this.stream.videoHeader) {
          this.drops++;
          return;
        } else this.waitKeyframe = false; // audio only: any frame resumes
      }
      if (sock.writableLength > this.maxQueued) {
        this.waitKeyframe = true;
        this.drops++;
        return;
      }
    }
    const flushMs = this.opts.flushMs ?? 0;
    if (flushMs > 0 && !this.flushTimer) {
      sock.cork();
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        sock.uncork();
      }, flushMs);
    }
    this.client.sendFrame(f);
    this.frames++;
    this.bytes += f.data.length;
  }

  onClose(): void {
    // The stream is clearing its sinks itself: do not remove this one.
    this.streamGone = true;
    this.end('the stream ended');
  }

  private end(reason: string): void {
    if (this.state === 'closed') return;
    const subscribed = this.state === 'running';
    this.state = 'closed';
    this.closeReason = reason;
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (subscribed && !this.streamGone) this.stream.removeSink(this);
    this.client.close();
    this.closed.emit(reason);
  }
}
