// The server as a user runs it (node dist/src/main.js): config errors name the variable, the log has one
// line per connection and publish, and SIGTERM stops it cleanly with exit code 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { TEST_BEARER, freePort, publish, randomName, run, tempDir, waitFor, withTimeout } from './helpers.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

function serverEnv(extra: Record<string, string>): string[] {
  return Object.entries(extra).map(([k, v]) => `${k}=${v}`);
}

test('a bad environment variable is named with the value it expected', async () => {
  const p = run('env', [...serverEnv({ RTMP_PORT: 'abc' }), process.execPath, main]);
  const code = await withTimeout(p.exited, 10000, () => p.kill());
  assert.equal(code, 2);
  assert.match(p.stderr(), /RTMP_PORT="abc" is invalid: expected an integer from 0 to 65535/);
});

test('logs connections and publishes as JSON lines, and SIGTERM exits 0', async () => {
  const [http, rtmp] = [await freePort(), await freePort()];
  const env = { HTTP_PORT: String(http), RTMP_PORT: String(rtmp), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir(), SRS_PLATFORM_SECRET: TEST_BEARER };
  const p = run('env', [...serverEnv(env), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 15000, 'server ready');
  const name = randomName('proc');
  const q = await fetch(`http://127.0.0.1:${http}/terraform/v1/hooks/srs/secret/query`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: '{}' });
  const secret = ((await q.json()) as { data: { publish: string } }).data.publish;
  const pub = publish(`rtmp://127.0.0.1:${rtmp}/live/${name}?secret=${secret}`);
  try {
    await waitFor(() => p.stdout().toString().includes('publish start'), 15000, 'publish log line');
    const lines = p.stdout().toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const pubLine = lines.find((l) => l.msg === 'publish start')!;
    assert.equal(pubLine.url, `__defaultVhost__/live/${name}`);
    assert.equal(typeof pubLine.cid, 'string');
    assert.ok(lines.some((l) => l.msg === 'rtmp connection' && l.cid === pubLine.cid));
    p.child.kill('SIGTERM');
    const code = await withTimeout(p.exited, 15000, () => p.kill());
    assert.equal(code, 0, p.stderr());
    assert.match(p.stdout().toString(), /server stopped/);
    const pubCode = await withTimeout(pub.exited, 15000, () => pub.kill());
    assert.notEqual(pubCode, null);
  } finally {
    pub.kill();
    p.kill();
  }
});

test('the embedded Redis keeps the password, secrets and hooks across a restart', async () => {
  const dataDir = tempDir();
  const start = async () => {
    const http = await freePort();
    const env = { HTTP_PORT: String(http), RTMP_PORT: String(await freePort()), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir };
    const p = run('env', [...serverEnv(env), process.execPath, main]);
    await waitFor(() => p.stdout().toString().includes('server ready'), 15000, 'server ready');
    return { p, base: `http://127.0.0.1:${http}/terraform/v1` };
  };
  const post = async (url: string, body: unknown, token?: string) => {
    const r = await fetch(url, { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {}, body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as { data: Record<string, unknown> } };
  };
  const a = await start();
  try {
    const init = await post(`${a.base}/mgmt/init`, { password: 'hunter2-long' });
    assert.equal(init.status, 200, JSON.stringify(init.json));
    const bearer = String(init.json.data.bearer ?? '');
    const token = String(init.json.data.token);
    const secret1 = await post(`${a.base}/mgmt/secret/query`, { token });
    const apiSecret = secret1.json.data as unknown as string;
    assert.match(apiSecret, /^srs-v2-[0-9a-f]{32}$/);
    void bearer;
    const pub1 = (await post(`${a.base}/hooks/srs/secret/query`, { token })).json.data.publish;
    assert.equal((await post(`${a.base}/mgmt/hooks/apply`, { token, all: true, target: 'http://127.0.0.1:9/hook', opaque: 'o1' })).status, 200);
    a.p.child.kill('SIGTERM');
    assert.equal(await withTimeout(a.p.exited, 15000, () => a.p.kill()), 0);

    const b = await start();
    try {
      const login = await post(`${b.base}/mgmt/login`, { password: 'hunter2-long' });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      const t2 = String(login.json.data.token);
      assert.equal((await post(`${b.base}/hooks/srs/secret/query`, { token: t2 })).json.data.publish, pub1);
      const secret2 = await post(`${b.base}/mgmt/secret/query`, { token: t2 });
      assert.equal(secret2.json.data as unknown as string, apiSecret);
      const hooks = (await post(`${b.base}/mgmt/hooks/query`, { token: t2 })).json.data;
      assert.equal(hooks.target, 'http://127.0.0.1:9/hook');
      assert.equal(hooks.opaque, 'o1');
    } finally {
      b.p.child.kill('SIGTERM');
      await withTimeout(b.p.exited, 15000, () => b.p.kill());
    }
  } finally {
    a.p.kill();
  }
});
