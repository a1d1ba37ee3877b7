// The stream registry: one Stream per vhost/app/stream, created on first use and removed when it has no
// publisher, no viewers and no sinks left (after a grace period that lets a republish continue).
import { TypedEvent } from '../core/event.js';
import { ClientRegistry, type Client } from './client.js';
import { Publisher, type PublishBusy } from './publisher.js';
import { Stream, type StreamOptions } from './stream.js';
import { streamKey, type StreamUrl } from './stream-url.js';

export interface HubOptions extends StreamOptions {
  /** how long viewers wait for a (re)publish before their stream is ended, ms */
  republishGraceMs: number;
}

export class Hub {
  readonly clients = new ClientRegistry();
  /** a publisher started (the stream's publisher is set) */
  readonly published = new TypedEvent<[Stream]>();
  /** a publisher stopped */
  readonly unpublished = new TypedEvent<[Stream]>();
  private readonly streams = new Map<string, Stream>();
  private readonly idleTimers = new Map<Stream, NodeJS.Timeout>();

  constructor(readonly opts: HubOptions) {}

  get(url: StreamUrl): Stream | undefined {
    return this.streams.get(streamKey(url));
  }

  /** The stream for this URL, created when missing. */
  stream(url: StreamUrl): Stream {
    const key = streamKey(url);
    let s = this.streams.get(key);
    if (!s) {
      s = new Stream({ ...url }, this.opts, (st) => this.checkIdle(st));
      this.streams.set(key, s);
    }
    return s;
  }

  list(): Stream[] {
    return [...this.streams.values()];
  }

  findById(id: string): Stream | undefined {
    for (const s of this.streams.values()) if (s.id === id) return s;
    return undefined;
  }

  /**
   * Takes the stream at `url` for `client`: a Publisher (the hub has emitted `published`; its release()
   * emits `unpublished`), or PublishBusy naming the current publisher. The only way to start a publish.
   */
  claim(url: StreamUrl, client: Client): Publisher | PublishBusy {
    const s = this.stream(url);
    if (!s.startPublish(client)) {
      if (s.publisher) return { busy: true, stream: s, current: s.publisher };
      throw new Error('stream refused a publish without having a publisher');
    }
    this.cancelIdle(s);
    const p = new Publisher(s, client, () => {
      s.stopPublish(client);
      this.unpublished.emit(s);
    });
    this.published.emit(s);
    return p;
  }

  private cancelIdle(s: Stream): void {
    const t = this.idleTimers.get(s);
    if (t) {
      clearTimeout(t);
      this.idleTimers.delete(s);
    }
  }

  /** Called by a stream whenever its publisher, viewers or sinks change. */
  private checkIdle(s: Stream): void {
    if (s.active) {
      this.cancelIdle(s);
      return;
    }
    if (s.viewerCount === 0 && s.sinks.size === 0) {
      this.remove(s);
      return;
    }
    if (!this.idleTimers.has(s)) {
      const t = setTimeout(() => {
        this.idleTimers.delete(s);
        if (!s.active) this.remove(s);
      }, this.opts.republishGraceMs);
      t.unref();
      this.idleTimers.set(s, t);
    }
  }

  private remove(s: Stream): void {
    this.cancelIdle(s);
    if (this.streams.get(s.key) === s) this.streams.delete(s.key);
    s.close();
  }

  /** Ends everything (shutdown). */
  closeAll(): void {
    for (const s of [...this.streams.values()]) this.remove(s);
  }
}
