// Console tokens: JWT HS256 signed with the API secret (jose), with SRS Stack's claims ({v, nonce, iat, exp}) and
// its one-year lifetime, so tokens issued by either verify the same way.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export interface IssuedToken {
  token: string;
  /** RFC 3339 */
  createAt: string;
  /** RFC 3339 */
  expireAt: string;
}

const LIFETIME_S = 365 * 24 * 3600;

function rfc3339(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function issueToken(secret: string, now = Date.now()): Promise<IssuedToken> {
  const iat = Math.floor(now / 1000);
  const exp = iat + LIFETIME_S;
  const token = await new SignJWT({ v: '1.0', nonce: randomBytes(8).toString('hex') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
  return { token, createAt: rfc3339(iat), expireAt: rfc3339(exp) };
}

/** True when `token` is a JWT signed with `secret` that has not expired. */
export async function verifyToken(secret: string, token: string): Promise<boolean> {
  if (!token || token.split('.').length !== 3) return false;
  try {
    await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    return true;
  } catch {
    return false;
  }
}
