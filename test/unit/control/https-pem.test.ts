// The certificate checks of mgmt/ssl (src/control/https/pem.ts) on pairs made in the test: a good pair is
// described, each bad one is refused with its own problem code, and no input whatsoever makes it throw
// anything but a CertificateError (fast-check over strings and over PEM armour around random bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generate } from 'selfsigned';
import { CertificateError, describePem, validatePair, type CertificateProblem } from '../../../src/control/https/pem.js';

const day = 86400_000;

function problemOf(f: () => unknown): CertificateProblem | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    assert.ok(e instanceof CertificateError, `expected a CertificateError, got ${String(e)}`);
    return e.problem;
  }
}

test('a good pair is described; mismatched key, expired, not yet valid, garbage and empty get distinct problems', async () => {
  const good = await generate([{ name: 'commonName', value: 'good.test' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'good.test' }, { type: 2, value: 'www.good.test' }] }],
  });
  const other = await generate([{ name: 'commonName', value: 'other.test' }], { keySize: 2048 });
  const old = await generate([{ name: 'commonName', value: 'old.test' }], { keySize: 2048, notBeforeDate: new Date(Date.now() - 10 * day), notAfterDate: new Date(Date.now() - day) });
  const future = await generate([{ name: 'commonName', value: 'future.test' }], { keySize: 2048, notBeforeDate: new Date(Date.now() + day), notAfterDate: new Date(Date.now() + 10 * day) });

  const info = validatePair(good.private, good.cert);
  assert.deepEqual(info.domains, ['good.test', 'www.good.test']);
  assert.equal(info.subject, 'good.test');
  assert.equal(info.selfIssued, true);
  assert.equal(info.chainLength, 1);
  assert.deepEqual(describePem(good.cert), info);

  assert.equal(problemOf(() => validatePair(other.private, good.cert)), 'key-mismatch');
  assert.equal(problemOf(() => validatePair(old.private, old.cert)), 'expired');
  assert.equal(problemOf(() => validatePair(future.private, future.cert)), 'not-yet-valid');
  assert.equal(problemOf(() => validatePair(good.private, 'garbage')), 'bad-cert');
  assert.equal(problemOf(() => validatePair('garbage', good.cert)), 'bad-key');
  assert.equal(problemOf(() => validatePair(good.cert, good.cert)), 'bad-key');
  assert.equal(problemOf(() => validatePair('', good.cert)), 'empty');
  assert.equal(problemOf(() => validatePair(good.private, good.cert + other.cert)), 'bad-chain');
});

test('no input makes the checks throw anything but a CertificateError', () => {
  const armour = (label: string) =>
    fc.uint8Array({ maxLength: 600 }).map((b) => `-----BEGIN ${label}-----\n${Buffer.from(b).toString('base64')}\n-----END ${label}-----\n`);
  const anyPem = fc.oneof(fc.string(), armour('CERTIFICATE'), armour('PRIVATE KEY'), armour('EC PRIVATE KEY'));
  fc.assert(
    fc.property(anyPem, anyPem, (key, crt) => {
      assert.notEqual(problemOf(() => validatePair(key, crt)), 'none');
    }),
    { numRuns: 300 },
  );
});
