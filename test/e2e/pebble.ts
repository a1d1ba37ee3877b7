// A real ACME CA for tests: Debian's pebble (Let's Encrypt's test server) and pebble-challtestsrv as its DNS,
// answering every name with 127.0.0.1 (or what a test sets). Pebble validates HTTP-01 on the port it is told
// (the server's HTTP_PORT) and has its own root, fetched from its management port to verify what it issued.
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { freePort, run, startServer, tempDir, waitFor, type Proc, type TestServer } from './helpers.js';
import { spawnSync } from 'node:child_process';

export function pebbleMissing(): false | string {
  const ok = spawnSync('pebble', ['-h'], { stdio: 'ignore' }).error === undefined && spawnSync('pebble-challtestsrv', ['-h'], { stdio: 'ignore' }).error === undefined;
  return ok ? false : 'pebble is not installed (apt-get install pebble)';
}

function get(url: string, ca: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface ChallTestSrv {
  dnsPort: number;
  /** Answers A queries for `host` with these addresses (e.g. one nobody listens on). */
  setA(host: string, addresses: string[]): Promise<void>;
  /** Answers every query for `host` with SERVFAIL (a name that does not resolve). */
  setServfail(host: string): Promise<void>;
  proc: Proc;
}

export async function startChallTestSrv(): Promise<ChallTestSrv> {
  const dnsPort = await freePort();
  const mgmt = await freePort();
  const proc = run('pebble-challtestsrv', [
    '-dns01', `127.0.0.1:${dnsPort}`,
    '-http01', '', '-https01', '', '-tlsalpn01', '',
    '-management', `127.0.0.1:${mgmt}`,
    '-defaultIPv4', '127.0.0.1',
    '-defaultIPv6', '',
  ]);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${mgmt}/`).catch(() => null)) !== null, 10000, 'pebble-challtestsrv to start');
  return {
    dnsPort,
    proc,
    async setA(host, addresses) {
      const r = await fetch(`http://127.0.0.1:${mgmt}/add-a`, { method: 'POST', body: JSON.stringify({ host: `${host}.`, addresses }) });
      if (!r.ok) throw new Error(`challtestsrv add-a: ${r.status}`);
    },
    async setServfail(host) {
      const r = await fetch(`http://127.0.0.1:${mgmt}/set-servfail`, { method: 'POST', body: JSON.stringify({ host: `${host}.` }) });
      if (!r.ok) throw new Error(`challtestsrv set-servfail: ${r.status}`);
    },
  };
}

export interface Pebble {
  /** the ACME directory URL */
  directory: string;
  /** PEM file of pebble's own HTTPS certificate (ACME_CA_FILE) */
  caFile: string;
  /** pebble's issuing root (PEM), regenerated at each start */
  root(): Promise<string>;
  proc: Proc;
}

/** Starts pebble validating HTTP-01 on 127.0.0.1:httpPort (through the DNS server), issuing for validitySeconds. */
export async function startPebble(opts: { httpPort: number; dnsPort: number; validitySeconds?: number }): Promise<Pebble> {
  const dir = tempDir('pebble-');
  const tls = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const caFile = join(dir, 'cert.pem');
  writeFileSync(caFile, tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.private);
  const port = await freePort();
  const mgmt = await freePort();
  writeFileSync(
    join(dir, 'pebble-config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: caFile,
        privateKey: join(dir, 'key.pem'),
        httpPort: opts.httpPort,
        tlsPort: 5001,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      },
    }),
  );
  const proc = run('pebble', ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `127.0.0.1:${opts.dnsPort}`], {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
    PEBBLE_AUTHZREUSE: '0',
  });
  const directory = `https://127.0.0.1:${port}/dir`;
  await waitFor(async () => (await get(directory, tls.cert).catch(() => ({ status: 0 }))).status === 200, 15000, 'pebble to start').catch((e: Error) => {
    throw new Error(`${e.message}: ${proc.stderr()} ${proc.stdout().toString()}`);
  });
  return {
    directory,
    caFile,
    proc,
    async root() {
      const r = await get(`https://127.0.0.1:${mgmt}/roots/0`, tls.cert);
      if (r.status !== 200) throw new Error(`pebble roots/0: ${r.status}`);
      return r.body;
    },
  };
}

/**
 * A server whose ACME directory is a new pebble validating on that server's HTTP port (pebble must know the
 * port, the server pebble's directory: the port is picked first). The caller kills pebble.proc and closes the server.
 */
export async function startServerWithPebble(
  dns: ChallTestSrv,
  env: Record<string, string> = {},
  opts: { validitySeconds?: number; acmeHttpPort?: boolean } = {},
): Promise<{ server: TestServer; pebble: Pebble }> {
  const httpPort = await freePort();
  // acmeHttpPort: pebble validates on the server's ACME_HTTP_PORT (the port-80 listener) instead of HTTP_PORT.
  const acmePort = opts.acmeHttpPort ? await freePort() : 0;
  const pebble = await startPebble({ httpPort: acmePort || httpPort, dnsPort: dns.dnsPort, ...(opts.validitySeconds ? { validitySeconds: opts.validitySeconds } : {}) });
  try {
    const server = await startServer({
      HTTP_PORT: String(httpPort),
      ACME_DIRECTORY_URL: pebble.directory,
      ACME_CA_FILE: pebble.caFile,
      ...(acmePort ? { ACME_HTTP_PORT: String(acmePort) } : {}),
      ...env,
    });
    return { server, pebble };
  } catch (e) {
    pebble.proc.kill();
    throw e;
  }
}
