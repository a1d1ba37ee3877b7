// The one way a publish starts, whatever the protocol (RTMP, SRT, WHIP) or a server-side source: media is
// held (bounded) while hooks.onPublish authorizes, then the stream is claimed from the hub, and on release
// hooks.onUnpublish is called. The client is registered in hub.clients at ONE moment: when the claim
// succeeds (the publish has started), and removed when the publish ends; a refused, busy or cancelled
// publish is never listed. A connection that dies during authorization cancels the gate: nothing is
// claimed and nothing is registered afterwards.
import type { Logger } from 'pino';
import type { Client } from '../hub/client.js';
import type { Hub } from '../hub/hub.js';
import type { Publisher } from '../hub/publisher.js';
import { streamPath } from '../hub/stream-url.js';
import type { MediaHooks, SessionInfo } from './ports.js';

/** media received while a publish is being authorized is held, up to this many bytes */
export const MAX_HELD_BYTES = 4 * 1024 * 1024;

export interface PublishGateDeps {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
}

export type PublishOutcome =
  | { ok: true; publisher: Publisher }
  /** refused: hooks said no (or threw); busy: someone publishes the stream; cancelled: the connection died */
  | { ok: false; why: 'refused' | 'busy' | 'cancelled'; message: string };

type GateState = 'idle' | 'authorizing' | 'authorized' | 'publishing' | 'closed';

export class PublishGate<T = Buffer> {
  private state: GateState = 'idle';
  private held: T[] = [];
  private heldBytes = 0;
  private publisher: Publisher | null = null;
  private readonly log: Logger;

  /** `proto` prefixes the log lines ("rtmp publish refused"); `info` describes the client to the hooks. */
  constructor(
    private readonly client: Client,
    private readonly proto: string,
    private readonly info: () => SessionInfo,
    private readonly deps: PublishGateDeps,
  ) {
    this.log = deps.logger.child({ cid: client.id, ip: client.ip, proto });
  }

  get urlForLog(): string {
    return `${this.client.url.vhost}${streamPath(this.client.url)}`;
  }

  /** The publisher, once the publish has started. */
  get current(): Publisher | null {
    return this.publisher;
  }

  /** Keeps media that arrives before the claim; beyond MAX_HELD_BYTES it is dropped. */
  hold(item: T, bytes: number): void {
    if (this.state === 'closed' || this.heldBytes >= MAX_HELD_BYTES) return;
    this.held.push(item);
    this.heldBytes += bytes;
  }

  /** What was held, once (after a successful claim, to feed the publisher). */
  takeHeld(): T[] {
    const h = this.held;
    this.held = [];
    this.heldBytes = 0;
    return h;
  }

  /** Asks hooks.onPublish; a throw is a refusal. Null when allowed. */
  async authorize(): Promise<PublishOutcome | null> {
    if (this.state !== 'idle') throw new Error(`publish gate: authorize while ${this.state}`);
    this.state = 'authorizing';
    let refusal: string | null;
    try {
      refusal = await this.deps.hooks.onPublish(this.info());
    } catch (e) {
      refusal = `publish refused: authorization failed (${(e as Error).message})`;
    }
    if (this.state !== 'authorizing') return this.cancelled();
    if (refusal) {
      this.state = 'closed';
      this.held = [];
      this.log.warn({ event: 'publish-refused', url: this.urlForLog, reason: refusal }, `${this.proto} publish refused`);
      return { ok: false, why: 'refused', message: refusal };
    }
    this.state = 'authorized';
    return null;
  }

  /** Whether the stream has a publisher now (a cheap check before costly work, e.g. WebRTC negotiation). */
  busy(): PublishOutcome | null {
    const s = this.deps.hub.get(this.client.url);
    return s?.publisher ? this.busyOutcome(s.publisher.id) : null;
  }

  /** Takes the stream (after authorize()) and registers the client. */
  claim(): PublishOutcome {
    if (this.state !== 'authorized') return this.cancelled();
    const got = this.deps.hub.claim(this.client.url, this.client);
    if (got.busy) {
      this.state = 'closed';
      this.held = [];
      const out = this.busyOutcome(got.current.id);
      this.log.warn({ event: 'publish-busy', url: this.urlForLog, current: got.current.id }, `${this.proto} ${out.message}`);
      return out;
    }
    this.state = 'publishing';
    this.publisher = got;
    this.deps.hub.clients.add(this.client);
    this.log.info({ event: 'publish', url: this.urlForLog }, 'publish start');
    return { ok: true, publisher: got };
  }

  /** authorize() then claim(). */
  async open(): Promise<PublishOutcome> {
    return (await this.authorize()) ?? this.claim();
  }

  /**
   * Ends the gate, whatever its state (idempotent): during authorization it cancels (nothing will be
   * claimed), after the claim it releases the stream, calls hooks.onUnpublish and unregisters the client.
   */
  close(extra: Record<string, unknown> = {}): void {
    const was = this.state;
    this.state = 'closed';
    this.held = [];
    const p = this.publisher;
    this.publisher = null;
    if (was !== 'publishing' || !p) return;
    const frames = p.stream.frames;
    p.release();
    this.deps.hub.clients.remove(this.client);
    this.deps.hooks.onUnpublish(this.info());
    this.log.info({ event: 'unpublish', url: this.urlForLog, frames, ...extra }, 'publish end');
  }

  private cancelled(): PublishOutcome {
    this.held = [];
    this.log.info({ event: 'publish-cancelled', url: this.urlForLog }, `${this.proto} publish cancelled: the connection closed during authorization`);
    return { ok: false, why: 'cancelled', message: 'publish cancelled: the connection closed during authorization' };
  }

  private busyOutcome(current: string): PublishOutcome & { ok: false } {
    return {
      ok: false,
      why: 'busy',
      message: `publish refused: stream ${streamPath(this.client.url)} is already being published by client ${current}; stop it first or use another stream name`,
    };
  }
}
