// The console's static files: caching headers (hashed assets immutable, index.html no-cache), precompressed
// br/gzip, index.html for the app's own routes, 404 for a missing asset, API and media paths left to the next
// handler, /mgmt/ as an alias, and path traversal refused (raw requests: fetch would normalize the dots).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { StaticConsole } from '../../../src/servers/http/static-console.js';
import { tempDir } from '../../support.js';

let server: Server;
let base = '';
let port = 0;
let root = '';
const INDEX = '<!doctype html><div id="root"></div>';
const JS = 'console.log("app");'.repeat(100);

/** A raw HTTP/1.1 GET, so the path reaches the server exactly as written. */
function rawGet(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') }));
    s.on('error', reject);
  });
}

before(async () => {
  const dir = tempDir('console-dist-');
  root = join(dir, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  writeFileSync(join(root, 'index.html'), INDEX);
  const js = join(root, 'assets/index-abc123.js');
  writeFileSync(js, JS);
  writeFileSync(`${js}.br`, brotliCompressSync(Buffer.from(JS)));
  writeFileSync(`${js}.gz`, gzipSync(Buffer.from(JS)));
  const past = new Date(Date.now() - 60000);
  utimesSync(js, past, past);
  const files = new StaticConsole({ dir: root });
  server = createServer((req, res) => {
    if (!files.handle(req, res)) {
      res.writeHead(599);
      res.end('next handler');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  port = typeof a === 'object' && a ? a.port : 0;
  base = `http://127.0.0.1:${port}`;
});

after(() => server.close());

describe('static console', () => {
  it('serves index.html at /, /mgmt/ and the app routes, revalidated every time', async () => {
    for (const p of ['/', '/index.html', '/mgmt', '/mgmt/', '/dashboard', '/mgmt/streaming', '/players/?app=live&stream=x&type=hls']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('cache-control'), 'no-cache', p);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(await r.text(), INDEX, p);
    }
    const r = await fetch(`${base}/`);
    const again = await fetch(`${base}/`, { headers: { 'If-None-Match': r.headers.get('etag') ?? '' } });
    assert.equal(again.status, 304);
  });

  it('serves hashed assets immutable, brotli or gzip as accepted', async () => {
    const plain = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(await plain.text(), JS);
    const br = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'Accept-Encoding': 'gzip, br' } });
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.equal(br.headers.get('vary'), 'Accept-Encoding');
    assert.equal(await br.text(), JS); // fetch decodes it
    const gz = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal(await gz.text(), JS);
    const mg = await fetch(`${base}/mgmt/assets/index-abc123.js`);
    assert.equal(mg.status, 200);
  });

  it('answers a missing asset with 404, never index.html', async () => {
    const r = await fetch(`${base}/assets/index-old.js`);
    assert.equal(r.status, 404);
    assert.notEqual(await r.text(), INDEX);
  });

  it('leaves API, WebRTC and media paths and other methods to the next handler', async () => {
    for (const p of ['/terraform/v1/mgmt/versions', '/api/v1/streams', '/rtc/v1/whip/', '/live/s.flv', '/live/s.m3u8', '/live/s.ts', '/live/s-1.ts', '/terraform/v1/hooks/record/hls/x/index.mp4', '/%74erraform/v1/x']) {
      assert.equal((await fetch(base + p)).status, 599, p);
    }
    assert.equal((await fetch(`${base}/dashboard`, { method: 'POST', body: '{}' })).status, 599);
  });

  it('refuses path traversal', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/mgmt/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%5c..%5csecret.txt', '/%00index.html', '/%ff']) {
      const r = await rawGet(p);
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assert.doesNotMatch(r.text, /outside/, p);
    }
  });
});
