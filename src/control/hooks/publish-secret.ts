// The publish secret (SRS Stack's "stream authentication"): SRS_AUTH_SECRET.pubSecret, generated on first boot,
// checked on every publish whatever the protocol; pubNoAuth turns the check off; a per-room secret
// (room-pub-<stream>) wins over the global one. The secret may be in the query (?secret=...) or anywhere in the
// stream name, because some encoders cannot send a query string. The last values read are kept in memory so
// a publish is still checked, against the last known secret, while Redis is unreachable.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { StreamUrl } from '../../hub/stream-url.js';
import { StoreUnavailableError } from '../errors.js';
import { Keys, roomPublishField } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

export interface PublishAuthState {
  pubSecret: string;
  pubNoAuth: boolean;
  /** stream name -> that room's secret */
  rooms: Map<string, string>;
}

export type SecretCheck =
  | { ok: true; by: 'no-auth' | 'room' | 'global' }
  | { ok: false; by: 'room' | 'global'; message: string };

const ROOM_PREFIX = roomPublishField('');

export function parseAuthHash(h: Record<string, string>): PublishAuthState {
  const rooms = new Map<string, string>();
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(ROOM_PREFIX) && v) rooms.set(k.slice(ROOM_PREFIX.length), v);
  }
  return { pubSecret: h.pubSecret ?? '', pubNoAuth: h.pubNoAuth === 'true', rooms };
}

/** SRS Stack's rule: the secret must appear in the query string or in the stream name. */
export function checkPublishSecret(state: PublishAuthState, url: StreamUrl): SecretCheck {
  if (state.pubNoAuth) return { ok: true, by: 'no-auth' };
  const room = state.rooms.get(url.stream);
  const by = room ? 'room' : 'global';
  const secret = room ?? state.pubSecret;
  if (!secret || url.param.includes(secret) || url.stream.includes(secret)) return { ok: true, by };
  const given = url.param.includes('secret=') ? 'wrong' : 'missing';
  const which =
    by === 'room'
      ? "this stream is a live room with its own secret: add ?secret=<the room's publish secret>"
      : 'add ?secret=<the publish secret from the console (or POST /terraform/v1/hooks/srs/secret/query)>';
  return {
    ok: false,
    by,
    message: `publish refused for ${url.app}/${url.stream}: ${given} secret; ${which} to the stream URL, e.g. ${url.app}/${url.stream}?secret=...`,
  };
}

export function generatePublishSecret(): string {
  return randomBytes(16).toString('hex');
}

/** Reads and writes the publish secrets, with the last known state kept in memory. */
export class PublishSecrets {
  private constructor(
    private readonly store: Store,
    private cache: PublishAuthState,
    private readonly logger: Logger,
  ) {}

  /** Loads the secrets, generating pubSecret on first boot. */
  static async init(store: Store, logger: Logger): Promise<PublishSecrets> {
    if (await store.hsetnx(Keys.AUTH_SECRET, 'pubSecret', generatePublishSecret())) {
      logger.info('generated the publish secret (SRS_AUTH_SECRET pubSecret); see it in the console or hooks/srs/secret/query');
    }
    const h = await store.hgetall(Keys.AUTH_SECRET);
    return new PublishSecrets(store, parseAuthHash(h), logger);
  }

  /** The current state from Redis, or the last known one (fresh=false) when Redis is unreachable. */
  async current(): Promise<{ state: PublishAuthState; fresh: boolean }> {
    try {
      const state = parseAuthHash(await this.store.hgetall(Keys.AUTH_SECRET));
      if (!state.pubSecret && this.cache.pubSecret) {
        // Redis lost its data: never fall open; keep checking against the last known secret and put it back.
        void this.restore().catch(() => undefined);
        return { state: this.cache, fresh: false };
      }
      this.cache = state;
      return { state, fresh: true };
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      return { state: this.cache, fresh: false };
    }
  }

  /** The last known state, without asking Redis. */
  get cached(): PublishAuthState {
    return this.cache;
  }

  async setSecret(secret: string): Promise<void> {
    await this.store.hset(Keys.AUTH_SECRET, { pubSecret: secret });
    await this.store.set(Keys.SECRET_PUBLISH, secret);
    this.cache = { ...this.cache, pubSecret: secret };
  }

  async setNoAuth(noAuth: boolean): Promise<void> {
    await this.store.hset(Keys.AUTH_SECRET, { pubNoAuth: String(noAuth) });
    this.cache = { ...this.cache, pubNoAuth: noAuth };
  }

  /** A live room's publish secret (room-pub-<stream>): it alone opens that stream. */
  async setRoomSecret(stream: string, secret: string): Promise<void> {
    await this.store.hset(Keys.AUTH_SECRET, { [roomPublishField(stream)]: secret });
    const rooms = new Map(this.cache.rooms);
    rooms.set(stream, secret);
    this.cache = { ...this.cache, rooms };
  }

  async removeRoomSecret(stream: string): Promise<void> {
    await this.store.hdel(Keys.AUTH_SECRET, roomPublishField(stream));
    const rooms = new Map(this.cache.rooms);
    rooms.delete(stream);
    this.cache = { ...this.cache, rooms };
  }

  /** Puts the last known secrets back when Redis came back without them (it lost its data). */
  async restore(): Promise<void> {
    const c = this.cache;
    if (!c.pubSecret) return;
    let restored = await this.store.hsetnx(Keys.AUTH_SECRET, 'pubSecret', c.pubSecret);
    if (c.pubNoAuth) restored = (await this.store.hsetnx(Keys.AUTH_SECRET, 'pubNoAuth', 'true')) || restored;
    for (const [stream, s] of c.rooms) {
      restored = (await this.store.hsetnx(Keys.AUTH_SECRET, roomPublishField(stream), s)) || restored;
    }
    if (restored) this.logger.warn('Redis came back without the publish secrets; restored the last known ones');
  }
}
