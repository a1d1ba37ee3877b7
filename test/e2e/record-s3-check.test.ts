// "Test connection" of the recording's S3 settings (POST /terraform/v1/hooks/record/s3/check) against s3rver:
// good settings write and delete a test object (nothing is left in the bucket); a wrong bucket, wrong
// credentials, an endpoint where nothing listens and one that never answers are each told apart with a message
// that says what to fix; the stored settings are used when none are given (a masked secret is the stored one);
// without credentials of our API the call is refused.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort, startServer, type TestServer } from './helpers.js';
import { TestS3 } from './record-helpers.js';

interface Check {
  ok: boolean;
  kind: string;
  message: string;
  target: string;
  steps: { step: string; ok: boolean; ms: number; kind: string; message: string }[];
}

const PATH = '/terraform/v1/hooks/record/s3/check';
let server: TestServer;
let s3: TestS3;
let silent: Server;
let silentPort = 0;
const sockets: Socket[] = [];

before(async () => {
  s3 = new TestS3('check-bucket');
  await s3.start();
  server = await startServer();
  // A TCP server that accepts and never answers: an endpoint behind a black hole.
  silent = createServer((s) => void sockets.push(s));
  silentPort = await freePort();
  await new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', () => r()));
});

after(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  await server?.close();
  await s3?.stop();
});

const settings = (over: Record<string, unknown> = {}) => ({
  endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'rec/', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true, ...over,
});

async function check(body: unknown): Promise<Check> {
  const r = await server.api<Check>(PATH, body);
  assert.equal(r.status, 200, JSON.stringify(r));
  return r.data;
}

describe('S3 test connection', { concurrency: true }, () => {
  test('good settings: the bucket is there, a test object is written and deleted', async (t) => {
    const r = await check({ s3: settings() });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.kind, 'ok');
    assert.deepEqual(r.steps.map((s) => [s.step, s.ok]), [['bucket', true], ['write', true], ['delete', true]]);
    assert.match(r.target, /^s3:\/\/check-bucket\/rec\/\.srs-node-check-[0-9a-f-]{36}$/);
    assert.match(r.message, /reachable and writable/);
    // Nothing left behind in the bucket (s3rver keeps objects as files under its directory).
    const id = r.target.slice(-36);
    const left = readdirSync(s3.dir, { recursive: true }).map(String).filter((f) => f.includes(id));
    assert.deepEqual(left, []);
    t.diagnostic(`check took ${r.steps.reduce((n, s) => n + s.ms, 0)} ms`);
  });

  test('a wrong bucket', async (t) => {
    const r = await check({ s3: settings({ bucket: 'no-such-bucket' }) });
    t.diagnostic(r.message);
    assert.equal(r.ok, false);
    assert.equal(r.kind, 'no-bucket', JSON.stringify(r));
    assert.deepEqual(r.steps.map((s) => s.step), ['bucket']);
    assert.match(r.message, /no bucket "no-such-bucket"/);
    assert.match(r.message, /create it, or fix the bucket name/);
  });

  test('wrong credentials: unknown access keys', async (t) => {
    // (s3rver checks the access key but not the signature, so a wrong secret cannot be tried against it.)
    for (const over of [{ accessKey: 'WRONG-KEY' }, { accessKey: 'AKIAIOSFODNN7EXAMPLE' }]) {
      const r = await check({ s3: settings(over) });
      t.diagnostic(r.message);
      assert.equal(r.ok, false);
      assert.equal(r.kind, 'credentials', JSON.stringify(r));
      assert.match(r.message, /refused the credentials .*check the access key and the secret key/);
    }
  });

  test('an endpoint where nothing listens', async (t) => {
    const port = await freePort();
    const r = await check({ s3: settings({ endpoint: `http://127.0.0.1:${port}` }) });
    t.diagnostic(r.message);
    assert.equal(r.ok, false);
    assert.equal(r.kind, 'unreachable', JSON.stringify(r));
    assert.match(r.message, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`));
  });

  test('an endpoint that never answers: timeout', async (t) => {
    const r = await check({ s3: settings({ endpoint: `http://127.0.0.1:${silentPort}` }) });
    t.diagnostic(r.message);
    assert.equal(r.ok, false);
    assert.equal(r.kind, 'timeout', JSON.stringify(r));
    assert.match(r.message, /did not answer within 10 s/);
  });
});

describe('S3 test connection: settings and access', () => {
  test('without settings: 400 saying what to send; then the stored settings, their masked secret meaning the stored one', async () => {
    const none = await server.api(PATH, {});
    assert.equal(none.status, 400, JSON.stringify(none));
    assert.match(none.message ?? '', /no S3 settings to test/);
    const saved = await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 's3', s3: settings() });
    assert.equal(saved.status, 200, JSON.stringify(saved));
    assert.equal((await check({})).ok, true);
    const masked = await check({ s3: settings({ secretKey: '******' }) });
    assert.equal(masked.ok, true, JSON.stringify(masked));
    await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'none' });
  });

  test('bad input and no credentials are refused', async () => {
    const bad = await server.api(PATH, { s3: { bucket: 'x' } });
    assert.equal(bad.status, 400);
    assert.match(bad.message ?? '', /bucket/);
    const anon = await fetch(`${server.http}${PATH}`, { method: 'POST', body: JSON.stringify({ s3: settings() }) });
    assert.equal(anon.status, 401);
  });
});
