// Graceful shutdown of the real server (node dist/src/main.js) during a recording: SIGTERM makes /readyz fail,
// ends the publisher, finalizes the recording into index.mp4 (ffprobe reads h264+aac, ffmpeg decodes it to the
// end), and the process exits 0 -- that is, before its SHUTDOWN_TIMEOUT_MS force-exit (which exits 1) -- with
// no child process (redis-server) left behind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RecordFile } from '../../src/control/jobs/record/artifact.js';
import { recordPaths } from '../../src/control/jobs/record/artifact.js';
import { TEST_BEARER, freePort, probe, publish, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 8000;

async function api<T>(base: string, path: string, body: unknown = {}): Promise<{ status: number; data: T }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: JSON.stringify(body) });
  return { status: r.status, data: ((await r.json()) as { data: T }).data };
}

/** The pids of a process's children (every thread's), from /proc. */
function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    /* gone */
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    // A zombie is not alive: its state in /proc/<pid>/stat is Z.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('SIGTERM during a recording: the MP4 is finalized and plays, the exit beats the bound, no child is left', async (t) => {
  const dataDir = tempDir('srs-node-shutdown-');
  const procs: Proc[] = [];
  let kids: number[] = [];
  try {
    const [httpPort, rtmpPort] = [await freePort(), await freePort()];
    const env = {
      HTTP_PORT: String(httpPort), RTMP_PORT: String(rtmpPort), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', SRT_PORT: '0',
      HOST: '127.0.0.1', DATA_DIR: dataDir, SRS_PLATFORM_SECRET: TEST_BEARER, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    };
    const server = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
    procs.push(server);
    await waitFor(() => server.stdout().toString().includes('server ready'), 20000, `server ready (${server.stderr()})`);
    const http = `http://127.0.0.1:${httpPort}`;
    const secret = (await api<{ publish: string }>(http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    assert.equal((await api(http, '/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('term');
    const pub = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${name}?secret=${secret}`);
    procs.push(pub);
    let rec: RecordFile | undefined;
    await waitFor(
      async () => {
        rec = (await api<RecordFile[]>(http, '/terraform/v1/hooks/record/files')).data.find((f) => f.stream === name && f.duration >= 6);
        return rec;
      },
      30000,
      'six seconds recorded',
    );
    assert.equal(rec!.state, 'recording');
    // The server's pid is env's (env execs node); its children now: redis-server.
    const pid = server.child.pid!;
    kids = children(pid);
    assert.ok(kids.length >= 1, 'the embedded redis-server runs as a child');

    const t0 = Date.now();
    server.child.kill('SIGTERM');
    const code = await withTimeout(server.exited, SHUTDOWN_TIMEOUT_MS + 10000, () => server.kill());
    t.diagnostic(`exited ${code} after ${Date.now() - t0} ms (bound ${SHUTDOWN_TIMEOUT_MS} ms)`);
    assert.equal(code, 0, `exit 0 means before the forced exit at SHUTDOWN_TIMEOUT_MS (which exits 1): ${server.stdout().toString().slice(-2000)}`);
    const out = server.stdout().toString();
    assert.match(out, /"recordings":1,.*shutdown: recordings finalized/);
    assert.match(out, /record done: index\.mp4 ready/);
    // The publisher was ended by the server (ffmpeg sees its connection close and stops).
    await withTimeout(pub.exited, 10000, () => pub.kill());

    const paths = recordPaths(join(dataDir, 'record'), rec!.uuid);
    assert.ok(existsSync(paths.mp4), 'index.mp4 exists');
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as { state: string; duration: number };
    assert.equal(meta.state, 'done', JSON.stringify(meta));
    const info = await probe(paths.mp4);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const duration = Number(info.format?.duration);
    t.diagnostic(`recorded ${rec!.duration.toFixed(2)} s when polled; index.mp4 lasts ${duration.toFixed(2)} s`);
    assert.ok(duration >= rec!.duration - 0.5, `index.mp4 lasts ${duration} s, ${rec!.duration} s had been recorded before SIGTERM`);
    const dec = run('ffmpeg', ['-v', 'error', '-i', paths.mp4, '-f', 'null', '-']);
    procs.push(dec);
    assert.equal(await withTimeout(dec.exited, 30000, () => dec.kill()), 0);
    assert.equal(dec.stderr().trim(), '', dec.stderr());

    const what = (k: number) => {
      try {
        return readFileSync(`/proc/${k}/stat`, 'utf8');
      } catch {
        return 'gone';
      }
    };
    t.diagnostic(`children after the exit (state or gone): ${kids.map(what).join(' | ')}`);
    // A child ends with the server: at most a moment later (the kernel reaps it), never minutes.
    await waitFor(() => kids.every((k) => !alive(k)), 3000, `the children to be gone: ${kids.map(what).join(' | ')}`);
  } finally {
    for (const p of procs) p.kill();
    for (const k of kids) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});
