// Crash safety: the server (node dist/src/main.js) records a stream and is killed with SIGKILL mid-recording;
// started again on the same DATA_DIR it finishes the recording from its fragments: index.mp4 is h264+aac,
// decodes to the end, and lasts about as long as had been recorded at the kill.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RecordFile } from '../../src/control/jobs/record/artifact.js';
import { TEST_BEARER, freePort, probe, publish, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

async function startServer(dataDir: string): Promise<{ p: Proc; http: string; rtmp: string }> {
  const [http, rtmp] = [await freePort(), await freePort()];
  const env = {
    HTTP_PORT: String(http),
    RTMP_PORT: String(rtmp),
    RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0',
    SRT_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SRS_PLATFORM_SECRET: TEST_BEARER,
  };
  const p = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  await waitFor(() => p.stdout().toString().includes('server ready'), 20000, `server ready (${p.stderr()})`);
  return { p, http: `http://127.0.0.1:${http}`, rtmp: `rtmp://127.0.0.1:${rtmp}` };
}

async function api<T>(base: string, path: string, body: unknown = {}): Promise<{ status: number; data: T }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_BEARER}` }, body: JSON.stringify(body) });
  return { status: r.status, data: ((await r.json()) as { data: T }).data };
}

/** Ends a redis-server a SIGKILLed server left behind (its pid file is in our data directory). */
function killOrphanRedis(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
    if (pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

test('SIGKILL mid-recording: the next start finishes the recording up to about the kill', async (t) => {
  const dataDir = tempDir('srs-node-record-crash-');
  const procs: Proc[] = [];
  try {
    const a = await startServer(dataDir);
    procs.push(a.p);
    const secret = (await api<{ publish: string }>(a.http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    assert.equal((await api(a.http, '/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('crash');
    const pub = publish(`${a.rtmp}/live/${name}?secret=${secret}`);
    procs.push(pub);
    let atKill: RecordFile | undefined;
    await waitFor(
      async () => {
        atKill = (await api<RecordFile[]>(a.http, '/terraform/v1/hooks/record/files')).data.find((f) => f.stream === name && f.duration >= 9);
        return atKill;
      },
      30000,
      'nine seconds recorded',
    );
    a.p.child.kill('SIGKILL');
    await withTimeout(a.p.exited, 10000, () => undefined);
    pub.kill();
    const uuid = atKill!.uuid;
    assert.equal(atKill!.state, 'recording');

    const b = await startServer(dataDir);
    procs.push(b.p);
    let f: RecordFile | undefined;
    await waitFor(
      async () => {
        f = (await api<RecordFile[]>(b.http, '/terraform/v1/hooks/record/files')).data.find((x) => x.uuid === uuid && (x.state === 'done' || x.state === 'failed'));
        return f;
      },
      30000,
      'the recording to be finished after the restart',
    );
    assert.equal(f!.state, 'done', JSON.stringify(f));
    t.diagnostic(`recorded ${atKill!.duration.toFixed(2)} s at the kill; recovered ${f!.duration.toFixed(2)} s`);
    // What was in memory (the fragment being built, at most one GOP of 2 s) is lost; nothing else.
    assert.ok(f!.duration >= atKill!.duration - 3.5 && f!.duration <= atKill!.duration + 0.5, `recovered ${f!.duration} s of ${atKill!.duration} s`);
    assert.match(b.p.stdout().toString(), /record recovered after a restart/);

    const info = await probe(f!.url);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(Math.abs(Number(info.format?.duration) - f!.duration) < 0.2);
    // Decodes to the end without an error.
    const dec = run('ffmpeg', ['-v', 'error', '-i', f!.url, '-f', 'null', '-']);
    procs.push(dec);
    assert.equal(await withTimeout(dec.exited, 30000, () => dec.kill()), 0);
    assert.equal(dec.stderr().trim(), '', dec.stderr());

    b.p.child.kill('SIGTERM');
    assert.equal(await withTimeout(b.p.exited, 15000, () => b.p.kill()), 0);
  } finally {
    for (const p of procs) p.kill();
    await sleep(100);
    killOrphanRedis(dataDir);
  }
});
