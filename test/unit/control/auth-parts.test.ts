// Pure parts of the management plane: password hashing, tokens, request-body schemas and JSON parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { hashPassword, verifyPassword } from '../../../src/control/auth/password.js';
import { issueToken, verifyToken } from '../../../src/control/auth/token.js';
import { parseJsonObject } from '../../../src/control/api/body.js';
import { bool, httpUrl, int, object, optional, str } from '../../../src/control/api/schema.js';
import { ApiError } from '../../../src/control/errors.js';

describe('password hashing', () => {
  it('salted scrypt: same password, different hashes; verifies; rejects wrong or tampered', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.notEqual(a, b);
    assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsf', a), false);
    assert.equal(await verifyPassword('correct horse', a.replace(/.$/, a.endsWith('A') ? 'B' : 'A')), false);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
    assert.equal(await verifyPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA'), false);
  });
});

describe('tokens', () => {
  it('HS256 with the API secret, SRS Stack claims, one year', async () => {
    const t = await issueToken('s3cret', Date.UTC(2020, 0, 1));
    assert.equal(t.createAt, '2020-01-01T00:00:00Z');
    assert.equal(t.expireAt, '2020-12-31T00:00:00Z');
    const payload = JSON.parse(Buffer.from(t.token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(payload.v, '1.0');
    assert.equal(typeof payload.nonce, 'string');
    const fresh = await issueToken('s3cret');
    assert.equal(await verifyToken('s3cret', fresh.token), true);
    assert.equal(await verifyToken('other', fresh.token), false);
    assert.equal(await verifyToken('s3cret', t.token), false, 'expired');
    assert.equal(await verifyToken('s3cret', 'not.a.jwt'), false);
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(new TextEncoder().encode('s3cret'));
    assert.equal(await verifyToken('s3cret', hs512), false, 'only HS256');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    assert.equal(await verifyToken('s3cret', none), false);
  });
});

describe('schemas', () => {
  const s = object({ name: str({ min: 1, max: 5 }), on: bool(), n: optional(int(1, 3)), url: optional(httpUrl()) });
  const msg = (v: unknown): string => {
    try {
      s.parse(v, 'body');
    } catch (e) {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 400);
      return e.message;
    }
    return '';
  };
  it('accepts a good body and ignores unknown fields', () => {
    assert.deepEqual(s.parse({ name: 'ab', on: false, token: 'x' }, 'body'), { name: 'ab', on: false, n: undefined, url: undefined });
  });
  it('names the field, what it must be and what came', () => {
    assert.match(msg({ on: true }), /field "name" must be a string of 1 to 5 characters, got nothing/);
    assert.match(msg({ name: 'toolong', on: true }), /field "name" .* got the string "toolong"/);
    assert.match(msg({ name: 'a', on: 'yes' }), /field "on" must be true or false, got the string "yes"/);
    assert.match(msg({ name: 'a', on: true, n: 1.5 }), /field "n" must be an integer from 1 to 3, or nothing|field "n" must be an integer from 1 to 3/);
    assert.match(msg({ name: 'a', on: true, url: 'file:///etc' }), /field "url" must be an http:\/\/ or https:\/\/ URL/);
  });
  it('parses JSON bodies: empty is {}, anything but an object is refused', () => {
    assert.deepEqual(parseJsonObject(Buffer.from('')), {});
    assert.deepEqual(parseJsonObject(Buffer.from(' null ')), {});
    assert.deepEqual(parseJsonObject(Buffer.from('{"a":1}')), { a: 1 });
    assert.throws(() => parseJsonObject(Buffer.from('"x"')), /must be a JSON object, got string/);
    assert.throws(() => parseJsonObject(Buffer.from('{a:1}')), /not valid JSON/);
  });
});
