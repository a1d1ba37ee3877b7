// A forward survives a crash: the server (node dist/src/main.js) forwards a stream to node-media-server and is
// killed with SIGKILL; started again on the same DATA_DIR (its Redis keeps SRS_FORWARD_CONFIG), the task is
// restored and runs again within 10 s of the input being published again, and node-media-server plays it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../support.js';
import { startNms } from './nms.js';
import { TEST_BEARER, freePort, probe, publish, randomName, run, sleep, summarize, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

async function startServer(dataDir: string, ports: { http: number; rtmp: number }): Promise<Proc> {
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

async function api<T>(base: string, path: string, body: unknown = {}): Promise<{ status: number; data: T }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: JSON.stringify(body) });
  return { status: r.status, data: ((await r.json()) as { data: T }).data };
}

function killOrphanRedis(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
    if (pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

interface Fwd { platform: string; state: string; stream?: string; frames: number }

test('SIGKILL while forwarding: after the restart the task runs again within 10 s', { skip }, async (t) => {
  const dataDir = tempDir('srs-node-forward-crash-');
  const procs: Proc[] = [];
  const nms = await startNms();
  try {
    const ports = { http: await freePort(), rtmp: await freePort() };
    const http = `http://127.0.0.1:${ports.http}`;
    const a = await startServer(dataDir, ports);
    procs.push(a);
    const secret = (await api<{ publish: string }>(http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    const name = randomName('crash');
    const key = randomName('ck');
    const publishUrl = `rtmp://127.0.0.1:${ports.rtmp}/live/${name}?secret=${secret}`;
    let pub = publish(publishUrl);
    procs.push(pub);
    const r = await api(http, '/terraform/v1/ffmpeg/forward/secret', {
      action: 'update', platform: 'forwarding-1-crash1', server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: name, enabled: true, custom: true, label: 'crash',
    });
    assert.equal(r.status, 200);
    const running = async (base: string) => (await api<Fwd[]>(base, '/terraform/v1/ffmpeg/forward/streams')).data.find((f) => f.platform === 'forwarding-1-crash1' && f.state === 'running' && f.frames > 25);
    await waitFor(() => running(http), 30000, 'forwarding before the kill');
    a.child.kill('SIGKILL');
    await withTimeout(a.exited, 10000, () => undefined);
    pub.kill();
    await sleep(300);

    const b = await startServer(dataDir, ports);
    procs.push(b);
    const startedAt = Date.now();
    pub = publish(publishUrl);
    procs.push(pub);
    await waitFor(() => running(http), 10000, 'the forward running again within 10 s of the restart');
    t.diagnostic(`running again ${Date.now() - startedAt} ms after the restart`);
    assert.match(b.stdout().toString(), /restoring a forward task after a restart/);
    const info = await probe(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}`);
    assert.equal(summarize(info.streams), 'aac, h264 320x240');
    b.child.kill('SIGTERM');
    assert.equal(await withTimeout(b.exited, 15000, () => b.kill()), 0);
  } finally {
    for (const p of procs) p.kill();
    await nms.stop();
    await sleep(100);
    killOrphanRedis(dataDir);
  }
});
