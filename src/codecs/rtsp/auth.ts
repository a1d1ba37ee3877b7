// RTSP authentication (RFC 2326 uses HTTP's): reading WWW-Authenticate challenges and writing the
// Authorization answer for Basic (RFC 7617) and Digest (RFC 2617, with RFC 7616's SHA-256; MD5 is what
// cameras ask for). qop=auth with a client nonce and a count when the server offers it, none when it does
// not (RFC 2069 style, which many cameras use). Pure, except for the random client nonce.
import { createHash, randomBytes } from 'node:crypto';

export interface AuthChallenge {
  /** lower case: 'digest', 'basic' */
  scheme: string;
  /** the parameters, names lower case */
  params: Map<string, string>;
}

/**
 * The challenges in WWW-Authenticate values (one header may hold several, comma separated, and a header may
 * come several times). Unreadable parts are skipped.
 */
export function parseChallenges(values: readonly string[]): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const v of values) {
    let i = 0;
    let cur: AuthChallenge | null = null;
    while (i < v.length) {
      while (i < v.length && /[\s,]/.test(v[i]!)) i++;
      const tok = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(v.slice(i));
      if (!tok) break;
      const word = tok[1]!;
      i += word.length;
      while (i < v.length && v[i] === ' ') i++;
      if (v[i] === '=') {
        // name=value of the current challenge
        i++;
        while (i < v.length && v[i] === ' ') i++;
        let value = '';
        if (v[i] === '"') {
          i++;
          while (i < v.length && v[i] !== '"') {
            if (v[i] === '\\' && i + 1 < v.length) i++;
            value += v[i];
            i++;
          }
          i++;
        } else {
          const m = /^[^,\s]*/.exec(v.slice(i))!;
          value = m[0];
          i += value.length;
        }
        cur?.params.set(word.toLowerCase(), value);
      } else {
        cur = { scheme: word.toLowerCase(), params: new Map() };
        out.push(cur);
      }
    }
  }
  return out;
}

export interface Credentials {
  user: string;
  password: string;
}

type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  md5: 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

function digestAlgorithm(c: AuthChallenge): DigestAlgorithm | null {
  return ALGORITHMS[(c.params.get('algorithm') ?? 'MD5').toLowerCase()] ?? null;
}

/**
 * The challenge to answer: Digest with SHA-256, then Digest with MD5, then Basic; null when none can be
 * answered (an unknown scheme or algorithm).
 */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | null {
  const digests = challenges.filter((c) => c.scheme === 'digest' && c.params.has('nonce') && digestAlgorithm(c) !== null);
  const sha = digests.find((c) => digestAlgorithm(c)!.startsWith('SHA-256'));
  return sha ?? digests[0] ?? challenges.find((c) => c.scheme === 'basic') ?? null;
}

const hash = (alg: DigestAlgorithm, s: string): string =>
  createHash(alg.startsWith('SHA-256') ? 'sha256' : 'md5').update(s, 'utf8').digest('hex');

export interface DigestInput {
  method: string;
  uri: string;
  /** the nonce count for qop (1 for the first request with this nonce) */
  nc: number;
  /** the client nonce; random when not given (tests pass one) */
  cnonce?: string;
}

/** The Digest `response` value (RFC 2617 3.2.2.1, RFC 7616 3.4.1). */
export function digestResponse(c: AuthChallenge, cred: Credentials, inp: DigestInput & { cnonce: string; qop: string | null }): string {
  const alg = digestAlgorithm(c) ?? 'MD5';
  const realm = c.params.get('realm') ?? '';
  const nonce = c.params.get('nonce') ?? '';
  let ha1 = hash(alg, `${cred.user}:${realm}:${cred.password}`);
  if (alg.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${nonce}:${inp.cnonce}`);
  const ha2 = hash(alg, `${inp.method}:${inp.uri}`);
  const nc = inp.nc.toString(16).padStart(8, '0');
  return inp.qop ? hash(alg, `${ha1}:${nonce}:${nc}:${inp.cnonce}:${inp.qop}:${ha2}`) : hash(alg, `${ha1}:${nonce}:${ha2}`);
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"`;

/** The Authorization header value answering a challenge. */
export function authorization(c: AuthChallenge, cred: Credentials, inp: DigestInput): string {
  if (c.scheme === 'basic') return `Basic ${Buffer.from(`${cred.user}:${cred.password}`, 'utf8').toString('base64')}`;
  const qops = (c.params.get('qop') ?? '').split(',').map((s) => s.trim().toLowerCase());
  const qop = qops.includes('auth') ? 'auth' : null;
  const cnonce = inp.cnonce ?? randomBytes(8).toString('hex');
  const response = digestResponse(c, cred, { ...inp, cnonce, qop });
  const alg = c.params.get('algorithm');
  const parts = [
    `username=${quote(cred.user)}`,
    `realm=${quote(c.params.get('realm') ?? '')}`,
    `nonce=${quote(c.params.get('nonce') ?? '')}`,
    `uri=${quote(inp.uri)}`,
    `response=${quote(response)}`,
  ];
  if (alg) parts.push(`algorithm=${alg}`);
  const opaque = c.params.get('opaque');
  if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${inp.nc.toString(16).padStart(8, '0')}`, `cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}
