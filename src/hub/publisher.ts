// A claimed publish: the one object through which a source (a socket, a pulled stream, a file, a
// transcoder) feeds a stream. Hub.claim gives it; release() ends the publish and the hub announces it.
import type { Frame } from '../core/frame.js';
import type { Client } from './client.js';
import type { Stream } from './stream.js';

export class Publisher {
  readonly busy = false as const;
  private done = false;

  constructor(
    readonly stream: Stream,
    readonly client: Client,
    private readonly onRelease: (p: Publisher) => void,
  ) {}

  get released(): boolean {
    return this.done;
  }

  /** Hands one frame to the stream; frames after release() are dropped. */
  publish(f: Frame): void {
    if (!this.done) this.stream.publish(f);
  }

  /** Ends the publish (idempotent): viewers wait for a republish, the hub emits `unpublished`. */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.onRelease(this);
  }
}

/** Hub.claim's answer when the stream already has a publisher. */
export interface PublishBusy {
  readonly busy: true;
  readonly stream: Stream;
  /** who publishes the stream now */
  readonly current: Client;
}
