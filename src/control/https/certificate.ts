// The HTTPS certificate on disk: DATA_DIR/certs/{key.pem,cert.pem} plus source.json (where it came from:
// self-signed, uploaded, Let's Encrypt and its domain). A self-signed pair is generated on first start and
// kept there, as SRS Stack does on 2443. Files are written to temporary names and renamed, so a crash never
// leaves half a key or a key beside the wrong certificate's source.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** Where the certificate in use came from (mgmt/cert/query `source`). */
export type CertificateSource = 'self-signed' | 'uploaded' | 'letsencrypt';

export interface Certificate {
  key: string;
  cert: string;
  source: CertificateSource;
  /** the domain a Let's Encrypt certificate was issued for ('' otherwise) */
  domain: string;
}

export function certsDir(dataDir: string): string {
  return join(dataDir, 'certs');
}

async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/** Reads DATA_DIR/certs; null when there is no usable pair. */
export async function readCertificate(dataDir: string): Promise<Certificate | null> {
  const dir = certsDir(dataDir);
  const [key, cert] = await Promise.all([readText(join(dir, 'key.pem')), readText(join(dir, 'cert.pem'))]);
  if (!key || !cert || !/PRIVATE KEY/.test(key) || !/CERTIFICATE/.test(cert)) return null;
  let source: CertificateSource = 'uploaded';
  let domain = '';
  const meta = await readText(join(dir, 'source.json'));
  if (meta) {
    try {
      const m = JSON.parse(meta) as { source?: string; domain?: string };
      if (m.source === 'self-signed' || m.source === 'uploaded' || m.source === 'letsencrypt') source = m.source;
      domain = typeof m.domain === 'string' ? m.domain : '';
    } catch {
      /* a hand-edited file: the pair is still usable, call it uploaded */
    }
  } else if ((await readText(join(dir, 'self-signed'))) !== null) {
    source = 'self-signed'; // written by earlier versions
  }
  return { key, cert, source, domain };
}

/** Replaces DATA_DIR/certs/{key,cert}.pem and source.json. */
export async function writeCertificate(dataDir: string, c: Certificate): Promise<void> {
  const dir = certsDir(dataDir);
  await mkdir(dir, { recursive: true });
  const withNewline = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  await writeFile(join(dir, 'key.pem.tmp'), withNewline(c.key), { mode: 0o600 });
  await writeFile(join(dir, 'cert.pem.tmp'), withNewline(c.cert));
  await writeFile(join(dir, 'source.json.tmp'), `${JSON.stringify({ source: c.source, domain: c.domain })}\n`);
  await rename(join(dir, 'key.pem.tmp'), join(dir, 'key.pem'));
  await rename(join(dir, 'cert.pem.tmp'), join(dir, 'cert.pem'));
  await rename(join(dir, 'source.json.tmp'), join(dir, 'source.json'));
  await rm(join(dir, 'self-signed'), { force: true });
}

/** A new self-signed pair for localhost and 127.0.0.1, 10 years (browsers warn until a real one replaces it). */
export async function generateSelfSigned(): Promise<Certificate> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 86400_000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert, source: 'self-signed', domain: '' };
}

/** Loads DATA_DIR/certs, generating and keeping a self-signed pair when there is none. */
export async function loadCertificate(dataDir: string): Promise<Certificate> {
  const own = await readCertificate(dataDir);
  if (own) return own;
  const c = await generateSelfSigned();
  await writeCertificate(dataDir, c);
  return c;
}
