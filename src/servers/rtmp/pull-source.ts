// A pulled RTMP(S) stream published into the hub as a server-side source: RtmpPull's frames go through the
// one publish gate (a ServerSource: hooks.onPublish, claim, hooks.onUnpublish on release) as a 'pull-publish'
// client, so the API lists it and a kick from the API stops the pull.
import type { StreamUrl } from '../../hub/stream-url.js';
import { ServerSource, type ServerSourceDeps } from '../server-source.js';
import { RtmpPull } from './pull.js';
import type { RtmpClientOptions } from './client.js';

export type PullSourceDeps = ServerSourceDeps;

export class RtmpPullSource {
  readonly source: ServerSource;
  readonly pull: RtmpPull;

  /** `target` is where it is published here; its param carries what the hooks check (e.g. ?secret=). */
  constructor(url: string, target: StreamUrl, deps: PullSourceDeps, opts: RtmpClientOptions = {}) {
    this.source = new ServerSource('pull-publish', target, url, deps, (reason) => void this.pull.stop(reason));
    this.pull = new RtmpPull(
      url,
      {
        onStart: () => void this.open(),
        onFrame: (f) => this.source.push(f),
        onEnd: (reason) => this.source.end(reason),
      },
      opts,
    );
  }

  /** the stream path it publishes, for logs */
  get path(): string {
    return this.source.path;
  }

  /** why the publish was refused (set when the gate said no) */
  get refusal(): string | null {
    return this.source.refusal;
  }

  private async open(): Promise<void> {
    const out = await this.source.open();
    if (!out.ok) await this.pull.stop(out.message);
  }

  start(): Promise<void> {
    return this.pull.start();
  }

  stop(reason = 'stopped'): Promise<void> {
    return this.pull.stop(reason);
  }
}
