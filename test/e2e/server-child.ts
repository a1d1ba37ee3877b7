// A server run as a child process (node dist/src/main.js), for the tests that kill it with SIGKILL and start it
// again on the same DATA_DIR: its start, API calls with the test bearer, and the embedded redis-server a killed
// server leaves behind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_BEARER, run, waitFor, type Proc } from './helpers.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export async function startServerChild(dataDir: string, ports: { http: number; rtmp: number }): Promise<Proc> {
  const env = {
    HTTP_PORT: String(ports.http),
    RTMP_PORT: String(ports.rtmp),
    RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SRS_PLATFORM_SECRET: TEST_BEARER,
  };
  const p = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 20000, `server ready (${p.stderr()})`);
  return p;
}

export async function childApi<T>(base: string, path: string, body: unknown = {}): Promise<{ status: number; data: T }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: JSON.stringify(body) });
  return { status: r.status, data: ((await r.json()) as { data: T }).data };
}

/** The embedded redis-server of a SIGKILLed server outlives it: ends it. */
export function killOrphanRedis(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
    if (pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
