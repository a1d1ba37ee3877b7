// Checks a private key and a certificate chain (PEM) before they are used: both parse, the key belongs to the
// first certificate, that certificate is valid now, and each certificate of the chain is signed by the next.
// Also describes a certificate for mgmt/cert/query (domains, issuer, dates, fingerprint).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

/** Why a key + certificate pair is refused; `code` is stable, the message says what to do. */
export type CertificateProblem = 'empty' | 'bad-key' | 'bad-cert' | 'key-mismatch' | 'expired' | 'not-yet-valid' | 'bad-chain';

export class CertificateError extends Error {
  constructor(
    readonly problem: CertificateProblem,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** What mgmt/cert/query and the console show of a certificate. */
export interface CertificateInfo {
  /** the subject's common name */
  subject: string;
  /** DNS names and IP addresses of subjectAltName (else the common name) */
  domains: string[];
  /** the issuer's common name (or the whole issuer) */
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint, AA:BB:... */
  fingerprint: string;
  serial: string;
  /** certificates in the chain, the leaf first */
  chainLength: number;
  /** the leaf is its own issuer */
  selfIssued: boolean;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function commonName(dn: string): string {
  const m = /(?:^|\n)CN=([^\n]+)/.exec(dn);
  return m ? m[1]! : dn.replace(/\n/g, ', ');
}

/** The certificates of a PEM chain, leaf first; throws a CertificateError when there is none or one does not parse. */
export function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new CertificateError(
      'bad-cert',
      'the certificate is not PEM: expected one or more blocks from "-----BEGIN CERTIFICATE-----" to "-----END CERTIFICATE-----" (your certificate first, then the intermediates)',
    );
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new CertificateError('bad-cert', `certificate ${i + 1} of the chain does not parse (${(e as Error).message}); paste the PEM file unchanged`);
    }
  });
}

export function describe(chain: X509Certificate[]): CertificateInfo {
  const leaf = chain[0]!;
  const alt = leaf.subjectAltName ?? '';
  const domains = alt
    .split(/,\s*/)
    .map((s) => /^(?:DNS|IP Address):(.+)$/.exec(s.trim())?.[1])
    .filter((s): s is string => !!s);
  return {
    subject: commonName(leaf.subject),
    domains: domains.length ? domains : [commonName(leaf.subject)],
    issuer: commonName(leaf.issuer),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprint: leaf.fingerprint256,
    serial: leaf.serialNumber,
    chainLength: chain.length,
    selfIssued: leaf.subject === leaf.issuer,
  };
}

/** Describes the certificate of a PEM (no checks beyond parsing). */
export function describePem(pem: string): CertificateInfo {
  return describe(parseChain(pem));
}

/**
 * Checks a key and certificate chain as a user uploads them; returns the description of the leaf.
 * Throws a CertificateError whose message says what is wrong and what to do.
 */
export function validatePair(keyPem: string, certPem: string, now = new Date()): CertificateInfo {
  if (!keyPem.trim()) throw new CertificateError('empty', 'empty key: paste the private key (PEM, "-----BEGIN PRIVATE KEY-----" ...)');
  if (!certPem.trim()) throw new CertificateError('empty', 'empty crt: paste the certificate (PEM, "-----BEGIN CERTIFICATE-----" ...)');
  let key: KeyObject;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) throw new Error('no "-----BEGIN ... PRIVATE KEY-----" block');
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new CertificateError(
      'bad-key',
      `the private key is not a PEM private key (${(e as Error).message}); paste the unencrypted key file (RSA, EC or PKCS#8), not the certificate or a CSR`,
    );
  }
  const chain = parseChain(certPem);
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(
      'key-mismatch',
      `the private key does not belong to the certificate for ${commonName(leaf.subject)}: upload the key that was made with this certificate's request (or put your own certificate first in the chain)`,
    );
  }
  const from = new Date(leaf.validFrom);
  const to = new Date(leaf.validTo);
  if (to.getTime() <= now.getTime()) {
    throw new CertificateError('expired', `the certificate for ${commonName(leaf.subject)} expired on ${to.toISOString()}: renew it with your CA, or use Let's Encrypt`);
  }
  if (from.getTime() > now.getTime()) {
    throw new CertificateError('not-yet-valid', `the certificate for ${commonName(leaf.subject)} is valid only from ${from.toISOString()}: check the server's clock or wait`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const a = chain[i]!;
    const b = chain[i + 1]!;
    if (!a.checkIssued(b) || !a.verify(b.publicKey)) {
      throw new CertificateError(
        'bad-chain',
        `certificate ${i + 2} of the chain (${commonName(b.subject)}) did not issue certificate ${i + 1} (${commonName(a.subject)}): put your certificate first, then each intermediate in order`,
      );
    }
  }
  return describe(chain);
}
