// Recording end to end: ffmpeg publishes RTMP to the real server with recording on; the recording's index.mp4
// is checked with ffprobe (codecs, duration), played and seeked in Chromium's <video> over HTTP Range, merged
// across a republish within the window and split after it, selected by globs, and announced to a local
// receiver by on_record_begin/on_record_end with exactly SRS Stack's fields. Independent cases run at once.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RecordFile } from '../../src/control/jobs/record/artifact.js';
import { launchBrowser } from './browser.js';
import { TEST_BEARER, probe, publish, randomName, sleep, withTimeout, type Proc } from './helpers.js';
import { hookReceiver, startRecordServer, waitRecording, type RecordServer } from './record-helpers.js';

const WINDOW_MS = 4000;
let server: RecordServer;
let hooks: Awaited<ReturnType<typeof hookReceiver>>;
let browser: Browser | null = null;
const procs: Proc[] = [];

before(async () => {
  hooks = await hookReceiver();
  server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: String(WINDOW_MS) });
  const h = await server.api('/terraform/v1/mgmt/hooks/apply', { all: true, target: hooks.url, opaque: 'record-opaque' });
  assert.equal(h.status, 200, JSON.stringify(h));
  assert.equal((await server.api('/terraform/v1/hooks/record/globs', { globs: ['/live/*'] })).status, 200);
  assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close().catch(() => undefined);
  await server?.close();
  await hooks?.close();
});

/** Publishes for `seconds` and waits for ffmpeg to end. */
async function publishFor(url: string, seconds: number): Promise<void> {
  const p = publish(url, { seconds });
  procs.push(p);
  const code = await withTimeout(p.exited, (seconds + 20) * 1000, () => p.kill());
  assert.equal(code, 0, `ffmpeg publishing ${url}: ${p.stderr()}`);
}

const finished = (f: RecordFile) => f.state === 'done' || f.state === 'failed';

describe('recording', { concurrency: true }, () => {
  test('20 s published: index.mp4 is h264+aac of 20 s, plays and seeks in Chromium; callbacks carry the exact fields', async (t) => {
    const name = randomName('rec');
    const t0 = Date.now();
    await publishFor(server.publishUrl(name), 20);
    const f = await waitRecording(server, name, finished, WINDOW_MS + 20000);
    assert.equal(f.state, 'done', JSON.stringify(f));
    assert.ok(Math.abs(f.duration - 20) <= 1, `duration ${f.duration}`);
    assert.equal(f.nn, 1);
    assert.equal(f.progress, false);
    assert.equal(f.code, 0);
    assert.equal(f.url, `${server.http}/terraform/v1/hooks/record/hls/${f.uuid}/index.mp4`);

    const info = await probe(f.url);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(Math.abs(Number(info.format?.duration) - 20) <= 1, `ffprobe duration ${info.format?.duration}`);
    t.diagnostic(`published 20 s: index.mp4 ${f.duration} s (ffprobe ${info.format?.duration}), ${f.size} bytes`);

    // HTTP Range as a player uses it.
    const head = await fetch(f.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    assert.equal(Number(head.headers.get('content-length')), f.size);
    const mid = Math.floor(f.size / 2);
    const part = await fetch(f.url, { headers: { Range: `bytes=${mid}-${mid + 999}` } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes ${mid}-${mid + 999}/${f.size}`);
    assert.equal((await part.arrayBuffer()).byteLength, 1000);
    const whole = Buffer.from(await (await fetch(f.url)).arrayBuffer());
    const tail = await fetch(f.url, { headers: { Range: 'bytes=-100' } });
    assert.equal(tail.status, 206);
    assert.ok(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 100)));
    assert.equal((await fetch(f.url, { headers: { Range: `bytes=${f.size}-` } })).status, 416);
    assert.equal(whole.toString('latin1', 4, 8), 'ftyp');
    assert.ok(whole.indexOf('moov') < whole.indexOf('mdat'), 'moov is in front of mdat');

    // Chromium's <video>: metadata, playback, and a seek near the end (Range requests answered 206).
    browser = await launchBrowser();
    const page = await browser.newPage();
    const partials: string[] = [];
    page.on('response', (r) => {
      if (r.url() === f.url && r.status() === 206) partials.push(r.request().headers().range ?? '');
    });
    await page.setContent(`<video id="v" muted playsinline preload="auto" src="${f.url}"></video>`);
    const played = await page.evaluate(async () => {
      const v = document.getElementById('v') as HTMLVideoElement;
      const once = (ev: string) => new Promise<void>((r, j) => {
        v.addEventListener(ev, () => r(), { once: true });
        v.addEventListener('error', () => j(new Error(`video error ${v.error?.code} ${v.error?.message}`)), { once: true });
      });
      if (v.readyState < 1) await once('loadedmetadata');
      const duration = v.duration;
      await v.play();
      const t = Date.now();
      while (v.currentTime < 1 && Date.now() - t < 10000) await new Promise((r) => setTimeout(r, 100));
      const playedTo = v.currentTime;
      v.currentTime = 17;
      await once('seeked');
      const t2 = Date.now();
      const from = v.currentTime;
      while (v.currentTime < from + 0.5 && Date.now() - t2 < 10000) await new Promise((r) => setTimeout(r, 100));
      return { duration, playedTo, seekedTo: from, after: v.currentTime, w: v.videoWidth, h: v.videoHeight };
    });
    assert.ok(Math.abs(played.duration - 20) <= 1, JSON.stringify(played));
    assert.ok(played.playedTo >= 1, `played ${JSON.stringify(played)}`);
    assert.ok(Math.abs(played.seekedTo - 17) < 0.5, `seeked ${JSON.stringify(played)}`);
    assert.ok(played.after > played.seekedTo, `plays after the seek ${JSON.stringify(played)}`);
    assert.equal(`${played.w}x${played.h}`, '320x240');
    assert.ok(partials.length > 0 && partials.every((r) => r.startsWith('bytes=')), `Range requests: ${JSON.stringify(partials)}`);

    // on_record_begin / on_record_end: exactly SRS Stack's fields.
    const mine = hooks.bodies.filter((b) => b.stream === name);
    const begin = mine.find((b) => b.action === 'on_record_begin');
    const end = mine.find((b) => b.action === 'on_record_end');
    assert.ok(begin && end, JSON.stringify(mine));
    assert.deepEqual(Object.keys(begin).sort(), ['action', 'app', 'opaque', 'request_id', 'stream', 'uuid', 'vhost']);
    assert.deepEqual(
      Object.keys(end).sort(),
      ['action', 'app', 'artifact_code', 'artifact_path', 'artifact_url', 'opaque', 'request_id', 'stream', 'uuid', 'vhost'],
    );
    for (const b of [begin, end]) {
      assert.equal(b.opaque, 'record-opaque');
      assert.equal(b.vhost, '__defaultVhost__');
      assert.equal(b.app, 'live');
      assert.equal(b.uuid, f.uuid);
      assert.match(String(b.request_id), /^[0-9a-f-]{36}$/);
    }
    assert.notEqual(begin.request_id, end.request_id);
    assert.equal(end.artifact_code, 0);
    assert.equal(end.artifact_path, `${server.dataDir}/record/${f.uuid}/index.mp4`);
    assert.equal(end.artifact_url, f.url);
    assert.ok(Date.now() - t0 < 60000);
  });

  test('a republish within the window continues the same file (about 20 s)', async (t) => {
    const name = randomName('merge');
    await publishFor(server.publishUrl(name), 10);
    const first = await waitRecording(server, name, (f) => f.state === 'waiting', 5000, 'the paused recording');
    assert.equal(first.progress, true);
    await sleep(1000);
    await publishFor(server.publishUrl(name), 10);
    const f = await waitRecording(server, name, finished, WINDOW_MS + 20000);
    const all = (await server.files()).filter((x) => x.stream === name);
    assert.equal(all.length, 1, JSON.stringify(all));
    assert.equal(f.uuid, first.uuid);
    assert.equal(f.state, 'done', JSON.stringify(f));
    assert.equal(f.nn, 2);
    assert.ok(Math.abs(f.duration - 20) <= 1.5, `duration ${f.duration}`);
    const info = await probe(f.url);
    t.diagnostic(`10 s + 10 s within the window: one file of ${f.duration} s (ffprobe ${info.format?.duration})`);
    assert.ok(Math.abs(Number(info.format?.duration) - 20) <= 1.5, `ffprobe duration ${info.format?.duration}`);
    // One on_record_begin and one on_record_end for the whole recording.
    const mine = hooks.bodies.filter((b) => b.stream === name);
    assert.equal(mine.filter((b) => b.action === 'on_record_begin').length, 1);
    assert.equal(mine.filter((b) => b.action === 'on_record_end').length, 1);
  });

  test('a republish after the window starts a second file', async (t) => {
    const name = randomName('split');
    await publishFor(server.publishUrl(name), 10);
    const first = await waitRecording(server, name, finished, WINDOW_MS + 20000);
    await publishFor(server.publishUrl(name), 10);
    const second = await waitRecording(server, name, (f) => f.uuid !== first.uuid && finished(f), WINDOW_MS + 20000);
    const all = (await server.files()).filter((x) => x.stream === name);
    assert.equal(all.length, 2, JSON.stringify(all));
    for (const f of [first, second]) {
      assert.equal(f.state, 'done', JSON.stringify(f));
      assert.equal(f.nn, 1);
      assert.ok(Math.abs(f.duration - 10) <= 1, `duration ${f.duration}`);
    }
    t.diagnostic(`10 s, window over, 10 s: two files of ${first.duration} s and ${second.duration} s`);
  });

  test('globs: a matching stream is recorded, another is not; bad globs are refused', async () => {
    const yes = randomName('globy');
    const no = randomName('globn');
    await Promise.all([publishFor(server.publishUrl(yes, 'live'), 4), publishFor(server.publishUrl(no, 'other'), 4)]);
    const f = await waitRecording(server, yes, finished, WINDOW_MS + 20000);
    assert.equal(f.state, 'done');
    assert.equal(f.app, 'live');
    assert.deepEqual((await server.files()).filter((x) => x.stream === no), []);
    assert.equal(hooks.bodies.filter((b) => b.stream === no && String(b.action).startsWith('on_record')).length, 0);

    const q = await server.api<{ all: boolean; globs: string[]; home: string }>('/terraform/v1/hooks/record/query');
    assert.deepEqual(q.data.globs, ['/live/*']);
    assert.equal(q.data.all, true);
    assert.equal(q.data.home, `${server.dataDir}/record`);
    for (const bad of [['live/*'], ['/live/[ab'], 'x', [1]]) {
      const r = await server.api('/terraform/v1/hooks/record/globs', { globs: bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.ok(r.message && r.message.length > 10);
    }
    assert.deepEqual((await server.api<{ globs: string[] }>('/terraform/v1/hooks/record/query')).data.globs, ['/live/*']);
  });

  test('the API: auth, end, remove, unknown ids and path tricks', async () => {
    const noAuth = await fetch(`${server.http}/terraform/v1/hooks/record/files`, { method: 'POST', body: '{}' });
    assert.equal(noAuth.status, 401);

    const name = randomName('endme');
    const p = publish(server.publishUrl(name));
    procs.push(p);
    try {
      const live = await waitRecording(server, name, (f) => f.state === 'recording' && f.duration >= 3, 20000);
      assert.equal(live.url, '');
      assert.equal((await fetch(`${server.http}/terraform/v1/hooks/record/hls/${live.uuid}/index.mp4`)).status, 404);
      assert.equal((await server.api('/terraform/v1/hooks/record/end', { uuid: live.uuid })).status, 200);
      const f = await waitRecording(server, name, finished, 20000);
      assert.equal(f.state, 'done');
      assert.ok(f.duration >= 3);
      // The stream goes on: the ended recording stays finished, and (as in SRS Stack) a new one with a new uuid records.
      await sleep(1500);
      const after = (await server.files()).filter((x) => x.stream === name);
      assert.equal(after.filter((x) => x.uuid === f.uuid && x.state === 'done').length, 1);
      assert.equal(after.filter((x) => x.uuid !== f.uuid && x.state === 'recording').length, 1, JSON.stringify(after));
      // Both files play: the ended one now, the new one once the stream stops.
      const endedInfo = await probe(f.url);
      assert.ok(Number(endedInfo.format?.duration) > 0, `ffprobe of the ended file: ${JSON.stringify(endedInfo.format)}`);
      const second = after.find((x) => x.uuid !== f.uuid)!;
      p.kill();
      const secondDone = await waitRecording(server, name, (x) => x.uuid === second.uuid && finished(x), WINDOW_MS + 20000, 'the second file');
      assert.equal(secondDone.state, 'done', JSON.stringify(secondDone));
      const secondInfo = await probe(secondDone.url);
      assert.ok(Number(secondInfo.format?.duration) > 0, `ffprobe of the second file: ${JSON.stringify(secondInfo.format)}`);
      assert.equal((await server.api('/terraform/v1/hooks/record/end', { uuid: f.uuid })).status, 404);

      assert.equal((await server.api('/terraform/v1/hooks/record/remove', { uuid: f.uuid })).status, 200);
      assert.equal((await server.files()).filter((x) => x.uuid === f.uuid).length, 0);
      assert.equal((await fetch(f.url)).status, 404);
    } finally {
      p.kill();
    }
    assert.equal((await server.api('/terraform/v1/hooks/record/remove', { uuid: '00000000-0000-0000-0000-000000000000' })).status, 404);
    assert.equal((await server.api('/terraform/v1/hooks/record/remove', { uuid: '../../redis' })).status, 400);
    assert.equal((await server.api('/terraform/v1/hooks/record/end', { uuid: 'nope' })).status, 404);
    for (const path of [
      '/terraform/v1/hooks/record/hls/..%2F..%2Fredis%2Fappendonly.aof/index.mp4',
      '/terraform/v1/hooks/record/hls/../../../etc/passwd',
      '/terraform/v1/hooks/record/hls/%2e%2e/index.mp4',
      '/terraform/v1/hooks/record/hls/00000000-0000-0000-0000-000000000000/index.mp4',
    ]) {
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(server.http);
        const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers: { Authorization: `Bearer ${TEST_BEARER}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 404, path);
    }
  });
});
