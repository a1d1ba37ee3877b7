// The certificate HTTPS_PORT and RTMPS_PORT serve, and the three ways to change it: a new self-signed one,
// the user's own (validated first: nothing changes on error), or one from Let's Encrypt (ACME HTTP-01),
// renewed by itself before it expires (checked at start and every CERT_CHECK_INTERVAL_MS). Listeners are told
// of each new certificate, and the app swaps it into the running TLS servers (setSecureContext): no restart,
// connections in flight keep theirs. Redis gets SRS Stack's SRS_HTTPS (ssl | lets) and SRS_HTTPS_DOMAIN.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Store } from '../redis/store.js';
import { AcmeError, AcmeIssuer, ChallengeAnswers, type AcmeProblem, type AcmeStep } from './acme.js';
import { certsDir, generateSelfSigned, loadCertificate, writeCertificate, type Certificate } from './certificate.js';
import { describePem, validatePair, type CertificateInfo } from './pem.js';

export const HTTPS_KEY = 'SRS_HTTPS';
export const HTTPS_DOMAIN_KEY = 'SRS_HTTPS_DOMAIN';

export interface HttpsOptions {
  dataDir: string;
  store: Store;
  logger: Logger;
  /** ACME directory URL (Let's Encrypt's by default) */
  acmeDirectoryUrl: string;
  acmeEmail: string;
  /** extra CA (PEM) trusted for the ACME server's own HTTPS, or null */
  acmeCaPem: string | null;
  httpPort: number;
  challengePort: number;
  /** renew this many days before the certificate expires */
  renewBeforeDays: number;
  /** how often to check whether to renew, ms */
  checkIntervalMs: number;
}

/** The last (or current) Let's Encrypt request: what mgmt/cert/query and the console show. */
export interface AcmeStatus {
  state: 'idle' | 'running' | 'ok' | 'failed';
  domain: string;
  /** renewal (by the timer) or a request from the API */
  renewal: boolean;
  step: AcmeStep | '';
  startedAt: string;
  finishedAt: string;
  /** why the last try failed, in plain words ('' when it did not) */
  error: string;
  problem: AcmeProblem | '';
}

export type CertificateListener = (c: Certificate) => void;

/** A request the user must fix: the API answers 400 with the message. */
export class HttpsInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'HttpsInputError';
  }
}

/** Domain names ACME accepts for HTTP-01: letters, digits, hyphens, dots; no IP, no wildcard. */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export class HttpsCertificates {
  private cert!: Certificate;
  private info!: CertificateInfo;
  private readonly listeners: CertificateListener[] = [];
  private readonly answers = new ChallengeAnswers();
  private readonly issuer: AcmeIssuer;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private status: AcmeStatus = { state: 'idle', domain: '', renewal: false, step: '', startedAt: '', finishedAt: '', error: '', problem: '' };

  private constructor(private readonly opts: HttpsOptions) {
    this.issuer = new AcmeIssuer(
      { directoryUrl: opts.acmeDirectoryUrl, email: opts.acmeEmail, caPem: opts.acmeCaPem, dir: certsDir(opts.dataDir), httpPort: opts.httpPort, challengePort: opts.challengePort },
      this.answers,
    );
  }

  /** Loads DATA_DIR/certs (a self-signed pair on first start) and starts the renewal checks. */
  static async start(opts: HttpsOptions): Promise<HttpsCertificates> {
    const h = new HttpsCertificates(opts);
    h.cert = await loadCertificate(opts.dataDir);
    try {
      h.info = describePem(h.cert.cert);
    } catch (e) {
      opts.logger.error({ err: errorMessage(e), certs: certsDir(opts.dataDir) }, 'DATA_DIR/certs/cert.pem does not parse: using a new self-signed certificate; upload yours again');
      h.cert = await generateSelfSigned();
      h.info = describePem(h.cert.cert);
    }
    if (h.cert.source === 'self-signed') {
      opts.logger.info({ certs: certsDir(opts.dataDir) }, 'HTTPS uses a self-signed certificate; upload your own or get one from Let\'s Encrypt (console: HTTPS, or mgmt/ssl, mgmt/letsencrypt)');
    }
    h.timer = setInterval(() => h.checkRenewal(), opts.checkIntervalMs);
    h.timer.unref();
    setImmediate(() => h.checkRenewal());
    return h;
  }

  /** The certificate in use. */
  current(): Certificate {
    return this.cert;
  }

  /** Called with every new certificate (the app swaps it into the TLS servers). */
  onChange(l: CertificateListener): void {
    this.listeners.push(l);
  }

  /** SRS Stack's provider: ssl (self-signed or uploaded) or lets (Let's Encrypt). */
  private provider(): 'ssl' | 'lets' {
    return this.cert.source === 'letsencrypt' ? 'lets' : 'ssl';
  }

  private async use(c: Certificate): Promise<void> {
    const info = describePem(c.cert);
    await writeCertificate(this.opts.dataDir, c);
    this.cert = c;
    this.info = info;
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (e) {
        this.opts.logger.error({ err: errorMessage(e) }, 'could not load the new certificate into a TLS server');
      }
    }
    await this.saveKeys().catch((e: unknown) => this.opts.logger.warn({ err: errorMessage(e) }, 'could not write SRS_HTTPS to Redis'));
    this.opts.logger.info({ source: c.source, domains: info.domains, issuer: info.issuer, notAfter: info.notAfter }, 'HTTPS certificate in use');
  }

  /** Writes SRS_HTTPS / SRS_HTTPS_DOMAIN (also after Redis came back empty). */
  async saveKeys(): Promise<void> {
    await this.opts.store.set(HTTPS_KEY, this.provider());
    if (this.cert.source === 'letsencrypt') await this.opts.store.set(HTTPS_DOMAIN_KEY, this.cert.domain);
  }

  /** mgmt/auto-self-signed-certificate: a new self-signed certificate replaces the one in use. */
  async selfSigned(): Promise<void> {
    await this.use(await generateSelfSigned());
  }

  /** mgmt/ssl: the user's key and certificate chain, checked first; on error nothing changes. */
  async upload(key: string, crt: string): Promise<CertificateInfo> {
    let info: CertificateInfo;
    try {
      info = validatePair(key.trim(), crt.trim());
    } catch (e) {
      throw new HttpsInputError(errorMessage(e));
    }
    await this.use({ key: key.trim(), cert: crt.trim(), source: 'uploaded', domain: '' });
    return info;
  }

  /** mgmt/letsencrypt: gets a certificate for `domain` and uses it; resolves when done (cert/query shows progress). */
  async letsencrypt(domain: string): Promise<CertificateInfo> {
    const d = domain.trim().toLowerCase().replace(/\.$/, '');
    if (!d) throw new HttpsInputError('empty domain: give the domain name that points to this server, e.g. live.example.com');
    if (!DOMAIN.test(d)) {
      throw new HttpsInputError(`${JSON.stringify(domain)} is not a domain name Let's Encrypt can issue for: give a name like live.example.com (no IP address, no port, no wildcard, no http://)`);
    }
    if (this.running) throw new HttpsInputError(`a certificate is being requested for ${this.status.domain} (step ${this.status.step}): wait for it to finish`, 409);
    await this.request(d, false);
    if (this.status.state !== 'ok') throw new HttpsInputError(this.status.error, 502);
    return this.info;
  }

  private request(domain: string, renewal: boolean): Promise<void> {
    this.status = { state: 'running', domain, renewal, step: '', startedAt: new Date().toISOString(), finishedAt: '', error: '', problem: '' };
    const log = this.opts.logger.child({ domain, renewal });
    log.info({ directory: this.opts.acmeDirectoryUrl }, 'requesting a certificate (ACME HTTP-01)');
    const run = (async () => {
      try {
        const { key, cert } = await this.issuer.issue(domain, (step) => {
          this.status.step = step;
          log.info({ step }, 'ACME step');
        });
        if (this.closed) return;
        await this.use({ key, cert, source: 'letsencrypt', domain });
        this.status = { ...this.status, state: 'ok', step: '', finishedAt: new Date().toISOString() };
      } catch (e) {
        const problem: AcmeProblem = e instanceof AcmeError ? e.problem : 'other';
        this.status = { ...this.status, state: 'failed', finishedAt: new Date().toISOString(), error: errorMessage(e), problem };
        log.warn({ err: errorMessage(e), problem, keeps: this.info.issuer }, 'the certificate request failed; the certificate in use stays');
      }
    })();
    this.running = run.finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Renews a Let's Encrypt certificate that expires within renewBeforeDays. */
  checkRenewal(): void {
    if (this.closed || this.running || this.cert.source !== 'letsencrypt' || !this.cert.domain) return;
    const left = new Date(this.info.notAfter).getTime() - Date.now();
    if (left > this.opts.renewBeforeDays * 86400_000) return;
    this.opts.logger.info({ domain: this.cert.domain, notAfter: this.info.notAfter }, 'the certificate expires soon: renewing it');
    void this.request(this.cert.domain, true);
  }

  /** mgmt/cert/query: SRS Stack's fields (provider, domain, key, crt) and what the certificate is. */
  query(): {
    provider: 'ssl' | 'lets';
    domain: string;
    key: string;
    crt: string;
    source: Certificate['source'];
    certificate: CertificateInfo;
    acme: AcmeStatus & { directoryUrl: string };
    renewBeforeDays: number;
  } {
    return {
      provider: this.provider(),
      domain: this.cert.domain,
      key: this.cert.key,
      crt: this.cert.cert,
      source: this.cert.source,
      certificate: this.info,
      acme: { ...this.status, directoryUrl: this.opts.acmeDirectoryUrl },
      renewBeforeDays: this.opts.renewBeforeDays,
    };
  }

  /** Answers GET /.well-known/acme-challenge/<token>; false for any other request. */
  answerChallenge(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (!url.startsWith('/.well-known/acme-challenge/')) return false;
    // Tokens are base64url (RFC 8555 8.3): nothing to decode, and a malformed %-escape cannot throw here.
    const token = url.slice('/.well-known/acme-challenge/'.length).split('?')[0]!;
    const answer = this.answers.get(token);
    res.setHeader('Cache-Control', 'no-cache, max-age=0');
    res.setHeader('Content-Type', 'text/plain');
    if (answer === undefined) {
      res.statusCode = 404;
      res.end('no ACME challenge with this token is in progress\n');
    } else {
      res.statusCode = 200;
      res.end(answer);
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // A request in flight is left to fail or finish on its own; its result is not used after close.
  }
}
