// Virtual live survives a crash: the server (node dist/src/main.js) runs an MP4 loop (in-process) and an MKV
// loop (FFmpeg) into streams of ours and is killed with SIGKILL; its FFmpeg does not outlive it (no orphan).
// Started again on the same DATA_DIR, both tasks are running again within 10 s, one FFmpeg reads the MKV, and
// both streams play.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../support.js';
import { TEST_BEARER, freePort, probe, run, sleep, summarize, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';
import { makeMedia, processesWith } from './vlive-helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const V = '/terraform/v1/ffmpeg/vlive';

async function startServer(dataDir: string, http: number, rtmp: number, extra: Record<string, string>): Promise<Proc> {
  const env = {
    HTTP_PORT: String(http), RTMP_PORT: String(rtmp), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0',
    HOST: '127.0.0.1', DATA_DIR: dataDir, SRS_PLATFORM_SECRET: TEST_BEARER, ...extra,
  };
  const p = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 20000, `server ready (${p.stderr()})`);
  return p;
}

async function api<T>(base: string, path: string, body: unknown = {}): Promise<{ status: number; data: T; message?: string }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: JSON.stringify(body) });
  const j = (await r.json()) as { data: T; message?: string };
  return { status: r.status, data: j.data, message: j.message };
}

function killOrphanRedis(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
    if (pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

test('SIGKILL while virtual live runs: no orphan FFmpeg, and both tasks run again within 10 s of the restart', { skip, timeout: 120000 }, async (t) => {
  const dataDir = tempDir('vlive-crash-');
  const files = join(dataDir, 'media');
  const procs: Proc[] = [];
  try {
    await run('mkdir', ['-p', files]).exited;
    await Promise.all([makeMedia(join(files, 'loop.mp4'), 10), makeMedia(join(files, 'loop.mkv'), 10)]);
    const [httpPort, rtmpPort] = [await freePort(), await freePort()];
    const http = `http://127.0.0.1:${httpPort}`;
    const a = await startServer(dataDir, httpPort, rtmpPort, {});
    procs.push(a);
    const secret = (await api<{ publish: string }>(http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    for (const [platform, file] of [['vlive-mp4', 'loop.mp4'], ['vlive-mkv', 'loop.mkv']] as const) {
      const src = await api(http, `${V}/server`, { file: join(files, file) });
      assert.equal(src.status, 200, src.message);
      const bound = await api<{ files: unknown[] }>(http, `${V}/source`, { platform, files: [src.data] });
      assert.equal(bound.status, 200, bound.message);
      const up = await api(http, `${V}/secret`, { action: 'update', platform, server: `rtmp://127.0.0.1:${rtmpPort}/live`, secret: `${platform}?secret=${secret}`, enabled: true, files: bound.data.files });
      assert.equal(up.status, 200, up.message);
    }
    const bothRunning = async () => {
      const s = (await api<{ platform: string; task: { state: string } | null }[]>(http, `${V}/streams`)).data;
      return s.length === 2 && s.every((x) => x.task?.state === 'running');
    };
    await waitFor(bothRunning, 20000, 'both running');
    const mkv = join(files, 'loop.mkv');
    await waitFor(() => processesWith(mkv).length === 1, 5000, 'the MKV FFmpeg');
    assert.deepEqual(processesWith(join(files, 'loop.mp4')), []);

    a.child.kill('SIGKILL');
    await withTimeout(a.exited, 10000, () => undefined);
    await waitFor(() => processesWith(mkv).length === 0, 5000, `the FFmpeg of the killed server to end (pids ${processesWith(mkv).join(',')})`);
    killOrphanRedis(dataDir);
    await sleep(300);

    const b = await startServer(dataDir, httpPort, rtmpPort, {});
    procs.push(b);
    const t0 = Date.now();
    await waitFor(bothRunning, 10000, 'both running again within 10 s');
    const took = Date.now() - t0;
    assert.ok(took < 10000, `running again after ${took} ms`);
    t.diagnostic(`both running again ${took} ms after the restarted server was ready`);
    assert.equal(processesWith(mkv).length, 1, 'one FFmpeg reads the MKV');
    for (const p of ['vlive-mp4', 'vlive-mkv']) {
      const info = await probe(`${http}/live/${p}.flv`);
      assert.match(summarize(info.streams), /aac, h264 320x240/, p);
    }
    b.child.kill('SIGTERM');
    assert.equal(await withTimeout(b.exited, 15000, () => b.kill()), 0);
    await waitFor(() => processesWith(mkv).length === 0, 5000, 'FFmpeg stopped with the server');
  } finally {
    for (const p of procs) p.kill();
    await sleep(100);
    killOrphanRedis(dataDir);
  }
});
