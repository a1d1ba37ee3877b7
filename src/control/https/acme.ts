// Getting a certificate from an ACME CA (Let's Encrypt by default; RFC 8555) with the HTTP-01 challenge
// (RFC 8555 8.3), through the acme-client package. The challenge answers are kept in memory and served at
// /.well-known/acme-challenge/<token> on HTTP_PORT (and ACME_HTTP_PORT). The account key is kept under
// DATA_DIR/certs/acme, one per ACME directory. Failures are turned into messages that say what to fix.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import acme from 'acme-client';

/** The steps of one request, as mgmt/cert/query and the console show them. */
export type AcmeStep = 'account' | 'order' | 'challenge' | 'validating' | 'finalizing' | 'downloading';

/** Why a request failed, so the console can explain it; `message` has the details. */
export type AcmeProblem = 'dns' | 'unreachable' | 'unauthorized' | 'rate-limited' | 'rejected' | 'acme-server' | 'other';

export class AcmeError extends Error {
  constructor(
    readonly problem: AcmeProblem,
    message: string,
  ) {
    super(message);
    this.name = 'AcmeError';
  }
}

export interface AcmeOptions {
  /** the ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory */
  directoryUrl: string;
  /** contact e-mail for the account ('' = none) */
  email: string;
  /** extra CAs (PEM) to trust for the ACME server's own HTTPS (a private ACME server), or null */
  caPem: string | null;
  /** DATA_DIR/certs */
  dir: string;
  /** the HTTP port the challenge is answered on, for messages */
  httpPort: number;
  /** the extra plain-HTTP port for challenges (e.g. 80), 0 = none; for messages */
  challengePort: number;
}

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

interface AcmeProblemDoc {
  type?: string;
  detail?: string;
}

/** HTTP-01 answers in flight: token -> key authorization. */
export class ChallengeAnswers {
  private readonly answers = new Map<string, string>();
  set(token: string, keyAuthorization: string): void {
    this.answers.set(token, keyAuthorization);
  }
  delete(token: string): void {
    this.answers.delete(token);
  }
  get(token: string): string | undefined {
    return this.answers.get(token);
  }
}

export class AcmeIssuer {
  private agentSet = false;
  /** the client with its account, made once (it keeps the account URL) */
  private client: acme.Client | null = null;

  constructor(
    private readonly opts: AcmeOptions,
    private readonly answers: ChallengeAnswers,
  ) {}

  private async accountKey(): Promise<Buffer> {
    const dir = join(this.opts.dir, 'acme');
    const name = `account-${createHash('sha256').update(this.opts.directoryUrl).digest('hex').slice(0, 12)}.pem`;
    const path = join(dir, name);
    const existing = await readFile(path).catch(() => null);
    if (existing) return existing;
    await mkdir(dir, { recursive: true });
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    await writeFile(path, key, { mode: 0o600 });
    return key;
  }

  private portHint(): string {
    const p = this.opts.challengePort;
    return p === 80
      ? 'port 80 is open in the firewall and the router (ACME_HTTP_PORT=80 answers it)'
      : `port 80 reaches this server (forward port 80 to HTTP_PORT ${this.opts.httpPort}, or run with ACME_HTTP_PORT=80)`;
  }

  /** Turns an ACME problem document or an exception into an AcmeError that says what to do. */
  private explain(domain: string, e: unknown, problem?: AcmeProblemDoc): AcmeError {
    const detail = (problem?.detail ?? (e instanceof Error ? e.message : String(e))).replace(/\s+/g, ' ').trim();
    const type = (problem?.type ?? '').replace('urn:ietf:params:acme:error:', '');
    const url = `http://${domain}/.well-known/acme-challenge/...`;
    if (type === 'dns' || /NXDOMAIN|no such host|SERVFAIL|DNS problem|could not resolve|no valid A records/i.test(detail)) {
      return new AcmeError('dns', `the domain ${domain} does not resolve (${detail}): add a DNS A (or AAAA) record for ${domain} pointing to this server's public IP, wait for it to spread, then try again`);
    }
    if (type === 'connection' || /connection refused|timeout|timed out|no route|connect:/i.test(detail)) {
      return new AcmeError('unreachable', `the CA could not reach ${url} (${detail}): check that ${domain} points to this server and that ${this.portHint()}`);
    }
    if (type === 'unauthorized' || type === 'incorrectResponse' || /unauthorized|404|key authorization/i.test(detail)) {
      return new AcmeError('unauthorized', `the CA fetched ${url} but did not get this server's answer (${detail}): ${domain} points to another server, or port 80 goes to another program; check that ${this.portHint()}`);
    }
    if (type === 'rateLimited' || /rate.?limit|too many/i.test(detail)) {
      return new AcmeError('rate-limited', `the CA refuses for now because of its rate limits (${detail}): wait (Let's Encrypt: up to an hour, or a week for 5 certificates of one domain), or use the staging directory to test`);
    }
    if (type === 'rejectedIdentifier' || type === 'malformed' || type === 'caa') {
      return new AcmeError('rejected', `the CA will not issue for ${domain} (${detail}): use a public domain name you own (not an IP address or a local name)`);
    }
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|certificate|self.signed|socket hang up/i.test(detail)) {
      return new AcmeError('acme-server', `cannot talk to the ACME server at ${this.opts.directoryUrl} (${detail}): check ACME_DIRECTORY_URL and this server's outgoing network (and ACME_CA_FILE for a private ACME server)`);
    }
    return new AcmeError('other', `the certificate request for ${domain} failed: ${detail}`);
  }

  private async account(): Promise<acme.Client> {
    if (this.client) return this.client;
    const client = new acme.Client({
      directoryUrl: this.opts.directoryUrl,
      accountKey: await this.accountKey(),
      backoffAttempts: 12,
      backoffMin: 500,
      backoffMax: 8000,
    });
    try {
      await client.createAccount({ termsOfServiceAgreed: true, ...(this.opts.email ? { contact: [`mailto:${this.opts.email}`] } : {}) });
    } catch (e) {
      // The key has an account already (a restart): acme-client then sends an empty update, which some CAs
      // (pebble) refuse. The account URL is known by then, and that is all the orders need.
      try {
        client.getAccountUrl();
      } catch {
        throw e;
      }
    }
    this.client = client;
    return client;
  }

  /** Gets a certificate for `domain`; reports each step. Returns the new key and the full chain (PEM). */
  async issue(domain: string, onStep: (s: AcmeStep) => void): Promise<{ key: string; cert: string }> {
    if (!this.agentSet && this.opts.caPem) {
      // acme-client talks through its own axios instance: trust the private ACME server's CA there.
      acme.axios.defaults.httpsAgent = new Agent({ ca: this.opts.caPem });
      this.agentSet = true;
    }
    let step: AcmeStep = 'account';
    onStep(step);
    const tokens: string[] = [];
    let order: acme.Order | null = null;
    let client: acme.Client | null = null;
    try {
      client = await this.account();
      onStep((step = 'order'));
      order = await client.createOrder({ identifiers: [{ type: 'dns', value: domain }] });
      const authzs = await client.getAuthorizations(order);
      onStep((step = 'challenge'));
      const pending: { challenge: acme.Authorization['challenges'][number] }[] = [];
      for (const authz of authzs) {
        if (authz.status === 'valid') continue;
        const challenge = authz.challenges.find((c) => c.type === 'http-01');
        if (!challenge) throw new AcmeError('rejected', `the CA offers no HTTP-01 challenge for ${domain} (only ${authz.challenges.map((c) => c.type).join(', ')}): this server can only answer HTTP-01`);
        this.answers.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
        tokens.push(challenge.token);
        pending.push({ challenge });
      }
      onStep((step = 'validating'));
      for (const { challenge } of pending) {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      }
      onStep((step = 'finalizing'));
      const [key, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] });
      const finalized = await client.finalizeOrder(order, csr);
      onStep((step = 'downloading'));
      const cert = await client.getCertificate(finalized);
      return { key: key.toString(), cert };
    } catch (e) {
      if (e instanceof AcmeError) throw e;
      // A failed challenge: the authorization carries the CA's problem document (its type says why).
      let problem: AcmeProblemDoc | undefined;
      if (client && order && (step === 'validating' || step === 'challenge')) {
        try {
          for (const a of await client.getAuthorizations(order)) {
            const failed = a.challenges.find((c) => c.type === 'http-01' && (c as { error?: AcmeProblemDoc }).error);
            if (failed) problem = (failed as { error?: AcmeProblemDoc }).error;
          }
        } catch {
          /* keep the exception's message */
        }
      }
      throw this.explain(domain, e, problem);
    } finally {
      for (const t of tokens) this.answers.delete(t);
    }
  }
}
