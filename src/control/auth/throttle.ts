// Login throttling per client address: every wrong password is answered slowly, and after a few in a row that
// address is locked out for a while (doubling on each lockout), without affecting anyone else. Addresses are the
// TCP peer (X-Forwarded-For is not trusted: anyone could forge it).

export interface ThrottleOptions {
  /** wrong passwords in a row before a lockout (default 5) */
  maxFailures: number;
  /** the first lockout, ms (default 60 s); each further lockout doubles it */
  lockoutMs: number;
  /** the longest lockout, ms (default 15 min) */
  maxLockoutMs: number;
  /** failures and lockout levels are forgotten after this long without a failure, ms (default 15 min) */
  forgetMs: number;
  /** a wrong password is answered after this delay, ms (default 1000) */
  failDelayMs: number;
  /** most addresses remembered (default 10000; the oldest are dropped) */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  maxFailures: 5,
  lockoutMs: 60_000,
  maxLockoutMs: 15 * 60_000,
  forgetMs: 15 * 60_000,
  failDelayMs: 1000,
  maxEntries: 10_000,
};

interface Entry {
  failures: number;
  inflight: number;
  level: number;
  lockedUntil: number;
  lastFailure: number;
}

/** One login attempt that was let through: call exactly one of succeeded() or failed(). */
export interface Attempt {
  readonly ok: true;
  succeeded(): void;
  /** The attempt could not be judged (e.g. Redis is down): it counts neither way. */
  cancel(): void;
  /** Records the failure; returns how many tries are left before a lockout (0 = now locked). */
  failed(): { triesLeft: number; lockedForMs: number };
}

export interface Refusal {
  readonly ok: false;
  retryAfterMs: number;
}

/** Strips the IPv4-mapped IPv6 prefix so 127.0.0.1 and ::ffff:127.0.0.1 are one address. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class LoginThrottle {
  readonly opts: ThrottleOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: Partial<ThrottleOptions> = {}, private readonly now: () => number = Date.now) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
  }

  /** Asks to try a password from `ip`: refused while that address is locked out. */
  begin(rawIp: string): Attempt | Refusal {
    const ip = normalizeIp(rawIp);
    const now = this.now();
    let e = this.entries.get(ip);
    if (e && e.lockedUntil <= now && now - e.lastFailure > this.opts.forgetMs && e.inflight === 0) {
      this.entries.delete(ip);
      e = undefined;
    }
    if (e && e.lockedUntil > now) return { ok: false, retryAfterMs: e.lockedUntil - now };
    if (e && e.failures + e.inflight >= this.opts.maxFailures) {
      // Parallel guesses count as tries: no more than the remaining tries may run at once.
      return { ok: false, retryAfterMs: this.opts.failDelayMs };
    }
    if (!e) {
      e = { failures: 0, inflight: 0, level: 0, lockedUntil: 0, lastFailure: 0 };
      this.entries.set(ip, e);
      this.prune();
    }
    e.inflight++;
    const entry = e;
    let done = false;
    return {
      ok: true,
      succeeded: () => {
        if (done) return;
        done = true;
        this.entries.delete(ip);
      },
      cancel: () => {
        if (done) return;
        done = true;
        entry.inflight = Math.max(0, entry.inflight - 1);
      },
      failed: () => {
        if (done) return { triesLeft: 0, lockedForMs: 0 };
        done = true;
        entry.inflight = Math.max(0, entry.inflight - 1);
        const t = this.now();
        entry.failures++;
        entry.lastFailure = t;
        if (!this.entries.has(ip)) this.entries.set(ip, entry);
        if (entry.failures >= this.opts.maxFailures) {
          const ms = Math.min(this.opts.lockoutMs * 2 ** entry.level, this.opts.maxLockoutMs);
          entry.level++;
          entry.failures = 0;
          entry.lockedUntil = t + ms;
          return { triesLeft: 0, lockedForMs: ms };
        }
        return { triesLeft: this.opts.maxFailures - entry.failures, lockedForMs: 0 };
      },
    };
  }

  /** Addresses currently remembered (for tests and stats). */
  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    if (this.entries.size <= this.opts.maxEntries) return;
    // Maps iterate in insertion order: drop the oldest entries that are not locked out or busy.
    const now = this.now();
    for (const [ip, e] of this.entries) {
      if (this.entries.size <= this.opts.maxEntries) break;
      if (e.lockedUntil <= now && e.inflight === 0) this.entries.delete(ip);
    }
  }
}
