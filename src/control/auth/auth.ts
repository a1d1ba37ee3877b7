// Who may call the API: the API secret (env SRS_PLATFORM_SECRET, else generated once and kept in Redis), the
// console password (a scrypt hash in Redis, or env MGMT_PASSWORD) and the check every protected route runs.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, unauthorized } from '../errors.js';
import { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import { hashPassword, verifyPassword } from './password.js';
import { verifyToken } from './token.js';

/** Where a request may carry its credentials. */
export interface Credentials {
  /** the Authorization header */
  authorization?: string | undefined;
  /** `token` from the JSON body */
  bodyToken?: unknown;
  /** `?token=` */
  queryToken?: string | null | undefined;
}

export function generatePlatformSecret(): string {
  return `srs-v2-${randomBytes(16).toString('hex')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const HOW_TO_AUTH =
  'send "Authorization: Bearer <API secret>" (System > OpenAPI in the console, or SRS_PLATFORM_SECRET), ' +
  'or a token from POST /terraform/v1/mgmt/login as "token" in the JSON body or ?token=';

export class Auth {
  private knownHash: string | null = null;

  private constructor(
    private readonly store: Store,
    /** the API bearer secret; also the JWT signing key */
    readonly secret: string,
    private readonly secretFromEnv: boolean,
    private readonly envPasswordHash: string | null,
    private readonly logger: Logger,
  ) {}

  static async init(store: Store, env: { platformSecret: string | null; mgmtPassword: string | null }, logger: Logger): Promise<Auth> {
    let secret = env.platformSecret;
    if (!secret) {
      secret = await store.hget(Keys.PLATFORM_SECRET, 'token');
      if (!secret) {
        const fresh = generatePlatformSecret();
        await store.hsetnx(Keys.PLATFORM_SECRET, 'token', fresh);
        // Another server sharing this Redis may have won the race: use what is stored.
        secret = (await store.hget(Keys.PLATFORM_SECRET, 'token')) ?? fresh;
        logger.info('generated the API secret (kept in Redis SRS_PLATFORM_SECRET); see it in the console under System > OpenAPI');
      }
    }
    const envHash = env.mgmtPassword ? await hashPassword(env.mgmtPassword) : null;
    const auth = new Auth(store, secret, !!env.platformSecret, envHash, logger);
    if (!envHash) auth.knownHash = await store.get(Keys.MGMT_PASSWORD);
    return auth;
  }

  /** Writes back what Redis should hold and we know (Redis came back empty after losing its data). */
  async restore(): Promise<void> {
    if (!this.secretFromEnv) await this.store.hsetnx(Keys.PLATFORM_SECRET, 'token', this.secret);
    if (this.knownHash) await this.store.setnx(Keys.MGMT_PASSWORD, this.knownHash);
  }

  /** Resolves when the request carries the bearer secret or a valid token; throws 401 otherwise. */
  async check(c: Credentials): Promise<void> {
    const header = c.authorization?.trim();
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw unauthorized(`the Authorization header must be "Bearer <API secret>"; ${HOW_TO_AUTH}`);
      const v = m[1]!;
      if (safeEqual(v, this.secret) || (await verifyToken(this.secret, v))) return;
      throw unauthorized(`wrong bearer secret; ${HOW_TO_AUTH}`);
    }
    const token = typeof c.bodyToken === 'string' && c.bodyToken ? c.bodyToken : c.queryToken;
    if (token) {
      if (await verifyToken(this.secret, token)) return;
      throw unauthorized(`the token is invalid or expired; log in again (POST /terraform/v1/mgmt/login), or ${HOW_TO_AUTH}`);
    }
    throw unauthorized(`this API needs authentication: ${HOW_TO_AUTH}`);
  }

  /** True when the console password is set (env MGMT_PASSWORD or the init API). */
  async initialized(): Promise<boolean> {
    if (this.envPasswordHash) return true;
    const h = await this.store.get(Keys.MGMT_PASSWORD);
    if (h) this.knownHash = h;
    return !!h;
  }

  /** Sets the console password once; 409 when it is already set. */
  async initPassword(password: string): Promise<void> {
    const already =
      'the console password is already set; log in with it (POST /terraform/v1/mgmt/login {"password":...})';
    if (this.envPasswordHash) throw new ApiError(409, 409, `${already}; it comes from MGMT_PASSWORD`);
    const h = await hashPassword(password);
    if (!(await this.store.setnx(Keys.MGMT_PASSWORD, h))) throw new ApiError(409, 409, already);
    this.knownHash = h;
    this.logger.info('console password set through the init API');
  }

  /**
   * Replaces the console password (the caller has checked the current one). Tokens already issued stay valid:
   * they are signed with the API secret, which does not change.
   */
  async changePassword(password: string): Promise<void> {
    if (this.envPasswordHash) {
      throw new ApiError(409, 409, 'the console password comes from MGMT_PASSWORD; change it there and restart the server');
    }
    const h = await hashPassword(password);
    await this.store.set(Keys.MGMT_PASSWORD, h);
    this.knownHash = h;
    this.logger.info('console password changed through the API');
  }

  /** 'ok', 'wrong', or 'unset' (no password yet). */
  async checkPassword(password: string): Promise<'ok' | 'wrong' | 'unset'> {
    let h = this.envPasswordHash;
    if (!h) {
      h = await this.store.get(Keys.MGMT_PASSWORD);
      if (h) this.knownHash = h;
    }
    if (!h) return 'unset';
    return (await verifyPassword(password, h)) ? 'ok' : 'wrong';
  }
}
