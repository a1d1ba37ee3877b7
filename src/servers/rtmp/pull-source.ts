// A pulled RTMP(S) stream published into the hub as a server-side source: RtmpPull's frames go through the
// one publish gate (hooks.onPublish, claim, hooks.onUnpublish on release) as a 'pull-publish' client, so the
// API lists it and a kick from the API stops the pull. What IP-camera and restream jobs drive (issue 14).
import type { Logger } from 'pino';
import type { Frame } from '../../core/frame.js';
import type { Hub } from '../../hub/hub.js';
import type { Publisher } from '../../hub/publisher.js';
import { ServerSideClient } from '../../hub/client.js';
import { streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { MediaHooks } from '../ports.js';
import { PublishGate } from '../publish-gate.js';
import { RtmpPull } from './pull.js';
import type { RtmpClientOptions } from './client.js';

export interface PullSourceDeps {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
}

export class RtmpPullSource {
  readonly client: ServerSideClient;
  readonly pull: RtmpPull;
  private readonly gate: PublishGate<Frame>;
  private publisher: Publisher | null = null;
  /** why the publish was refused (set when the gate said no) */
  refusal: string | null = null;

  /** `target` is where it is published here; its param carries what the hooks check (e.g. ?secret=). */
  constructor(source: string, target: StreamUrl, deps: PullSourceDeps, opts: RtmpClientOptions = {}) {
    this.client = new ServerSideClient('pull-publish', target, source, (reason) => void this.pull.stop(reason));
    const info = () => ({ clientId: this.client.id, ip: this.client.ip, type: this.client.type, url: target, requestUrl: source });
    this.gate = new PublishGate<Frame>(this.client, 'pull', info, deps);
    this.pull = new RtmpPull(
      source,
      {
        onStart: () => void this.open(),
        onFrame: (f) => {
          this.client.recvBytes += f.data.length;
          if (this.publisher) this.publisher.publish(f);
          else this.gate.hold(f, f.data.length);
        },
        onEnd: (reason) => {
          this.publisher = null;
          this.gate.close({ reason });
        },
      },
      opts,
    );
  }

  /** the stream path it publishes, for logs */
  get path(): string {
    return streamPath(this.client.url);
  }

  private async open(): Promise<void> {
    const out = await this.gate.open();
    if (!out.ok) {
      this.refusal = out.message;
      await this.pull.stop(out.message);
      return;
    }
    this.publisher = out.publisher;
    for (const f of this.gate.takeHeld()) out.publisher.publish(f);
  }

  start(): Promise<void> {
    return this.pull.start();
  }

  stop(reason = 'stopped'): Promise<void> {
    return this.pull.stop(reason);
  }
}
