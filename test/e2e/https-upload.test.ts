// Your own certificate (mgmt/ssl): a key + chain made by openssl (a CA and a leaf it signed) is checked,
// served on HTTPS_PORT and RTMPS_PORT at once (no restart) and kept across a restart. A mismatched key, an
// expired certificate, garbage, an empty field and a chain out of order are refused with distinct messages and
// nothing changes. mgmt/auto-self-signed-certificate replaces it with a new self-signed one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { generate } from 'selfsigned';
import { Redis } from 'ioredis';
import { startServer, tempDir, type TestServer } from './helpers.js';

const skip = spawnSync('openssl', ['version']).error ? 'openssl is not installed (apt-get install openssl)' : false;
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

interface CertQuery {
  provider: string;
  source: string;
  key: string;
  crt: string;
  certificate: { domains: string[]; issuer: string; fingerprint: string; chainLength: number };
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function peer(port: number, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve(c);
    });
    s.on('error', reject);
  });
}

function verifies(port: number, servername: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      resolve(s.authorized);
      s.end();
    });
    s.on('error', reject);
  });
}

test('mgmt/ssl: a good chain is served at once on HTTPS and RTMPS and kept; bad ones are refused with distinct messages and change nothing', { skip, timeout: 120000 }, async () => {
  const dir = tempDir('certs-');
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Upload Test CA', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=upload.test', '-addext', 'subjectAltName=DNS:upload.test']);
  openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '30', '-copy_extensions', 'copy']);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const ca = read('ca.crt');
  const key = read('leaf.key');
  const chain = read('leaf.crt') + ca;
  const day = 86400_000;
  const expired = await generate([{ name: 'commonName', value: 'old.test' }], { keySize: 2048, notBeforeDate: new Date(Date.now() - 40 * day), notAfterDate: new Date(Date.now() - day) });
  const unrelated = await generate([{ name: 'commonName', value: 'unrelated.test' }], { keySize: 2048 });

  const dataDir = tempDir('srs-node-data-');
  let server = await startServer({}, { dataDir });
  servers.push(server);
  const q0 = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q0.source, 'self-signed');
  assert.equal(q0.provider, 'ssl');
  assert.equal(await verifies(server.app.httpsPort, 'upload.test', ca), false);

  const ok = await server.api('/terraform/v1/mgmt/ssl', { key, crt: chain });
  assert.equal(ok.status, 200, ok.message);
  const q1 = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q1.source, 'uploaded');
  assert.equal(q1.provider, 'ssl');
  assert.deepEqual(q1.certificate.domains, ['upload.test']);
  assert.equal(q1.certificate.issuer, 'Upload Test CA');
  assert.equal(q1.certificate.chainLength, 2);
  assert.equal(q1.key.trim(), key.trim());
  assert.equal(await verifies(server.app.httpsPort, 'upload.test', ca), true, 'HTTPS serves the uploaded chain');
  assert.equal(await verifies(server.app.rtmpsPort, 'upload.test', ca), true, 'RTMPS serves the uploaded chain');
  const fp = q1.certificate.fingerprint;
  const redis = new Redis({ path: join(dataDir, 'redis', 'redis.sock') });
  try {
    assert.equal(await redis.get('SRS_HTTPS'), 'ssl', "SRS Stack's provider key");
  } finally {
    redis.disconnect();
  }

  const bad: [string, { key: string; crt: string }, RegExp][] = [
    ['mismatched key', { key: read('other.key'), crt: chain }, /does not belong to the certificate for upload\.test/],
    ['expired', { key: expired.private, crt: expired.cert }, /expired on \d{4}-/],
    ['garbage certificate', { key, crt: 'hello, I am not a certificate' }, /not PEM/],
    ['garbage inside the PEM armour', { key, crt: '-----BEGIN CERTIFICATE-----\nAAAAgarbage\n-----END CERTIFICATE-----' }, /does not parse/],
    ['garbage key', { key: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', crt: chain }, /not a PEM private key/],
    ['a certificate as the key', { key: ca, crt: chain }, /not a PEM private key/],
    ['empty key', { key: '  ', crt: chain }, /^empty key/],
    ['empty crt', { key, crt: '' }, /^empty crt/],
    ['chain out of order', { key, crt: read('leaf.crt') + unrelated.cert }, /did not issue certificate 1/],
  ];
  const messages = new Set<string>();
  for (const [what, body, re] of bad) {
    const r = await server.api('/terraform/v1/mgmt/ssl', body);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.message}`);
    assert.match(r.message ?? '', re, what);
    messages.add(r.message ?? '');
    const q = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
    assert.equal(q.certificate.fingerprint, fp, `${what}: the certificate in use is unchanged`);
    assert.equal((await peer(server.app.httpsPort, 'upload.test')).fingerprint256, fp, `${what}: HTTPS still serves it`);
  }
  assert.equal(messages.size, bad.length, 'each problem has its own message');
  // A missing field is refused by the schema.
  assert.equal((await server.api('/terraform/v1/mgmt/ssl', { key })).status, 400);

  // Kept across a restart.
  await server.close();
  server = await startServer({}, { dataDir });
  servers.push(server);
  const q2 = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q2.source, 'uploaded');
  assert.equal(q2.certificate.fingerprint, fp);
  assert.equal(await verifies(server.app.httpsPort, 'upload.test', ca), true);

  // A new self-signed certificate on demand, served at once.
  assert.equal((await server.api('/terraform/v1/mgmt/auto-self-signed-certificate')).status, 200);
  const q3 = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q3.source, 'self-signed');
  assert.notEqual(q3.certificate.fingerprint, fp);
  assert.deepEqual(q3.certificate.domains, ['localhost', '127.0.0.1']);
  assert.equal((await peer(server.app.httpsPort, 'localhost')).fingerprint256, q3.certificate.fingerprint);
  assert.equal((await peer(server.app.rtmpsPort, 'localhost')).fingerprint256, q3.certificate.fingerprint);
  // The challenge path answers 404 for unknown or malformed tokens (no request is in flight), and the server lives on.
  for (const token of ['nope', '%E0%A4%A', '..%2F..%2Fcerts%2Fkey.pem']) {
    const r = await fetch(`${server.http}/.well-known/acme-challenge/${token}`);
    assert.equal(r.status, 404, token);
    assert.match(await r.text(), /no ACME challenge with this token is in progress/);
  }
  // Without a token: refused.
  const anon = await fetch(`${server.http}/terraform/v1/mgmt/cert/query`, { method: 'POST', body: '{}' });
  assert.equal(anon.status, 401);
});
