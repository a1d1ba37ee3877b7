// The first-run setup code: while no console password is set, a stranger who reaches a new server first must
// not be able to take it. From an address other than loopback, mgmt/init needs this one-time code, which the
// server prints in its log at start (and again whenever it is made anew). From loopback no code is needed,
// so scripts that call mgmt/init on the server itself keep working. The peer address is the TCP socket's:
// behind a reverse proxy on the same machine every request looks local (see README).
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';

/** Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L). */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const LENGTH = 12;

/** True for 127.0.0.0/8 and ::1 (IPv4-mapped forms included). */
export function isLoopback(ip: string): boolean {
  const a = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

function normalize(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export class SetupCode {
  private code: string | null = null;

  constructor(private readonly logger: Logger) {}

  /** Makes the code (if there is none) and prints it in the log. */
  ensure(): string {
    if (!this.code) {
      let c = '';
      for (let i = 0; i < LENGTH; i++) c += ALPHABET[randomInt(ALPHABET.length)];
      this.code = c;
      const shown = `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8)}`;
      this.logger.warn(
        { setupCode: shown },
        `no console password is set yet: open the console and set one. From another machine it asks for this one-time setup code: ${shown}`,
      );
    }
    return this.code;
  }

  /** True when `given` is the code (case, spaces and dashes do not matter). */
  matches(given: string | undefined): boolean {
    if (!given) return false;
    const want = Buffer.from(this.ensure());
    const got = Buffer.from(normalize(given));
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** The password is set: the code is of no further use. */
  clear(): void {
    this.code = null;
  }
}
