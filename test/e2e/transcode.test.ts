// Transcoding with a real FFmpeg: a per-stream ladder of two renditions (ffprobe reads each output's size,
// channels and bitrate, within 20 % of the profile), its ABR playlist played by hls.js in Chromium with a forced
// switch of rendition, SRS Stack's global task (the newest stream, never its own output), and a profile with an
// encoder FFmpeg does not have (the task fails with a reason that says what to fix).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { parseMultivariantPlaylist } from '../../src/codecs/m3u8.js';
import type { GlobalTaskView, StreamTranscodeView } from '../../src/control/jobs/transcode/transcoder.js';
import { launchBrowser, pageServer } from './browser.js';
import { startNms } from './nms.js';
import { probe, randomName, run, startServer, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { requireTool } from '../support.js';

let server: TestServer;
const procs: Proc[] = [];

/** ffmpeg publishing a 640x360 test pattern with motion (testsrc2) and a stereo tone, 2 s GOP. */
function publishRich(url: string): Proc {
  const p = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p', '-b:v', '1500k',
    '-c:a', 'aac', '-ac', '2', '-b:a', '96k', '-f', 'flv', url,
  ]);
  procs.push(p);
  return p;
}

async function waitLive(name: string): Promise<void> {
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.frames > 30), 20000, `${name} published`);
}

/** Reads `seconds` of an HTTP-FLV stream to a file and returns the video and audio bitrates measured from its packets. */
async function measure(url: string, seconds: number): Promise<{ videoKbps: number; audioKbps: number; file: string }> {
  const file = `${tempDir('srs-node-tc-')}/out.flv`;
  const rec = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rw_timeout', '15000000', '-i', url, '-t', String(seconds), '-c', 'copy', '-y', file]);
  procs.push(rec);
  assert.equal(await withTimeout(rec.exited, (seconds + 30) * 1000, () => rec.kill()), 0, rec.stderr());
  const rate = async (sel: string) => {
    const p = run('ffprobe', ['-v', 'error', '-select_streams', sel, '-show_entries', 'packet=pts_time,size', '-of', 'csv=p=0', file]);
    await withTimeout(p.exited, 30000, () => p.kill());
    const rows = p.stdout().toString().trim().split('\n').map((l) => l.split(',').map(Number));
    const times = rows.map((r) => r[0]!).filter(Number.isFinite);
    const bytes = rows.reduce((n, r) => n + (r[1] ?? 0), 0);
    const span = Math.max(...times) - Math.min(...times);
    return (bytes * 8) / span / 1000;
  };
  return { videoKbps: await rate('v'), audioKbps: await rate('a'), file };
}

function near(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= want * 0.2, `${what}: measured ${got.toFixed(0)} kbps, configured ${want} kbps (20 % allowed)`);
}

const ladder = (stream: string) => ({
  stream,
  label: 'test ladder',
  profiles: [
    { name: '360p', vcodec: 'libx264', vprofile: 'main', vpreset: 'veryfast', vbitrate: 500, fps: 25, size: '640x360', acodec: 'aac', abitrate: 64, achannels: 1 },
    { name: '180p', vcodec: 'libx264', vprofile: 'baseline', vpreset: 'veryfast', vbitrate: 200, fps: 25, size: '180', acodec: 'aac', abitrate: 32, achannels: 2 },
  ],
});

const skip = requireTool('ffmpeg', 'ffprobe');

describe('transcode', { skip }, () => {
  const source = randomName('tc');
  let browser: Browser | undefined;

  before(async () => {
    server = await startServer();
    publishRich(server.publishUrl(source));
    await waitLive(source);
  });

  after(async () => {
    for (const p of procs) p.kill();
    await browser?.close();
    await server?.close();
  });

  test('a ladder of two renditions: sizes, channels and bitrates as configured, and an ABR playlist', async (t) => {
    const r = await server.api<{ id: string }>('/terraform/v1/ffmpeg/transcode/streams/update', ladder(`live/${source}`));
    assert.equal(r.status, 200, r.message);
    const id = r.data.id;
    const view = await waitFor(async () => {
      const l = (await server.api<StreamTranscodeView[]>('/terraform/v1/ffmpeg/transcode/streams/list')).data.find((x) => x.id === id);
      return l && l.status.state === 'running' && (l.live.progress?.fps ?? 0) > 0 && l.live.renditions.every((x) => x.frames > 50) ? l : null;
    }, 40000, 'the transcode to run');
    assert.equal(view.live.input, `live/${source}`);
    assert.ok(view.live.pid && view.live.pid > 0);
    assert.ok((view.live.progress?.fps ?? 0) > 0 && (view.live.progress?.speed ?? 0) > 0, JSON.stringify(view.live.progress));
    assert.equal(view.abr, `/live/${source}_abr.m3u8`);
    assert.deepEqual(view.live.renditions.map((x) => x.output), [`live/${source}_360p`, `live/${source}_180p`]);

    const hi = await probe(`${server.http}/live/${source}_360p.flv`);
    const lo = await probe(`${server.http}/live/${source}_180p.flv`);
    const v = (p: typeof hi) => p.streams.find((s) => s.codec_type === 'video')!;
    const a = (p: typeof hi) => p.streams.find((s) => s.codec_type === 'audio')!;
    assert.deepEqual([v(hi).codec_name, v(hi).width, v(hi).height, a(hi).codec_name, a(hi).channels], ['h264', 640, 360, 'aac', 1]);
    assert.deepEqual([v(lo).codec_name, v(lo).width, v(lo).height, a(lo).channels], ['h264', 320, 180, 2]);

    const [mHi, mLo] = await Promise.all([measure(`${server.http}/live/${source}_360p.flv`, 12), measure(`${server.http}/live/${source}_180p.flv`, 12)]);
    t.diagnostic(`360p: video ${mHi.videoKbps.toFixed(0)} kbps, audio ${mHi.audioKbps.toFixed(0)} kbps; 180p: video ${mLo.videoKbps.toFixed(0)} kbps, audio ${mLo.audioKbps.toFixed(0)} kbps`);
    near(mHi.videoKbps, 500, '360p video');
    near(mLo.videoKbps, 200, '180p video');
    near(mHi.audioKbps, 64, '360p audio');
    near(mLo.audioKbps, 32, '180p audio');

    // Keyframes at the same times in both renditions (what lets a player switch at any segment).
    const keys = async (file: string) => {
      const p = run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file]);
      await withTimeout(p.exited, 30000, () => p.kill());
      return p.stdout().toString().trim().split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0]));
    };
    const [kHi, kLo] = [await keys(mHi.file), await keys(mLo.file)];
    const gaps = (k: number[]) => k.slice(1).map((x, i) => Math.round((x - k[i]!) * 1000) / 1000);
    assert.ok(kHi.length >= 4, `keyframes ${kHi}`);
    for (const g of [...gaps(kHi), ...gaps(kLo)]) assert.ok(Math.abs(g - 2) < 0.05, `keyframe interval ${g} s (want 2 s): ${kHi} / ${kLo}`);

    const text = await waitFor(async () => {
      const res = await fetch(`${server.http}/live/${source}_abr.m3u8`);
      const body = await res.text();
      return res.ok && parseMultivariantPlaylist(body).length === 2 ? body : null;
    }, 20000, 'the ABR playlist with both renditions');
    const variants = parseMultivariantPlaylist(text);
    assert.deepEqual(variants.map((x) => x.attributes.RESOLUTION), ['640x360', '320x180']);
    assert.match(variants[0]!.attributes.CODECS!, /^avc1\.4d[0-9a-f]{4},mp4a\.40\.2$/);
    assert.match(variants[1]!.attributes.CODECS!, /^avc1\.42[0-9a-f]{4},mp4a\.40\.2$/);
    assert.ok(Number(variants[0]!.attributes.BANDWIDTH) > Number(variants[1]!.attributes.BANDWIDTH));
    assert.match(variants[0]!.uri, new RegExp(`^${source}_360p\\.m3u8\\?hls_ctx=`));
    // The rendition playlist it points to is a media playlist.
    const media = await (await fetch(new URL(variants[1]!.uri, `${server.http}/live/`))).text();
    assert.match(media, /#EXT-X-TARGETDURATION/);
  });

  test('hls.js plays the ABR playlist and switches rendition while frames keep decoding', async (t) => {
    const pages = await pageServer({
      '/abr.html': `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/hls.min.js"></script>
<script>
  window.errors = []; window.switched = [];
  const v = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 2, capLevelToPlayerSize: false });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => window.switched.push(d.level));
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`,
    });
    try {
      browser = await launchBrowser();
      const page = await browser.newPage();
      await page.goto(`${pages.url}/abr.html?src=${encodeURIComponent(`${server.http}/live/${source}_abr.m3u8`)}`);
      type State = { t: number; frames: number; h: number; level: number; levels: number[] };
      const state = () =>
        page.evaluate((): State => {
          const v = document.getElementById('v') as HTMLVideoElement;
          const h = (window as unknown as { hls: { currentLevel: number; levels: { height: number }[] } }).hls;
          return { t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames, h: v.videoHeight, level: h.currentLevel, levels: h.levels.map((l) => l.height) };
        });
      const s0 = await waitFor(async () => {
        const s = await state();
        return s.t > 1 && s.h > 0 ? s : null;
      }, 40000, 'hls.js to play the ABR playlist');
      assert.deepEqual([...s0.levels].sort((x, y) => x - y), [180, 360]);
      const wantH = s0.h === 360 ? 180 : 360;
      const target = s0.levels.indexOf(wantH);
      await page.evaluate((l) => {
        (window as unknown as { hls: { currentLevel: number } }).hls.currentLevel = l;
      }, target);
      const s1 = await waitFor(async () => {
        const s = await state();
        return s.h === wantH && s.t > s0.t + 1 ? s : null;
      }, 30000, `the switch to the ${wantH}p rendition`);
      await new Promise((r) => setTimeout(r, 3000));
      const s2 = await state();
      t.diagnostic(`played ${s0.h}p, switched to ${s1.h}p (level ${target}); frames ${s0.frames} -> ${s1.frames} -> ${s2.frames}`);
      assert.ok(s2.frames > s1.frames + 25, `frames kept decoding after the switch: ${s1.frames} -> ${s2.frames}`);
      assert.ok(s2.t > s1.t + 1.5, `playback advanced after the switch: ${s1.t} -> ${s2.t}`);
      const switched = await page.evaluate(() => (window as unknown as { switched: number[] }).switched);
      assert.ok(switched.includes(target), `LEVEL_SWITCHED ${switched}`);
      assert.deepEqual(await page.evaluate(() => (window as unknown as { errors: string[] }).errors), []);
      await page.close();
    } finally {
      pages.server.close();
    }
  });

  test('SRS Stack global transcode: picks the newest stream, never its own output', async () => {
    const older = randomName('tcold');
    publishRich(server.publishUrl(older));
    await waitLive(older);
    const outName = `${older}-trans`;
    const apply = await server.api('/terraform/v1/ffmpeg/transcode/apply', {
      all: true, vcodec: 'libx264', acodec: 'aac', vbitrate: 300, abitrate: 48, vprofile: 'baseline', vpreset: 'superfast', achannels: 0,
      server: `${server.rtmp}/live/`, secret: `${outName}?secret=${server.secret}`,
    });
    assert.equal(apply.status, 200, apply.message);
    const q = await server.api<Record<string, unknown>>('/terraform/v1/ffmpeg/transcode/query');
    assert.equal(q.data.vbitrate, 300);
    assert.equal(q.data.secret, `${outName}?secret=${server.secret}`);
    // `older` is the newest stream that is not a transcode output (the ladder's outputs are newer, and excluded).
    let task = await waitFor(async () => {
      const r = (await server.api<GlobalTaskView>('/terraform/v1/ffmpeg/transcode/task')).data;
      return r.enabled && r.input && r.frame.log ? r : null;
    }, 40000, 'the global task to run');
    assert.equal(task.input, `live/${older}`);
    assert.equal(task.output, `${server.rtmp}/live/${outName}?secret=${server.secret}`);
    assert.match(task.frame.log, /frame=\d+ fps=/);
    await waitFor(() => server.app.hub.list().find((s) => s.url.stream === outName && s.active && s.frames > 50), 30000, 'the global output live');
    const info = await probe(`${server.http}/live/${outName}.flv`);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    // Its own output is now the newest stream: when the input stops, the task must not take it.
    const newer = randomName('tcnew');
    publishRich(server.publishUrl(newer));
    await waitLive(newer);
    task = (await server.api<GlobalTaskView>('/terraform/v1/ffmpeg/transcode/task')).data;
    assert.equal(task.input, `live/${older}`, 'not re-selected while running');
    procs.at(-2)!.kill(); // the publisher of `older`
    task = await waitFor(async () => {
      const r = (await server.api<GlobalTaskView>('/terraform/v1/ffmpeg/transcode/task')).data;
      return r.input && r.input !== `live/${older}` ? r : null;
    }, 40000, 'the global task to take the next stream');
    assert.equal(task.input, `live/${newer}`);
    assert.equal((await server.api('/terraform/v1/ffmpeg/transcode/apply', { all: false })).status, 200);
    await waitFor(async () => (await server.api<GlobalTaskView>('/terraform/v1/ffmpeg/transcode/task')).data.input === '', 15000, 'the global task to stop');
  });

  test('a rendition to a target platform (node-media-server) beside one of ours', async () => {
    const nms = await startNms();
    procs.push(nms.proc);
    const key = randomName('tgt');
    const r = await server.api<{ id: string }>('/terraform/v1/ffmpeg/transcode/streams/update', {
      stream: `live/${source}`,
      profiles: [
        { name: 'mine', vbitrate: 150, vpreset: 'ultrafast', size: '144', abitrate: 32 },
        { name: 'out', vbitrate: 250, vpreset: 'ultrafast', size: '320x180', abitrate: 48, achannels: 1, target: `rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}` },
      ],
    });
    assert.equal(r.status, 200, r.message);
    const view = await waitFor(async () => {
      const l = (await server.api<StreamTranscodeView[]>('/terraform/v1/ffmpeg/transcode/streams/list')).data.find((x) => x.id === r.data.id);
      return l && l.status.state === 'running' && l.live.renditions.every((x) => x.frames > 50) ? l : null;
    }, 40000, 'the transcode with a target to run');
    assert.deepEqual(view.live.renditions.map((x) => [x.output, x.local]), [[`live/${source}_mine`, true], [`rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}`, false]]);
    assert.equal(view.abr, '', 'one rendition of ours: no ABR group');
    const info = await probe(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}`);
    const v = info.streams.find((s) => s.codec_type === 'video')!;
    const a = info.streams.find((s) => s.codec_type === 'audio')!;
    assert.deepEqual([v.codec_name, v.width, v.height, a.codec_name, a.channels], ['h264', 320, 180, 'aac', 1]);
    assert.ok(!server.app.hub.list().some((s) => s.url.stream === key), 'a target is not a stream of ours');
    assert.equal((await server.api('/terraform/v1/ffmpeg/transcode/streams/remove', { id: r.data.id })).status, 200);
    nms.proc.kill();
  });

  test('a profile with an encoder FFmpeg does not have: the task fails and says what to fix', async () => {
    const r = await server.api<{ id: string }>('/terraform/v1/ffmpeg/transcode/streams/update', {
      stream: `live/${source}`,
      profiles: [{ name: 'bad', vcodec: 'libnosuchcodec', vbitrate: 300 }],
    });
    assert.equal(r.status, 200, r.message);
    const view = await waitFor(async () => {
      const l = (await server.api<StreamTranscodeView[]>('/terraform/v1/ffmpeg/transcode/streams/list')).data.find((x) => x.id === r.data.id);
      return l && l.status.state === 'failed' ? l : null;
    }, 30000, 'the task to fail');
    assert.match(view.status.reason, /libnosuchcodec/);
    assert.match(view.status.reason, /ffmpeg -encoders/);
    assert.equal(view.status.attempts, 1, 'a wrong encoder is not retried');
    assert.ok(view.status.log.some((l) => /Unknown encoder/.test(l)), view.status.log.join('\n'));
    // Bad requests are refused before any FFmpeg runs.
    const bad = [
      { stream: 'live', profiles: [{ name: 'x' }] },
      { stream: `live/${source}`, profiles: [] },
      { stream: `live/${source}`, profiles: [{ name: '../x' }] },
      { stream: `live/${source}`, profiles: [{ name: 'x', vcodec: 'libx264 -f' }] },
      { stream: `live/${source}`, profiles: [{ name: 'x', size: 'big' }] },
      { stream: `live/${source}`, profiles: [{ name: 'x', target: 'http://example.com/x' }] },
      { stream: `live/${source}`, profiles: [{ name: 'x' }, { name: 'x' }] },
      { stream: '../x', profiles: [{ name: 'x' }] },
    ];
    for (const b of bad) {
      const res = await server.api('/terraform/v1/ffmpeg/transcode/streams/update', b);
      assert.equal(res.status, 400, `${JSON.stringify(b)}: ${res.status} ${res.message}`);
      assert.ok(res.message && res.message.length > 10);
    }
    assert.equal((await server.api('/terraform/v1/ffmpeg/transcode/streams/remove', { id: 'nope' })).status, 404);
    assert.equal((await server.api('/terraform/v1/ffmpeg/transcode/streams/remove', { id: r.data.id })).status, 200);
    const unauth = await fetch(`${server.http}/terraform/v1/ffmpeg/transcode/streams/list`, { method: 'POST', body: '{}' });
    assert.notEqual(unauth.status, 200);
  });
});

test('SRS_TRANSCODE_LIMIT: a transcode beyond the limit is refused with a clear error', async () => {
  const s = await startServer({ SRS_TRANSCODE_LIMIT: '1' });
  try {
    const body = (name: string) => ({ stream: `live/${name}`, profiles: [{ name: 'low', vbitrate: 200 }] });
    const first = await s.api<{ id: string }>('/terraform/v1/ffmpeg/transcode/streams/update', body('nobody1'));
    assert.equal(first.status, 200, first.message);
    // It waits for its stream, which counts as running.
    const l = await waitFor(async () => (await s.api<StreamTranscodeView[]>('/terraform/v1/ffmpeg/transcode/streams/list')).data.find((x) => x.live.waiting), 5000, 'waiting');
    assert.match(l.live.waiting, /waiting for live\/nobody1/);
    const second = await s.api('/terraform/v1/ffmpeg/transcode/streams/update', body('nobody2'));
    assert.equal(second.status, 400);
    assert.match(second.message ?? '', /at most 1 transcode tasks can run at once; stop or remove one first/);
    // A disabled one does not count.
    const off = await s.api('/terraform/v1/ffmpeg/transcode/streams/update', { ...body('nobody3'), enabled: false });
    assert.equal(off.status, 200, off.message);
  } finally {
    await s.close();
  }
});
