// Let's Encrypt against a real ACME CA: Debian's pebble, with pebble-challtestsrv resolving the test domains to
// 127.0.0.1 and pebble validating HTTP-01 on the server's HTTP_PORT. The issued certificate is served on
// HTTPS_PORT and RTMPS_PORT without a restart and verifies against pebble's root; the API, HTTP-FLV and HLS
// are fetched over it; ffmpeg publishes over rtmps:// and plays back as HTTP-FLV. A challenge the CA cannot
// reach leaves the certificate in use and says why; a certificate that expires soon is renewed by the server
// itself while an HTTPS-FLV viewer keeps receiving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type PeerCertificate } from 'node:tls';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { probe, publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { pebbleMissing, startChallTestSrv, startServerWithPebble, type ChallTestSrv, type Pebble } from './pebble.js';
import { requireTool } from '../support.js';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const skip = pebbleMissing() || requireTool('ffmpeg', 'ffprobe');
const procs: Proc[] = [];
const servers: TestServer[] = [];
let dns: ChallTestSrv;

interface CertQuery {
  provider: string;
  domain: string;
  crt: string;
  source: string;
  certificate: { domains: string[]; issuer: string; notAfter: string; fingerprint: string; serial: string; chainLength: number };
  acme: { state: string; domain: string; renewal: boolean; step: string; error: string; problem: string; finishedAt: string };
}

/** The certificate a TLS server presents for `servername`, and whether it verifies against `ca`. */
function peer(port: number, servername: string, ca: string): Promise<{ cert: PeerCertificate; authorized: boolean; error: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const r = { cert: s.getPeerCertificate(), authorized: s.authorized, error: String(s.authorizationError ?? '') };
      s.end();
      resolve(r);
    });
    s.on('error', reject);
  });
}

/** An HTTPS request to 127.0.0.1:port as https://domain/..., verified against `ca`. */
function httpsGet(port: number, domain: string, ca: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername: domain, ca, path, headers: { Host: `${domain}:${port}` }, ...opts }, resolve);
    req.on('error', reject);
    req.end(opts.method === 'POST' ? '{}' : undefined);
  });
}

async function body(res: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

before(async () => {
  if (skip) return;
  dns = await startChallTestSrv();
  procs.push(dns.proc);
});

after(async () => {
  for (const p of procs) p.kill();
  for (const s of servers) await s.close();
});

async function serverWithPebble(env: Record<string, string>, opts: { validitySeconds?: number; acmeHttpPort?: boolean } = {}): Promise<{ server: TestServer; pebble: Pebble }> {
  const r = await startServerWithPebble(dns, env, opts);
  procs.push(r.pebble.proc);
  servers.push(r.server);
  return r;
}

test("Let's Encrypt (pebble): issued over HTTP-01, served on HTTPS and RTMPS without a restart, API/FLV/HLS over it; an unreachable challenge keeps the certificate", { skip, timeout: 180000 }, async () => {
  const { server, pebble } = await serverWithPebble({});
  const root = await pebble.root();
  const domain = 'live.test';
  const httpsPort = server.app.httpsPort;
  const before = await peer(httpsPort, domain, root);
  assert.equal(before.authorized, false, 'the self-signed certificate does not verify against pebble');

  const stream = randomName();
  const ff = publish(server.publishUrl(stream));
  procs.push(ff);

  const r = await server.api('/terraform/v1/mgmt/letsencrypt', { domain });
  assert.equal(r.status, 200, `letsencrypt: ${r.message}`);
  const q = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q.provider, 'lets');
  assert.equal(q.domain, domain);
  assert.equal(q.source, 'letsencrypt');
  assert.deepEqual(q.certificate.domains, [domain]);
  assert.match(q.certificate.issuer, /Pebble Intermediate/);
  assert.ok(q.certificate.chainLength >= 2, 'the chain carries the intermediate');
  assert.equal(q.acme.state, 'ok');
  assert.ok(new Date(q.certificate.notAfter).getTime() > Date.now() + 30 * 86400_000);
  // SRS Stack's Redis keys (the embedded redis-server's socket under DATA_DIR/redis).
  const redis = new Redis({ path: join(server.dataDir, 'redis', 'redis.sock') });
  try {
    assert.equal(await redis.get('SRS_HTTPS'), 'lets');
    assert.equal(await redis.get('SRS_HTTPS_DOMAIN'), domain);
  } finally {
    redis.disconnect();
  }

  // HTTPS: the new certificate, verified against pebble's root (the chain is complete), no restart.
  const after = await peer(httpsPort, domain, root);
  assert.equal(after.authorized, true, `HTTPS certificate verifies against pebble's root: ${after.error}`);
  assert.equal(after.cert.fingerprint256, q.certificate.fingerprint);
  // RTMPS: the same certificate.
  const rtmps = await peer(server.app.rtmpsPort, domain, root);
  assert.equal(rtmps.authorized, true, `RTMPS certificate verifies: ${rtmps.error}`);
  assert.equal(rtmps.cert.fingerprint256, q.certificate.fingerprint);

  // The API, HTTP-FLV and HLS over HTTPS with verification on.
  const versions = await httpsGet(httpsPort, domain, root, '/terraform/v1/mgmt/versions');
  assert.equal(versions.statusCode, 200);
  assert.match((await body(versions)).toString(), /"version"/);
  const flv = await waitFor(async () => {
    const res = await httpsGet(httpsPort, domain, root, `/live/${stream}.flv`);
    if (res.statusCode !== 200) {
      res.resume();
      return null;
    }
    return res;
  }, 20000, 'HTTPS-FLV');
  const head = await new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    flv.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length > 4096) {
        flv.destroy();
        resolve(got);
      }
    });
  });
  assert.equal(head.subarray(0, 3).toString(), 'FLV');
  const playlist = await waitFor(async () => {
    let res = await httpsGet(httpsPort, domain, root, `/live/${stream}.m3u8`);
    let text = (await body(res)).toString();
    // The first answer points at the viewer's hls_ctx session playlist.
    const session = /^[^#\s].*\.m3u8\?[^\s]*/m.exec(text)?.[0];
    if (res.statusCode === 200 && session) {
      res = await httpsGet(httpsPort, domain, root, `/live/${session}`);
      text = (await body(res)).toString();
    }
    return res.statusCode === 200 && /\.ts/.test(text) ? text : null;
  }, 30000, 'HTTPS HLS playlist with a segment');
  assert.match(playlist, /^#EXTM3U/);
  const segment = /^[^#\s].*\.ts[^\s]*/m.exec(playlist)![0];
  const ts = await body(await httpsGet(httpsPort, domain, root, segment.startsWith('/') ? segment : `/live/${segment}`));
  assert.equal(ts[0], 0x47, 'an MPEG-TS segment over HTTPS');

  // ffmpeg publishes over rtmps:// (the Let's Encrypt certificate); HTTP-FLV plays it back.
  const overTls = randomName();
  const secret = server.secret;
  const ff2 = publish(`rtmps://127.0.0.1:${server.app.rtmpsPort}/live/${overTls}?secret=${secret}`);
  procs.push(ff2);
  const p = await waitFor(async () => {
    try {
      const info = await probe(`${server.http}/live/${overTls}.flv`);
      return info.streams.length === 2 ? info : null;
    } catch {
      return null;
    }
  }, 30000, 'the rtmps:// stream as HTTP-FLV');
  assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);

  // Failure: the CA cannot reach the challenge (the name resolves to an address nobody listens on).
  await dns.setA('down.test', ['127.0.0.2']);
  const bad = await server.api('/terraform/v1/mgmt/letsencrypt', { domain: 'down.test' });
  assert.equal(bad.status, 502);
  assert.match(bad.message ?? '', /could not reach http:\/\/down\.test\/\.well-known\/acme-challenge/);
  assert.match(bad.message ?? '', /port 80/);
  const q2 = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q2.acme.state, 'failed');
  assert.equal(q2.acme.problem, 'unreachable');
  assert.equal(q2.acme.domain, 'down.test');
  assert.equal(q2.acme.error, bad.message);
  assert.equal(q2.certificate.fingerprint, q.certificate.fingerprint, 'the old certificate stays in use');
  assert.equal((await peer(httpsPort, domain, root)).cert.fingerprint256, q.certificate.fingerprint);

  // Failure: the name does not resolve.
  await dns.setServfail('nodns.test');
  const nodns = await server.api('/terraform/v1/mgmt/letsencrypt', { domain: 'nodns.test' });
  assert.equal(nodns.status, 502);
  assert.match(nodns.message ?? '', /^the domain nodns\.test does not resolve .*add a DNS A \(or AAAA\) record for nodns\.test/);
  assert.equal((await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data.acme.problem, 'dns');
  assert.equal((await peer(httpsPort, domain, root)).cert.fingerprint256, q.certificate.fingerprint);

  // Input the CA would refuse never leaves the server.
  const ip = await server.api('/terraform/v1/mgmt/letsencrypt', { domain: '10.0.0.1' });
  assert.equal(ip.status, 400);
  assert.match(ip.message ?? '', /not a domain name/);
  const empty = await server.api('/terraform/v1/mgmt/letsencrypt', { domain: ' ' });
  assert.equal(empty.status, 400);
  assert.match(empty.message ?? '', /^empty domain/);
  ff.kill();
  ff2.kill();
});

test('renewal: a certificate that expires within 30 days is renewed by the server and served without a restart while an HTTPS-FLV viewer keeps playing', { skip, timeout: 180000 }, async () => {
  // pebble issues for 20 days, under the 30-day renewal threshold: the server's check (every 2 s here,
  // daily by default) renews it by itself. Here pebble validates on ACME_HTTP_PORT (what port 80 would be).
  const { server, pebble } = await serverWithPebble({ CERT_CHECK_INTERVAL_MS: '2000' }, { validitySeconds: 20 * 86400, acmeHttpPort: true });
  const root = await pebble.root();
  const domain = 'renew.test';
  const stream = randomName();
  const ff = publish(server.publishUrl(stream));
  procs.push(ff);

  assert.equal((await server.api('/terraform/v1/mgmt/letsencrypt', { domain })).status, 200);
  const first = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  assert.ok(new Date(first.certificate.notAfter).getTime() < Date.now() + 21 * 86400_000);
  const httpsPort = server.app.httpsPort;
  // The ACME_HTTP_PORT listener answers nothing but challenges.
  const other = await fetch(`http://127.0.0.1:${server.app.config.acmeHttpPort}/terraform/v1/mgmt/versions`);
  assert.equal(other.status, 404);
  assert.match(await other.text(), /answers only ACME challenges/);

  // An HTTPS-FLV viewer on the first certificate.
  const viewer = await waitFor(async () => {
    const res = await httpsGet(httpsPort, domain, root, `/live/${stream}.flv`);
    if (res.statusCode !== 200) {
      res.resume();
      return null;
    }
    return res;
  }, 20000, 'HTTPS-FLV viewer');
  const viewerCert = (viewer.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate();
  assert.equal(viewerCert.fingerprint256, first.certificate.fingerprint);
  let bytes = 0;
  let closed = false;
  viewer.on('data', (d: Buffer) => (bytes += d.length));
  viewer.on('close', () => (closed = true));

  const renewed = await waitFor(async () => {
    const q = (await server.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
    return q.certificate.fingerprint !== first.certificate.fingerprint && q.acme.renewal && q.acme.state === 'ok' ? q : null;
  }, 60000, 'the server to renew by itself');
  assert.equal(renewed.source, 'letsencrypt');
  assert.equal(renewed.domain, domain);
  assert.notEqual(renewed.certificate.serial, first.certificate.serial);
  const fresh = await peer(httpsPort, domain, root);
  assert.equal(fresh.authorized, true);
  assert.notEqual(fresh.cert.fingerprint256, first.certificate.fingerprint, 'a new connection gets a renewed certificate');

  // The viewer that connected before the renewal keeps receiving on its connection.
  const atRenewal = bytes;
  await waitFor(() => bytes > atRenewal + 20_000, 15000, 'the HTTPS-FLV viewer to keep receiving after the renewal');
  assert.equal(closed, false);
  viewer.destroy();
  ff.kill();

  // At start: a server restarted with the daily check renews a certificate that expires soon at once.
  const c = server.app.config;
  await server.close();
  const restarted = await startServer(
    { HTTP_PORT: String(c.httpPort), ACME_HTTP_PORT: String(c.acmeHttpPort), ACME_DIRECTORY_URL: c.acmeDirectoryUrl, ACME_CA_FILE: c.acmeCaFile ?? '' },
    { dataDir: server.dataDir },
  );
  servers.push(restarted);
  const before = (await restarted.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
  const atStart = await waitFor(async () => {
    const q = (await restarted.api<CertQuery>('/terraform/v1/mgmt/cert/query')).data;
    return q.acme.state === 'ok' && q.acme.renewal && q.certificate.fingerprint !== before.certificate.fingerprint ? q : null;
  }, 30000, 'the renewal at start');
  assert.equal((await peer(restarted.app.httpsPort, domain, root)).cert.fingerprint256, atStart.certificate.fingerprint);
});
