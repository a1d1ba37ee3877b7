// A publish whose Frames are made inside the server (an RTMP/RTSP pull, a file loop, an FFmpeg transcoder, a
// camera): the one ServerSideClient + PublishGate pair every such source needs. The producer calls open() when
// it has a stream to publish, push() for every Frame (held while the hooks authorize, published after), and
// end() when its stream ends; a kick from the API calls the producer's onKick. One ServerSource may open and
// end many times (a camera reconnecting, a pull retried): each open is a new publish of the same target.
import type { Logger } from 'pino';
import type { Frame } from '../core/frame.js';
import { ServerSideClient } from '../hub/client.js';
import type { Hub } from '../hub/hub.js';
import type { Publisher } from '../hub/publisher.js';
import { streamPath, type StreamUrl } from '../hub/stream-url.js';
import type { MediaHooks } from './ports.js';
import { PublishGate, type PublishOutcome } from './publish-gate.js';

export interface ServerSourceDeps {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
}

export type ServerSourceType = ServerSideClient['type'];

export class ServerSource {
  private gate: PublishGate<Frame> | null = null;
  private publisher: Publisher | null = null;
  private _client: ServerSideClient | null = null;
  /** why the last open was refused (hooks said no, or the stream was busy); null when it was not */
  refusal: string | null = null;
  /** frames and media bytes pushed over every publish */
  frames = 0;
  bytes = 0;

  /**
   * `target` is where it is published here; its param carries what the hooks check (e.g. ?secret=).
   * `source` is what the API shows as the client's request URL (the pulled URL, the file). `onKick` ends the
   * producer (a kick from the API, or the server stopping the stream).
   */
  constructor(
    readonly type: ServerSourceType,
    readonly target: StreamUrl,
    readonly source: string,
    private readonly deps: ServerSourceDeps,
    private readonly onKick: (reason: string) => void,
    private readonly proto = type === 'pull-publish' ? 'pull' : type === 'file-publish' ? 'file' : 'transcode',
  ) {}

  /** the stream path it publishes, for logs */
  get path(): string {
    return streamPath(this.target);
  }

  /** the client of the current publish (listed in the API while it publishes) */
  get client(): ServerSideClient | null {
    return this._client;
  }

  /** publishing now */
  get publishing(): boolean {
    return this.publisher !== null;
  }

  /** The publisher of the current publish, for producers that need its stream (e.g. its sequence headers). */
  get current(): Publisher | null {
    return this.publisher;
  }

  /**
   * Starts a publish: authorizes with the hooks and claims the stream. Frames pushed meanwhile are held and
   * published once it is open. Resolves with the outcome; a refusal is also kept in `refusal`.
   */
  async open(): Promise<PublishOutcome> {
    this.end('reopened');
    const client = new ServerSideClient(this.type, this.target, this.source, (reason) => this.onKick(reason));
    const info = () => ({ clientId: client.id, ip: client.ip, type: client.type, url: this.target, requestUrl: this.source });
    const gate = new PublishGate<Frame>(client, this.proto, info, this.deps);
    this._client = client;
    this.gate = gate;
    const out = await gate.open();
    if (this.gate !== gate) return out.ok ? { ok: false, why: 'cancelled', message: 'the source ended while it was authorized' } : out;
    if (!out.ok) {
      this.refusal = out.message;
      this.gate = null;
      return out;
    }
    this.refusal = null;
    this.publisher = out.publisher;
    for (const f of gate.takeHeld()) out.publisher.publish(f);
    return out;
  }

  /** One Frame of the current publish (dropped when no publish is open or being opened). */
  push(f: Frame): void {
    this.frames++;
    this.bytes += f.data.length;
    if (this._client) this._client.recvBytes += f.data.length;
    if (this.publisher) this.publisher.publish(f);
    else this.gate?.hold(f, f.data.length);
  }

  /** Ends the current publish (idempotent): releases the stream, calls the unpublish hook, unlists the client. */
  end(reason = 'stopped'): void {
    const gate = this.gate;
    this.gate = null;
    this.publisher = null;
    this._client = null;
    gate?.close({ reason });
  }
}
