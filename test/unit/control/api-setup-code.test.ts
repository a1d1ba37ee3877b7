// First run: a stranger who reaches a new server first cannot take it. The server listens on 0.0.0.0 and is
// called through this machine's non-loopback interface address: mgmt/init from there needs the one-time setup
// code the server printed in its log; from loopback, and with MGMT_PASSWORD set, no code is needed.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { call, cleanupAll, startPlane, startRedis, type Plane, type TestRedis } from './helpers.js';

/** The first non-internal IPv4 address of this machine, or null. */
function outsideAddress(): string | null {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  }
  return null;
}

function capturingLogger(lines: Record<string, unknown>[]) {
  return pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );
}

const ip = outsideAddress();
const skip = ip ? false : 'this machine has no non-loopback IPv4 address to call the server from another address';

describe('first run: the setup code for mgmt/init from another machine', { skip }, () => {
  let redis: TestRedis;
  let p: Plane;
  let outside = '';
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url }, {}, undefined, { host: '0.0.0.0', logger: capturingLogger(lines) });
    outside = `http://${ip}:${new URL(p.base).port}`;
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  const setupCode = (): string => {
    const line = lines.find((l) => typeof l.setupCode === 'string');
    assert.ok(line, 'the log has the setup code');
    assert.match(String(line.msg), /setup code: [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    return line.setupCode as string;
  };

  it('prints the code once at start, and says who needs it', async () => {
    const code = setupCode();
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    assert.equal(lines.filter((l) => l.setupCode).length, 1);
    const far = await call(outside, 'GET', '/terraform/v1/mgmt/init');
    assert.equal(far.status, 200, far.text);
    assert.deepEqual(far.json.data, { init: false, needSetupCode: true });
    const near = await call(p.base, 'GET', '/terraform/v1/mgmt/init');
    assert.deepEqual(near.json.data, { init: false, needSetupCode: false });
  });

  it('refuses the first password from another address without the right code', async () => {
    const none = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'taken-by-a-stranger' } });
    assert.equal(none.status, 403, none.text);
    assert.match(none.json.message, /needs the setup code: the server printed it in its log at start/);
    const wrong = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'taken-by-a-stranger', setupCode: 'AAAA-BBBB-CCCC' } });
    assert.equal(wrong.status, 403);
    assert.match(wrong.json.message, /^wrong setup code/);
    const typed = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'x', setupCode: 42 } });
    assert.equal(typed.status, 400);
    assert.match(typed.json.message, /field "setupCode"/);
    const empty = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'x', setupCode: '' } });
    assert.equal(empty.status, 403);
    // nothing was set
    assert.deepEqual((await call(p.base, 'GET', '/terraform/v1/mgmt/init')).json.data, { init: false, needSetupCode: false });
  });

  it('takes the right code (any case, without dashes), then the code is spent', async () => {
    const code = setupCode().replace(/-/g, '').toLowerCase();
    const ok = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'owner-password', setupCode: code } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.bearer, p.cp.platformSecret);
    assert.equal(ok.json.data.token.split('.').length, 3);
    const again = await call(outside, 'POST', '/terraform/v1/mgmt/init', { body: { password: 'other', setupCode: code } });
    assert.equal(again.status, 409, 'set once');
    assert.deepEqual((await call(outside, 'GET', '/terraform/v1/mgmt/init')).json.data, { init: true, needSetupCode: false });
    const login = await call(outside, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'owner-password' } });
    assert.equal(login.status, 200, login.text);
  });

  it('with MGMT_PASSWORD set, no code is printed or needed', async () => {
    const mine: Record<string, unknown>[] = [];
    const q = await startPlane({ REDIS_URL: `${redis.url}/3`, MGMT_PASSWORD: 'from-env' }, {}, undefined, { host: '0.0.0.0', logger: capturingLogger(mine) });
    try {
      assert.equal(mine.filter((l) => l.setupCode).length, 0);
      const far = `http://${ip}:${new URL(q.base).port}`;
      assert.deepEqual((await call(far, 'GET', '/terraform/v1/mgmt/init')).json.data, { init: true, needSetupCode: false });
      assert.equal((await call(far, 'POST', '/terraform/v1/mgmt/login', { body: { password: 'from-env' } })).status, 200);
    } finally {
      await q.close();
    }
  });
});
