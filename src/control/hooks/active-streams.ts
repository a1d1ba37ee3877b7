// SRS_STREAM_ACTIVE: SRS Stack's list of publishing streams in Redis, kept from the hub's publish events for
// tools that read it. Best effort: the APIs read the hub itself, so a Redis outage only delays this copy.
import type { Logger } from 'pino';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import { errorMessage } from '../errors.js';
import { Keys, activeStreamField } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

/** SRS Stack's SrsStream record. */
export interface ActiveStream {
  vhost: string;
  app: string;
  stream: string;
  param: string;
  server_id: string;
  client_id: string;
  update: string;
}

export function describeActive(s: Stream, serverId: string): ActiveStream {
  return {
    vhost: s.url.vhost,
    app: s.url.app,
    stream: s.url.stream,
    param: s.publisher?.url.param ?? s.url.param,
    server_id: serverId,
    client_id: s.publisher?.id ?? '',
    update: new Date(s.publishedAt || Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export class ActiveStreams {
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly hub: Hub,
    private readonly store: Store,
    private readonly serverId: string,
    private readonly logger: Logger,
  ) {}

  /** Starts from an empty list (entries of an earlier run are stale) and follows the hub. */
  async start(): Promise<void> {
    await this.resync();
    this.off.push(this.hub.published.on((s) => this.write(s, true)));
    this.off.push(this.hub.unpublished.on((s) => this.remove(s)));
  }

  /** Rewrites the list from the hub (at start, and when Redis comes back). */
  async resync(): Promise<void> {
    const now = await this.store.hgetall(Keys.STREAM_ACTIVE);
    const keep = new Set(this.hub.list().filter((s) => s.active).map((s) => activeStreamField(s.url)));
    const stale = Object.keys(now).filter((k) => !keep.has(k));
    if (stale.length) await this.store.hdel(Keys.STREAM_ACTIVE, ...stale);
    for (const s of this.hub.list()) if (s.active) this.write(s, false);
  }

  /** Records a publishing stream; `count` adds one to SRS_STAT_COUNTER publish (a new publish). */
  private write(s: Stream, count: boolean): void {
    const field = activeStreamField(s.url);
    const value = JSON.stringify(describeActive(s, this.serverId));
    this.store
      .hset(Keys.STREAM_ACTIVE, { [field]: value })
      .then(() => (count ? this.store.hincrby(Keys.STAT_COUNTER, 'publish', 1) : undefined))
      .catch((e: unknown) => this.logger.debug({ err: errorMessage(e), stream: field }, 'could not record the active stream'));
  }

  private remove(s: Stream): void {
    const field = activeStreamField(s.url);
    this.store
      .hdel(Keys.STREAM_ACTIVE, field)
      .catch((e: unknown) => this.logger.debug({ err: errorMessage(e), stream: field }, 'could not remove the active stream'));
  }

  stop(): void {
    for (const f of this.off.splice(0)) f();
  }
}
