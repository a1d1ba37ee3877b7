import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  DigestSchema,
  HandshakeClient,
  HandshakeError,
  HandshakeServer,
  type HandshakeResult,
} from '../../../src/codecs/rtmp/handshake.js';

// The keys, written out independently of the module under test.
const tail = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), tail]);
const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), tail]);

const hmac = (key: Buffer, ...data: Buffer[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
};

/** Digest position per the description in the brief: sum of 4 offset bytes mod 728, after them. */
function digestPos(p: Buffer, schema: DigestSchema): number {
  const base = schema === DigestSchema.Schema0 ? 8 : 772;
  return ((p[base] + p[base + 1] + p[base + 2] + p[base + 3]) % 728) + base + 4;
}

/** A complex C1 as a Flash Player would build it. */
function complexC1(schema: DigestSchema): { c1: Buffer; digest: Buffer } {
  const c1 = randomBytes(1536);
  c1.writeUInt32BE(0, 0);
  c1.writeUInt32BE(0x80000702, 4);
  const pos = digestPos(c1, schema);
  const digest = hmac(FP_KEY.subarray(0, 30), c1.subarray(0, pos), c1.subarray(pos + 32));
  digest.copy(c1, pos);
  return { c1, digest };
}

function feedBytewise(push: (b: Buffer) => HandshakeResult, data: Buffer): { output: Buffer; done: boolean; rest: Buffer } {
  const outs: Buffer[] = [];
  const rests: Buffer[] = [];
  let done = false;
  for (const byte of data) {
    const r = push(Buffer.from([byte]));
    if (r.output) outs.push(r.output);
    if (r.rest) rests.push(r.rest);
    if (r.done) done = true;
  }
  return { output: Buffer.concat(outs), done, rest: Buffer.concat(rests) };
}

function expectHandshakeError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HandshakeError, `expected HandshakeError, got ${String(err)}`);
    assert.equal(err.code, 'RTMP_HANDSHAKE');
    assert.match(err.message, re);
    return true;
  });
}

test('handshake: simple client <-> server round trip, with trailing bytes', () => {
  const client = new HandshakeClient({ complex: false });
  const server = new HandshakeServer();
  const c0c1 = client.start();
  assert.equal(c0c1.length, 1537);
  assert.equal(c0c1[0], 3);
  assert.equal(c0c1.readUInt32BE(5), 0); // zero field: simple

  const r1 = server.push(c0c1);
  assert.equal(r1.done, false);
  assert.ok(r1.output);
  assert.equal(r1.output.length, 3073);
  assert.equal(server.complex, false);
  assert.equal(r1.output[0], 3);
  assert.equal(r1.output.readUInt32BE(5), 0); // S1 zero field
  assert.deepEqual(r1.output.subarray(1537), c0c1.subarray(1)); // S2 echoes C1

  // the server's answer plus its first chunk (e.g. Window Ack Size) in one read
  const serverFirst = Buffer.from('0200000000000405000000000026259a', 'hex');
  const r2 = client.push(Buffer.concat([r1.output, serverFirst]));
  assert.equal(r2.done, true);
  assert.ok(r2.output);
  assert.deepEqual(r2.output, r1.output.subarray(1, 1537)); // C2 echoes S1
  assert.deepEqual(r2.rest, serverFirst);

  // C2 and the client's connect chunk in the same TCP read
  const clientFirst = Buffer.from('030000000000501400000000', 'hex');
  const r3 = server.push(Buffer.concat([r2.output, clientFirst]));
  assert.equal(r3.done, true);
  assert.equal(r3.output, undefined);
  assert.deepEqual(r3.rest, clientFirst);
  // after done, everything is rest
  assert.deepEqual(server.push(Buffer.from([1, 2])), { done: true, rest: Buffer.from([1, 2]) });
  assert.deepEqual(client.push(Buffer.from([3])), { done: true, rest: Buffer.from([3]) });
});

test('handshake: complex client <-> server round trip', () => {
  const client = new HandshakeClient();
  const server = new HandshakeServer();
  const s = server.push(client.start());
  assert.equal(server.complex, true);
  assert.equal(server.schema, DigestSchema.Schema0);
  const c = client.push(s.output!);
  assert.equal(c.done, true);
  // C2 is the digest response to S1: last 32 bytes keyed by HMAC(FP key, S1 digest)
  const s1 = s.output!.subarray(1, 1537);
  const s1pos = digestPos(s1, DigestSchema.Schema0);
  const key = hmac(FP_KEY, s1.subarray(s1pos, s1pos + 32));
  assert.deepEqual(c.output!.subarray(1504), hmac(key, c.output!.subarray(0, 1504)));
  assert.equal(server.push(c.output!).done, true);
});

for (const schema of [DigestSchema.Schema0, DigestSchema.Schema1]) {
  test(`handshake: complex C1 (schema ${schema}) gets a digest S1 and S2`, () => {
    const { c1, digest } = complexC1(schema);
    const server = new HandshakeServer();
    const r = server.push(Buffer.concat([Buffer.from([3]), c1]));
    assert.equal(server.complex, true);
    assert.equal(server.schema, schema);
    const out = r.output!;
    assert.equal(out.length, 3073);
    assert.equal(out[0], 3);
    const s1 = out.subarray(1, 1537);
    const s2 = out.subarray(1537);
    assert.notEqual(s1.readUInt32BE(4), 0); // version field set: digest present
    // S1 digest validates with the first 36 bytes of the FMS key, in the client's schema
    const pos = digestPos(s1, schema);
    assert.deepEqual(
      s1.subarray(pos, pos + 32),
      hmac(FMS_KEY.subarray(0, 36), s1.subarray(0, pos), s1.subarray(pos + 32)),
    );
    // S2 ends with HMAC(HMAC(full 68-byte FMS key, C1 digest), S2[0..1504))
    const key = hmac(FMS_KEY, digest);
    assert.deepEqual(s2.subarray(1504), hmac(key, s2.subarray(0, 1504)));
    assert.equal(server.push(randomBytes(1536)).done, true);
  });
}

test('handshake: C1 with a version but no valid digest falls back to simple', () => {
  const c1 = randomBytes(1536);
  c1.writeUInt32BE(0x80000702, 4);
  const server = new HandshakeServer();
  const r = server.push(Buffer.concat([Buffer.from([3]), c1]));
  assert.equal(server.complex, false);
  assert.deepEqual(r.output!.subarray(1537), c1);
});

test('handshake: byte-at-a-time delivery', () => {
  const client = new HandshakeClient();
  const server = new HandshakeServer();
  const s = feedBytewise((b) => server.push(b), client.start());
  assert.equal(s.done, false);
  assert.equal(s.output.length, 3073);
  const extra = Buffer.from('abc');
  const c = feedBytewise((b) => client.push(b), Buffer.concat([s.output, extra]));
  assert.equal(c.done, true);
  assert.deepEqual(c.rest, extra);
  const done = feedBytewise((b) => server.push(b), Buffer.concat([c.output, extra]));
  assert.equal(done.done, true);
  assert.deepEqual(done.rest, extra);
  assert.equal(done.output.length, 0);
});

test('handshake: wrong versions are refused with a clear message', () => {
  expectHandshakeError(() => new HandshakeServer().push(Buffer.from([6])), /version 6.*RTMPE/);
  expectHandshakeError(() => new HandshakeServer().push(Buffer.from('GET / HTTP/1.1')), /version 71/);
  const client = new HandshakeClient();
  client.start();
  expectHandshakeError(() => client.push(Buffer.from([4, 0, 0])), /server requested RTMP version 4/);
  expectHandshakeError(() => new HandshakeClient().push(Buffer.from([3])), /before start/);
  const twice = new HandshakeClient();
  twice.start();
  expectHandshakeError(() => twice.start(), /already started/);
});
