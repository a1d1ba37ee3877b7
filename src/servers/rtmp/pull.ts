// RtmpPull: plays a remote rtmp:// or rtmps:// stream and hands its frames to a publisher (an IP camera, a
// restream source). It does not publish into the hub itself: the owner passes onStart/onFrame/onEnd and does
// the claim and release.
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import { RtmpClient, parseRtmpTarget, type RtmpClientOptions } from './client.js';

export interface RtmpPullHandlers {
  /** the remote started playing (NetStream.Play.Start), before the first frame */
  onStart?(): void;
  onFrame(f: Frame): void;
  /** the pull ended (after onStart, or after a failed start): the reason */
  onEnd?(reason: string): void;
}

export class RtmpPull {
  /** the pull ended: the reason (stopped, the remote stopped, the connection closed, an error) */
  readonly closed = new TypedEvent<[string]>();
  private readonly client: RtmpClient;
  private state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  private started = false;

  constructor(
    readonly url: string,
    private readonly handlers: RtmpPullHandlers,
    opts: RtmpClientOptions = {},
  ) {
    parseRtmpTarget(url); // fail now on a bad URL, not at start
    this.client = new RtmpClient(opts);
    this.client.frame.on((f) => {
      if (this.state === 'closed') return;
      if (!this.started) this.begin();
      this.handlers.onFrame(f);
    });
    this.client.status.on((code, description) => {
      if (code === 'NetStream.Play.Start') this.begin();
      else if (code === 'NetStream.Play.Stop' || code === 'NetStream.Play.StreamNotFound' || code === 'NetStream.Play.Failed') {
        if (this.state === 'running') this.end(`the remote ended the stream: ${code}${description ? `: ${description}` : ''}`);
      }
    });
  }

  /** frames received */
  get frames(): number {
    return this.client.ingest.frames;
  }

  /** bytes received on the connection */
  get bytes(): number {
    return this.client.bytesReceived;
  }

  /** media messages skipped because they could not be read */
  get errors(): number {
    return this.client.ingest.errors;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Connects and plays; resolves on NetStream.Play.Start, rejects (and calls onEnd) when the remote refuses. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`RtmpPull of ${this.url}: start() called twice`);
    this.state = 'starting';
    this.client.closed.on((e) => this.end(e ? `the connection closed: ${e.message}` : 'the remote closed the connection'));
    try {
      await this.client.open(this.url, 'play');
    } catch (e) {
      this.end(e instanceof Error ? e.message : String(e));
      throw e;
    }
    if (this.state !== 'starting') {
      this.client.close();
      throw new Error(`RtmpPull of ${this.url}: ended while starting`);
    }
    this.state = 'running';
  }

  /** Ends the pull and waits for the socket to close. */
  async stop(reason = 'stopped'): Promise<void> {
    this.end(reason);
    await this.client.ended;
  }

  private begin(): void {
    if (this.started || this.state === 'closed') return;
    this.started = true;
    this.handlers.onStart?.();
  }

  private end(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.client.close();
    this.handlers.onEnd?.(reason);
    this.closed.emit(reason);
  }
}
