// Console login: mgmt/init sets the password once (or reports whether it is set and whether this caller needs
// the setup code: from a non-loopback address the first password needs the one-time code from the server's
// log), mgmt/login trades the password for a token (wrong passwords are answered slowly and throttled per
// address), mgmt/token renews a token, mgmt/password changes
// the password (the current one is checked like a login, under the same throttle).
import type { ApiDeps } from '../../deps.js';
import { ApiError, badRequest, unauthorized } from '../../../errors.js';
import { isLoopback } from '../../../auth/setup-code.js';
import { issueToken } from '../../../auth/token.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { initBody, initStatus, loginBody, loginResult, passwordBody, tokenResult } from './schema.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Checks the console password as login does: slowly when wrong, and throttled per address (the same counter for
 * login and password change). Throws 429, 400 (no password set), 401 (login) or 403.
 */
async function checkPassword(d: ApiDeps, ip: string, password: string, what: 'login' | 'password change'): Promise<void> {
  const attempt = d.throttle.begin(ip);
  if (!attempt.ok) {
    const s = Math.ceil(attempt.retryAfterMs / 1000);
    throw new ApiError(429, 429, `too many wrong passwords from ${ip}; try again in ${s} s`, { 'Retry-After': String(s) });
  }
  let verdict: 'ok' | 'wrong' | 'unset';
  try {
    verdict = await d.auth.checkPassword(password);
  } catch (e) {
    attempt.cancel(); // not the user's fault (e.g. Redis is down): do not count it
    throw e;
  }
  if (verdict === 'unset') {
    attempt.cancel();
    throw badRequest('the console password is not set yet; set it first: POST /terraform/v1/mgmt/init {"password":"..."}');
  }
  if (verdict === 'wrong') {
    await sleep(d.throttle.opts.failDelayMs);
    const f = attempt.failed();
    d.logger.warn({ ip, triesLeft: f.triesLeft, lockedForMs: f.lockedForMs }, `console ${what}: wrong password`);
    const then =
      f.lockedForMs > 0
        ? `this address is now locked out for ${Math.ceil(f.lockedForMs / 1000)} s`
        : `${f.triesLeft} more wrong ${f.triesLeft === 1 ? 'try' : 'tries'} and this address is locked out for a while`;
    // 403, not 401, for a password change: the caller's token is fine, only the current password is wrong.
    if (what === 'login') throw unauthorized(`wrong password; ${then}`);
    throw new ApiError(403, 403, `the current password is wrong; ${then}`);
  }
  attempt.succeeded();
}

export function registerLogin(r: ApiRoutes, d: ApiDeps): void {
  r.add({
    path: '/terraform/v1/mgmt/init',
    methods: ['GET', 'POST'],
    auth: false,
    schema: initBody,
    response: { oneOf: [initStatus, loginResult] },
    summary: 'without a password: {init, needSetupCode}; with {password[, setupCode]}: sets the first console password -> {token, createAt, expireAt, bearer}',
    async handler({ body, ip }) {
      const local = isLoopback(ip);
      if (body.password === undefined || body.password === '') {
        const init = await d.auth.initialized();
        return { init, needSetupCode: !init && !local };
      }
      if (!local && !(await d.auth.initialized())) {
        const attempt = d.throttle.begin(ip);
        if (!attempt.ok) {
          const s = Math.ceil(attempt.retryAfterMs / 1000);
          throw new ApiError(429, 429, `too many wrong setup codes from ${ip}; try again in ${s} s`, { 'Retry-After': String(s) });
        }
        if (!d.setupCode.matches(body.setupCode)) {
          attempt.failed();
          d.logger.warn({ ip, given: !!body.setupCode }, 'mgmt/init from another machine without the right setup code');
          throw new ApiError(
            403,
            403,
            `${body.setupCode ? 'wrong setup code' : 'setting the first password from another machine needs the setup code'}: ` +
              'the server printed it in its log at start (look for "setup code"; e.g. journalctl or docker logs); ' +
              'send {"password":"...","setupCode":"XXXX-XXXX-XXXX"}, or call mgmt/init on the server itself (localhost) or set MGMT_PASSWORD',
          );
        }
        attempt.succeeded();
      }
      await d.auth.initPassword(body.password);
      d.setupCode.clear();
      return { ...(await issueToken(d.auth.secret)), bearer: d.auth.secret };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/login',
    methods: ['GET', 'POST'],
    auth: false,
    schema: loginBody,
    response: loginResult,
    async handler({ body, ip }) {
      await checkPassword(d, ip, body.password, 'login');
      d.logger.info({ ip }, 'console login ok');
      return { ...(await issueToken(d.auth.secret)), bearer: d.auth.secret };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/password',
    methods: ['GET', 'POST'], // like every SRS Stack route
    auth: true,
    schema: passwordBody,
    summary: 'changes the console password: {oldPassword, password}; tokens already issued stay valid (they are signed with the API secret)',
    async handler({ body, ip }) {
      if (body.oldPassword === undefined) {
        throw badRequest('send the current password as "oldPassword" with the new one as "password"');
      }
      await checkPassword(d, ip, body.oldPassword, 'password change');
      await d.auth.changePassword(body.password);
      d.logger.info({ ip }, 'console password changed');
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/token',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    response: tokenResult,
    handler: () => issueToken(d.auth.secret),
  });
}
