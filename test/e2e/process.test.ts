// The server as a user runs it (node dist/src/main.js): config errors name the variable, the log has one
// line per connection and publish, and SIGTERM stops it cleanly with exit code 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort, publish, randomName, run, tempDir, waitFor, withTimeout } from './helpers.js';

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
  const env = { HTTP_PORT: String(http), RTMP_PORT: String(rtmp), RTC_PORT: '0', SRT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir() };
  const p = run('env', [...serverEnv(env), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 15000, 'server ready');
  const name = randomName('proc');
  const pub = publish(`rtmp://127.0.0.1:${rtmp}/live/${name}`);
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
