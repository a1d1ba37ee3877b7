// A transcode survives a crash of the server: node dist/src/main.js runs a per-stream transcode and is killed
// with SIGKILL; its FFmpeg dies with it (setpriv --pdeathsig: no orphan), and the server started again on the
// same DATA_DIR (the same Redis data) runs the transcode again, from its stored config, within 10 s.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StreamTranscodeView } from '../../src/control/jobs/transcode/transcoder.js';
import { requireTool } from '../support.js';
import { childApi, killOrphanRedis, startServerChild } from './server-child.js';
import { freePort, probe, publish, randomName, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead, waiting to be reaped
  } catch {
    return false;
  }
}

test('SIGKILL the server mid-transcode: no FFmpeg left behind, and the transcode runs again within 10 s of the restart', { skip: requireTool('ffmpeg', 'ffprobe') }, async (t) => {
  const dataDir = tempDir('srs-node-tc-crash-');
  const ports = { http: await freePort(), rtmp: await freePort() };
  const base = `http://127.0.0.1:${ports.http}`;
  const procs: Proc[] = [];
  const name = randomName('tccrash');
  try {
    const a = await startServerChild(dataDir, ports);
    procs.push(a);
    const secret = (await childApi<{ publish: string }>(base, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    const pubUrl = `rtmp://127.0.0.1:${ports.rtmp}/live/${name}?secret=${secret}`;
    procs.push(publish(pubUrl));
    const add = await childApi<{ id: string }>(base, '/terraform/v1/ffmpeg/transcode/streams/update', {
      stream: `live/${name}`,
      profiles: [{ name: 'low', vbitrate: 150, vpreset: 'ultrafast', size: '160', abitrate: 32 }],
    });
    assert.equal(add.status, 200);
    const running = async () =>
      (await childApi<StreamTranscodeView[]>(base, '/terraform/v1/ffmpeg/transcode/streams/list')).data.find(
        (x) => x.id === add.data.id && x.status.state === 'running' && x.live.pid && x.live.renditions[0]!.frames > 25,
      );
    const before = await waitFor(running, 40000, 'the transcode to run');
    const pid = before.live.pid!;
    assert.ok(alive(pid), `FFmpeg ${pid} runs`);

    a.child.kill('SIGKILL');
    await withTimeout(a.exited, 10000, () => undefined);
    await waitFor(() => !alive(pid), 5000, `FFmpeg ${pid} to die with the server`);
    killOrphanRedis(dataDir); // the embedded redis-server dies with it too; make sure before the restart
    await waitFor(() => !existsSync(join(dataDir, 'redis', 'redis.pid')) || !alive(Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'))), 5000, 'redis gone');

    const b = await startServerChild(dataDir, ports);
    procs.push(b);
    const readyAt = Date.now();
    procs.push(publish(pubUrl)); // the publisher reconnects, as OBS does
    const after = await waitFor(running, 30000, 'the transcode to run again after the restart');
    const took = Date.now() - readyAt;
    t.diagnostic(`running again ${took} ms after the restarted server was ready (FFmpeg pid ${pid} -> ${after.live.pid})`);
    assert.ok(took < 10000, `running again after ${took} ms`);
    assert.notEqual(after.live.pid, pid);
    assert.match(b.stdout().toString(), /restoring a transcode task after a restart/);
    const info = await probe(`${base}/live/${name}_low.flv`);
    assert.deepEqual(info.streams.map((s) => `${s.codec_name}${s.height ? ` ${s.height}` : ''}`).sort(), ['aac', 'h264 160']);

    b.child.kill('SIGTERM');
    assert.equal(await withTimeout(b.exited, 15000, () => b.kill()), 0);
    assert.ok(!alive(after.live.pid!), 'FFmpeg stopped with a clean shutdown');
  } finally {
    for (const p of procs) p.kill();
    await sleep(100);
    killOrphanRedis(dataDir);
  }
});
