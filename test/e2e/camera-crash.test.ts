// An IP camera task survives a crash: the server (node dist/src/main.js) pulls an RTSP camera (GStreamer's
// RTSP server) into live/<name>, is killed with SIGKILL, and started again on the same DATA_DIR: the task is
// restored from SRS_CAMERA_CONFIG and is running again within 10 s, and the stream plays h264 + aac.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CameraStream } from '../../src/control/jobs/camera/cameras.js';
import type { CameraFile } from '../../src/control/jobs/camera/config.js';
import { requireTool } from '../support.js';
import { TEST_BEARER, freePort, probe, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';
import { startCamera, type TestCamera } from './rtsp-camera.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

async function startServer(dataDir: string): Promise<{ p: Proc; http: string; rtmp: string }> {
  const [http, rtmp] = [await freePort(), await freePort()];
  const env = { HTTP_PORT: String(http), RTMP_PORT: String(rtmp), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SRS_PLATFORM_SECRET: TEST_BEARER };
  const p = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 20000, `server ready (${p.stderr()})`);
  return { p, http: `http://127.0.0.1:${http}`, rtmp: `rtmp://127.0.0.1:${rtmp}` };
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

test('SIGKILL while a camera runs: after the restart it is running again within 10 s', { skip: requireTool('ffmpeg', 'ffprobe', 'rtsp-server') }, async (t) => {
  const dataDir = tempDir('srs-node-camera-crash-');
  const procs: Proc[] = [];
  let cam: TestCamera | null = null;
  try {
    cam = await startCamera({ user: 'admin', password: 'secret' });
    const a = await startServer(dataDir);
    procs.push(a.p);
    const secret = (await api<{ publish: string }>(a.http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    const name = randomName('crash');
    const platform = `camera-1-${name}`;
    const src = await api<{ files: CameraFile[] }>(a.http, '/terraform/v1/ffmpeg/camera/source', {
      platform,
      files: [{ name: 'cam', size: 0, uuid: 'u1', target: cam.url(), type: 'stream' }],
    });
    assert.equal(src.status, 200, src.message);
    // The output names our RTMP port on this host, so the restarted server takes the same ports.
    const up = await api(a.http, '/terraform/v1/ffmpeg/camera/secret', {
      action: 'update', platform, server: `${a.rtmp}/live/`, secret: `${name}?secret=${secret}`, enabled: true, files: src.data.files,
    });
    assert.equal(up.status, 200, up.message);
    const state = async (base: string) => (await api<CameraStream[]>(base, '/terraform/v1/ffmpeg/camera/streams')).data.find((x) => x.platform === platform)?.task?.state;
    await waitFor(async () => (await state(a.http)) === 'running', 20000, 'running before the kill');
    a.p.child.kill('SIGKILL');
    await withTimeout(a.p.exited, 10000, () => undefined);
    killOrphanRedis(dataDir);

    const b = await startServerOn(dataDir, a);
    procs.push(b.p);
    const t0 = Date.now();
    await waitFor(async () => (await state(b.http)) === 'running', 10000, 'running within 10 s of the restart');
    t.diagnostic(`running again ${Date.now() - t0} ms after the restarted server was ready`);
    const info = await probe(`${b.http}/live/${name}.flv`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    b.p.child.kill('SIGTERM');
    assert.equal(await withTimeout(b.p.exited, 15000, () => b.p.kill()), 0);
  } finally {
    for (const p of procs) p.kill();
    await cam?.kill();
    await sleep(100);
    killOrphanRedis(dataDir);
  }
});

/** The same ports again (the task's output URL names the RTMP port of this host). */
async function startServerOn(dataDir: string, prev: { http: string; rtmp: string }): Promise<{ p: Proc; http: string; rtmp: string }> {
  const http = new URL(prev.http).port;
  const rtmp = new URL(prev.rtmp.replace('rtmp:', 'http:')).port;
  const env = { HTTP_PORT: http, RTMP_PORT: rtmp, RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SRS_PLATFORM_SECRET: TEST_BEARER };
  const p = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 20000, `server ready (${p.stderr()})`);
  return { p, http: prev.http, rtmp: prev.rtmp };
}
