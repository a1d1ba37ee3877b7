// Play authentication (ours: SRS Stack has none): off by default; when on for every stream, for some apps or
// for a live room, a viewer needs a play token, a JWT (HS256) signed with the play-signing key kept in Redis
// (SRS_PLAY_AUTH key), whose claims name the streams as a glob over /app/stream, an expiry and optionally the
// viewer's IP. The check happens once, when a play starts (SRS semantics: a token that expires while a viewer
// watches does not cut it off). The settings are read from Redis on each play, with the last known ones kept
// for when Redis is unreachable.
import { randomBytes } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import { queryParams, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { PlayRefusal } from '../../servers/ports.js';
import { StoreUnavailableError } from '../errors.js';
import { compileGlob } from '../globs.js';
import { Keys, roomPlayField } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

export interface PlayAuthState {
  /** the play-signing key (hex) */
  key: string;
  /** play tokens needed for every stream */
  all: boolean;
  /** apps whose streams need play tokens */
  apps: string[];
  /** live-room stream names whose plays need tokens */
  rooms: Set<string>;
}

/** What a play token says. */
export interface PlayClaims {
  /** a glob over /app/stream, e.g. /live/room1 or /live/* */
  streams: string;
  /** expiry, seconds since the epoch */
  exp: number;
  /** the only viewer IP it admits, when set */
  ip?: string;
}

export interface MintedToken extends PlayClaims {
  token: string;
  /** RFC 3339 */
  expireAt: string;
}

const ROOM_PREFIX = roomPlayField('');
/** the JWT subject of play tokens, so a console login token is never taken for one (they use other keys anyway) */
const SUBJECT = 'play';
export const MAX_TOKEN_SECONDS = 10 * 365 * 24 * 3600;

export function parsePlayAuthHash(h: Record<string, string>): PlayAuthState {
  const rooms = new Set<string>();
  for (const [k, v] of Object.entries(h)) if (k.startsWith(ROOM_PREFIX) && v === 'true') rooms.add(k.slice(ROOM_PREFIX.length));
  let apps: string[] = [];
  try {
    const a: unknown = JSON.parse(h.apps ?? '[]');
    if (Array.isArray(a)) apps = a.filter((x): x is string => typeof x === 'string');
  } catch {
    apps = [];
  }
  return { key: h.key ?? '', all: h.all === 'true', apps, rooms };
}

/** Whether a play of this stream needs a token, and why. */
export function playAuthScope(state: PlayAuthState, url: StreamUrl): 'all' | 'app' | 'room' | null {
  if (state.all) return 'all';
  if (state.apps.includes(url.app)) return 'app';
  if (state.rooms.has(url.stream)) return 'room';
  return null;
}

/** The token a viewer gave: WHEP's Bearer header, else ?token= in the stream's query. */
export function tokenOf(url: StreamUrl, given?: string): string {
  return given || queryParams(url.param).get('token') || '';
}

function keyBytes(key: string): Uint8Array {
  return new TextEncoder().encode(key);
}

function rfc3339(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Signs a play token. */
export async function mintPlayToken(key: string, claims: PlayClaims): Promise<MintedToken> {
  compileGlob(claims.streams); // throws on a malformed glob
  const payload: Record<string, string> = { streams: claims.streams };
  if (claims.ip) payload.ip = claims.ip;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(SUBJECT)
    .setIssuedAt()
    .setExpirationTime(claims.exp)
    .sign(keyBytes(key));
  return { token, ...claims, expireAt: rfc3339(claims.exp) };
}

/** Checks a token for a play of `url` from `ip`; null when it admits it. */
export async function checkPlayToken(key: string, token: string, url: StreamUrl, ip: string): Promise<PlayRefusal | null> {
  const where = `${url.app}/${url.stream}`;
  const again = 'mint a new one with POST /terraform/v1/hooks/play/token (or in the console) and add it as ?token=';
  if (!token) {
    return {
      why: 'no-token',
      message: `play refused for ${where}: play authentication is on for this stream and no play token came; add ?token=<play token> to the URL (${again.slice(0, again.indexOf(' and '))})`,
    };
  }
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, keyBytes(key), { algorithms: ['HS256'], subject: SUBJECT }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      const exp = typeof e.payload.exp === 'number' ? rfc3339(e.payload.exp) : 'some time ago';
      return { why: 'bad-token', message: `play refused for ${where}: the play token expired at ${exp}; ${again}` };
    }
    return {
      why: 'bad-token',
      message: `play refused for ${where}: the play token is not valid (malformed, or not signed with this server's play key, which may have been rotated); ${again}`,
    };
  }
  const streams = typeof claims.streams === 'string' ? claims.streams : '';
  let re: RegExp | null = null;
  try {
    re = streams ? compileGlob(streams) : null;
  } catch {
    re = null;
  }
  if (!re || !re.test(streamPath(url))) {
    return { why: 'bad-token', message: `play refused for ${where}: the play token is for streams ${JSON.stringify(streams)}, not ${streamPath(url)}; ${again}` };
  }
  if (typeof claims.ip === 'string' && claims.ip && claims.ip !== ip) {
    return { why: 'bad-token', message: `play refused for ${where}: the play token is for viewer IP ${claims.ip}, not ${ip}; ${again}` };
  }
  return null;
}

export function generatePlayKey(): string {
  return randomBytes(32).toString('hex');
}

/** Reads and writes the play-authentication settings, with the last known state kept in memory. */
export class PlayAuth {
  private constructor(
    private readonly store: Store,
    private cache: PlayAuthState,
    private readonly logger: Logger,
  ) {}

  /** Loads the settings, generating the play-signing key on first boot. */
  static async init(store: Store, logger: Logger): Promise<PlayAuth> {
    if (await store.hsetnx(Keys.PLAY_AUTH, 'key', generatePlayKey())) logger.info('generated the play-signing key (SRS_PLAY_AUTH key)');
    return new PlayAuth(store, parsePlayAuthHash(await store.hgetall(Keys.PLAY_AUTH)), logger);
  }

  /** The current state from Redis, or the last known one (fresh=false) when Redis is unreachable or lost it. */
  async current(): Promise<{ state: PlayAuthState; fresh: boolean }> {
    try {
      const state = parsePlayAuthHash(await this.store.hgetall(Keys.PLAY_AUTH));
      if (!state.key && this.cache.key) {
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

  async apply(s: { all: boolean; apps: string[] }): Promise<void> {
    await this.store.hset(Keys.PLAY_AUTH, { all: String(s.all), apps: JSON.stringify(s.apps) });
    this.cache = { ...this.cache, all: s.all, apps: s.apps };
  }

  /** A new play-signing key: every token minted before stops working for new plays. */
  async rotateKey(): Promise<void> {
    const key = generatePlayKey();
    await this.store.hset(Keys.PLAY_AUTH, { key });
    this.cache = { ...this.cache, key };
    this.logger.warn('play-signing key rotated: earlier play tokens no longer admit new plays');
  }

  /** Play tokens needed (or not) for a live room's stream. */
  async setRoom(stream: string, on: boolean): Promise<void> {
    const rooms = new Set(this.cache.rooms);
    if (on) {
      await this.store.hset(Keys.PLAY_AUTH, { [roomPlayField(stream)]: 'true' });
      rooms.add(stream);
    } else {
      await this.store.hdel(Keys.PLAY_AUTH, roomPlayField(stream));
      rooms.delete(stream);
    }
    this.cache = { ...this.cache, rooms };
  }

  async mint(claims: PlayClaims): Promise<MintedToken> {
    const { state } = await this.current();
    return mintPlayToken(state.key, claims);
  }

  /** Puts the last known settings back when Redis came back without them. */
  async restore(): Promise<void> {
    const c = this.cache;
    if (!c.key) return;
    if (!(await this.store.hsetnx(Keys.PLAY_AUTH, 'key', c.key))) return;
    const fields: Record<string, string> = { all: String(c.all), apps: JSON.stringify(c.apps) };
    for (const r of c.rooms) fields[roomPlayField(r)] = 'true';
    await this.store.hset(Keys.PLAY_AUTH, fields);
    this.logger.warn('Redis came back without the play-authentication settings; restored the last known ones');
  }
}
