// A forward survives a crash: the server (node dist/src/main.js) forwards a stream to node-media-server and is
// killed with SIGKILL; started again on the same DATA_DIR (its Redis keeps SRS_FORWARD_CONFIG), the task is
// restored and runs again within 10 s of the input being published again, and node-media-server plays it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireTool } from '../support.js';
import { childApi, killOrphanRedis, startServerChild } from './server-child.js';
import { startNms } from './nms.js';
import { freePort, probe, publish, randomName, sleep, summarize, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');

interface Fwd { platform: string; state: string; stream?: string; frames: number }

test('SIGKILL while forwarding: after the restart the task runs again within 10 s', { skip }, async (t) => {
  const dataDir = tempDir('srs-node-forward-crash-');
  const procs: Proc[] = [];
  const nms = await startNms();
  try {
    const ports = { http: await freePort(), rtmp: await freePort() };
    const http = `http://127.0.0.1:${ports.http}`;
    const a = await startServerChild(dataDir, ports);
    procs.push(a);
    const secret = (await childApi<{ publish: string }>(http, '/terraform/v1/hooks/srs/secret/query')).data.publish;
    const name = randomName('crash');
    const key = randomName('ck');
    const publishUrl = `rtmp://127.0.0.1:${ports.rtmp}/live/${name}?secret=${secret}`;
    let pub = publish(publishUrl);
    procs.push(pub);
    const r = await childApi(http, '/terraform/v1/ffmpeg/forward/secret', {
      action: 'update', platform: 'forwarding-1-crash1', server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: name, enabled: true, custom: true, label: 'crash',
    });
    assert.equal(r.status, 200);
    const running = async (base: string) => (await childApi<Fwd[]>(base, '/terraform/v1/ffmpeg/forward/streams')).data.find((f) => f.platform === 'forwarding-1-crash1' && f.state === 'running' && f.frames > 25);
    await waitFor(() => running(http), 30000, 'forwarding before the kill');
    a.child.kill('SIGKILL');
    await withTimeout(a.exited, 10000, () => undefined);
    pub.kill();
    await sleep(300);

    const b = await startServerChild(dataDir, ports);
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
