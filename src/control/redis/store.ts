// The Redis connection (ioredis) and a small typed store over it. Commands never wait for a lost connection:
// the offline queue is off and each command has a short timeout, so when Redis is gone every call fails at
// once with StoreUnavailableError (the API answers 503) and the media path, which uses cached values, goes on.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ControlPlaneError, StoreUnavailableError, errorMessage } from '../errors.js';

/** Where Redis is: a redis:// URL, or a unix socket path. */
export type RedisTarget = { url: string } | { path: string };

export function describeTarget(t: RedisTarget): string {
  return 'url' in t ? t.url.replace(/\/\/[^@/]*@/, '//***@') : `unix://${t.path}`;
}

export interface StoreOptions {
  /** ms a command may take before it fails (default 1500) */
  commandTimeoutMs?: number;
  /** ms to wait for the first connection (default 5000) */
  connectTimeoutMs?: number;
}

/** Parses REDIS_URL into an ioredis target: redis://, rediss:// or unix:///path. */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('unix://')) return { path: url.slice('unix://'.length).split('?')[0]! };
  return { url };
}

function isReplyError(e: unknown): boolean {
  return e instanceof Error && e.name === 'ReplyError';
}

/** Typed access to the Redis commands the control plane uses. */
export class Store {
  readonly where: string;
  private lost = false;
  private closing = false;
  private readonly listeners = new Set<() => void>();
  private connectedOnce = false;

  private constructor(
    readonly redis: Redis,
    target: RedisTarget,
    private readonly logger: Logger,
  ) {
    this.where = describeTarget(target);
    let lastErrorLog = 0;
    redis.on('error', (e: Error) => {
      // ioredis reports every failed reconnect; log at most every 10 s.
      const now = Date.now();
      if (now - lastErrorLog > 10000) {
        lastErrorLog = now;
        this.logger.debug({ redis: this.where, err: e.message }, 'redis connection error');
      }
    });
    redis.on('close', () => {
      if (this.connectedOnce && !this.lost && !this.closing) {
        this.lost = true;
        this.logger.warn(
          { redis: this.where },
          `lost the connection to Redis at ${this.where}: the API answers 503 until it is back; media keeps flowing`,
        );
      }
    });
    redis.on('ready', () => {
      const wasLost = this.lost;
      this.lost = false;
      this.connectedOnce = true;
      if (wasLost) {
        this.logger.info({ redis: this.where }, `Redis at ${this.where} is back`);
        for (const fn of this.listeners) fn();
      }
    });
  }

  /** Connects and waits until Redis answers; throws a ControlPlaneError naming the URL when it cannot. */
  static async connect(target: RedisTarget, logger: Logger, opts: StoreOptions = {}): Promise<Store> {
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: opts.commandTimeoutMs ?? 1500,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      enableReadyCheck: true,
      // Keep trying for ever, quickly at first: a restarted redis-server is picked up within a second.
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    const redis = 'url' in target ? new Redis(target.url, options) : new Redis({ ...options, path: target.path });
    const store = new Store(redis, target, logger);
    const timeoutMs = opts.connectTimeoutMs ?? 5000;
    let lastError = '';
    const onError = (e: Error) => {
      lastError = e.message;
    };
    redis.on('error', onError);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(lastError || `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
        redis.connect().catch((e: Error) => {
          lastError = e.message;
        });
      });
    } catch (e) {
      redis.disconnect();
      throw new ControlPlaneError(
        `cannot connect to Redis at ${store.where}: ${errorMessage(e)}; start Redis there, fix REDIS_URL, ` +
          'or unset REDIS_URL to let the server run its own redis-server',
      );
    } finally {
      redis.off('error', onError);
    }
    return store;
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Calls fn whenever the connection comes back after it was lost. */
  onReconnect(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') {
      throw new StoreUnavailableError(this.where, `not connected (${this.redis.status})`);
    }
    try {
      return await fn();
    } catch (e) {
      if (isReplyError(e)) throw e;
      throw new StoreUnavailableError(this.where, errorMessage(e));
    }
  }

  ping(): Promise<string> {
    return this.run(() => this.redis.ping());
  }

  get(key: string): Promise<string | null> {
    return this.run(() => this.redis.get(key));
  }

  async set(key: string, value: string): Promise<void> {
    await this.run(() => this.redis.set(key, value));
  }

  /** SET NX: true when the key was set (it did not exist). */
  async setnx(key: string, value: string): Promise<boolean> {
    return (await this.run(() => this.redis.set(key, value, 'NX'))) === 'OK';
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.run(() => this.redis.hget(key, field));
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.run(() => this.redis.hgetall(key));
  }

  async hset(key: string, fields: Record<string, string>): Promise<void> {
    await this.run(() => this.redis.hset(key, fields));
  }

  /** HSETNX: true when the field was set (it did not exist). */
  async hsetnx(key: string, field: string, value: string): Promise<boolean> {
    return (await this.run(() => this.redis.hsetnx(key, field, value))) === 1;
  }

  async hdel(key: string, ...fields: string[]): Promise<void> {
    await this.run(() => this.redis.hdel(key, ...fields));
  }

  async hincrby(key: string, field: string, by: number): Promise<void> {
    await this.run(() => this.redis.hincrby(key, field, by));
  }

  /** Closes the connection (QUIT, or a hard disconnect when Redis does not answer). */
  async close(): Promise<void> {
    this.closing = true;
    this.listeners.clear();
    if (this.redis.status === 'ready') {
      await Promise.race([this.redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
    this.redis.disconnect();
  }
}
