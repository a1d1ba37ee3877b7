// The HLS view of a recording: ffmpeg publishes with recording on; while it records, the playlist is an EVENT
// playlist of fMP4 byte ranges that grows, hls.js in Chromium plays it and decodes video; byte ranges are
// answered 206; unknown ids and path tricks get a 404 that says what to use. After the publisher stops, the
// playlist is VOD with ENDLIST, served from index.mp4 and the kept skeleton (the fragments are gone) with the
// same bytes as before, and ffprobe reads the whole duration through it (also through SRS Stack's <uuid>.m3u8).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import type { RecordFile } from '../../src/control/jobs/record/artifact.js';
import { launchBrowser, pageServer } from './browser.js';
import { probe, publish, randomName, sleep, withTimeout, waitFor, type Proc } from './helpers.js';
import { startRecordServer, waitRecording, type RecordServer } from './record-helpers.js';

const SECONDS = 24;
let server: RecordServer;
let browser: Browser | null = null;
let pages: { url: string; server: Server } | null = null;
let publisher: Proc | null = null;

const hlsPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/hls.min.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`;

before(async () => {
  server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' });
  assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
  pages = await pageServer({ '/hls.html': hlsPage });
});

after(async () => {
  publisher?.kill();
  await browser?.close().catch(() => undefined);
  pages?.server.close();
  await server?.close();
});

const base = () => `${server.http}/terraform/v1/hooks/record/hls`;

async function text(url: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

const extinfs = (m3u8: string) => m3u8.split('\n').filter((l) => l.startsWith('#EXTINF:')).length;

test('a recording plays as HLS while it records, and whole once it is done', async (t) => {
  const name = randomName('rechls');
  publisher = publish(server.publishUrl(name), { seconds: SECONDS });
  const live = await waitRecording(server, name, (f) => f.state === 'recording' && f.duration >= 10, 30000, 'ten seconds recorded');
  const url = `${base()}/${live.uuid}/index.m3u8`;

  // The playlist so far.
  const p1 = await text(url);
  assert.equal(p1.status, 200, p1.body);
  assert.match(p1.type, /application\/vnd\.apple\.mpegurl/);
  const lines = p1.body.trim().split('\n');
  assert.equal(lines[0], '#EXTM3U');
  assert.ok(lines.includes('#EXT-X-VERSION:7'));
  assert.ok(lines.includes('#EXT-X-PLAYLIST-TYPE:EVENT'), p1.body);
  assert.ok(!lines.includes('#EXT-X-ENDLIST'), 'no ENDLIST while recording');
  const map = /^#EXT-X-MAP:URI="fragments\.mp4",BYTERANGE="(\d+)@0"$/.exec(lines.find((l) => l.startsWith('#EXT-X-MAP')) ?? '');
  assert.ok(map, p1.body);
  assert.ok(extinfs(p1.body) >= 1, p1.body);
  for (const l of lines.filter((x) => x.startsWith('#EXTINF:'))) assert.ok(Number(l.slice(8, -1)) >= 3.9 && Number(l.slice(8, -1)) <= 12, l);

  // The byte ranges: 206 with Content-Range; the first is the init segment, segments start with a moof.
  const frag = `${base()}/${live.uuid}/fragments.mp4`;
  const init = await fetch(frag, { headers: { Range: `bytes=0-${Number(map[1]) - 1}` } });
  assert.equal(init.status, 206);
  assert.match(init.headers.get('content-range') ?? '', new RegExp(`^bytes 0-${Number(map[1]) - 1}/\\d+$`));
  const initBytes = Buffer.from(await init.arrayBuffer());
  assert.equal(initBytes.toString('latin1', 4, 8), 'ftyp');
  const [len, off] = lines.find((l) => l.startsWith('#EXT-X-BYTERANGE:'))!.slice(17).split('@').map(Number);
  const seg = await fetch(frag, { headers: { Range: `bytes=${off}-${off! + len! - 1}` } });
  assert.equal(seg.status, 206);
  const segBytes = Buffer.from(await seg.arrayBuffer());
  assert.equal(segBytes.length, len);
  assert.equal(segBytes.toString('latin1', 4, 8), 'moof');
  assert.equal((await fetch(frag, { headers: { Range: 'bytes=999999999-' } })).status, 416);

  // Unknown ids and path tricks: 404 with a message naming the right path.
  for (const bad of [
    `${base()}/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/index.m3u8`,
    `${base()}/not-a-uuid/index.m3u8`,
    `${base()}/..%2F..%2F..%2Fetc%2Fpasswd.m3u8`,
    `${base()}/%2E%2E/index.m3u8`,
    `${base()}/${live.uuid}.txt`,
    `${base()}/..%2F${live.uuid}/fragments.mp4`,
  ]) {
    const r = await text(bad);
    assert.equal(r.status, 404, `${bad}: ${r.status} ${r.body}`);
    assert.match(r.body, /hls\/<uuid>|no API GET/, `${bad}: ${r.body}`);
  }

  // hls.js plays the recording in progress and decodes video.
  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${pages!.url}/hls.html?src=${encodeURIComponent(url)}`);
  const t0 = await waitFor(async () => {
    const c = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
    return c > 0.5 ? c : 0;
  }, 30000, 'hls.js to play the recording in progress');
  await sleep(3000);
  const seen = await page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames, errors: (window as unknown as { errors: string[] }).errors };
  });
  assert.ok(seen.t - t0 > 1.5, `currentTime ${t0} -> ${seen.t}`);
  assert.equal(`${seen.w}x${seen.h}`, '320x240');
  assert.ok(seen.frames > 30, `decoded ${seen.frames} frames`);
  assert.deepEqual(seen.errors, []);
  t.diagnostic(`hls.js played the recording in progress from ${t0.toFixed(1)} s to ${seen.t.toFixed(1)} s, ${seen.frames} frames decoded`);

  // The playlist grew; what was listed stays the same.
  const p2 = await text(url);
  assert.ok(extinfs(p2.body) > extinfs(p1.body), `${extinfs(p1.body)} -> ${extinfs(p2.body)} segments`);
  assert.ok(p2.body.startsWith(p1.body.trimEnd()), 'an EVENT playlist only grows');
  const before = Buffer.from(await (await fetch(frag, { headers: { Range: `bytes=0-${off! + len! - 1}` } })).arrayBuffer());

  // Done: VOD with ENDLIST, from index.mp4 and the skeleton, the same bytes, the whole duration.
  assert.equal(await withTimeout(publisher.exited, (SECONDS + 20) * 1000, () => publisher?.kill()), 0);
  const done: RecordFile = await waitRecording(server, name, (f) => f.state === 'done', 30000, 'the recording to finish');
  assert.equal(done.uuid, live.uuid);
  const dir = join(server.dataDir, 'record', done.uuid);
  assert.ok(!existsSync(join(dir, 'fragments.mp4')), 'the fragments are gone');
  assert.ok(existsSync(join(dir, 'fragments.skel')), 'the skeleton is kept');
  const p3 = await text(url);
  assert.equal(p3.status, 200, p3.body);
  assert.ok(p3.body.includes('#EXT-X-PLAYLIST-TYPE:VOD'), p3.body);
  assert.ok(p3.body.trimEnd().endsWith('#EXT-X-ENDLIST'), p3.body);
  const after = Buffer.from(await (await fetch(frag, { headers: { Range: `bytes=0-${off! + len! - 1}` } })).arrayBuffer());
  assert.ok(after.equals(before), 'the reassembled bytes are the bytes recorded');
  const total = p3.body.split('\n').filter((l) => l.startsWith('#EXTINF:')).reduce((s, l) => s + Number(l.slice(8, -1)), 0);
  assert.ok(Math.abs(total - SECONDS) <= 1, `EXTINF sum ${total}`);

  for (const src of [url, `${base()}/${done.uuid}.m3u8`]) {
    const info = await probe(src, ['-count_packets']);
    const v = info.streams.find((s) => s.codec_type === 'video') as { codec_name: string; nb_read_packets?: string } | undefined;
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], src);
    assert.ok(Math.abs(Number(info.format?.duration) - SECONDS) <= 1, `${src}: ffprobe duration ${info.format?.duration}`);
    assert.ok(Math.abs(Number(v?.nb_read_packets) - SECONDS * 25) <= 25, `${src}: ${v?.nb_read_packets} video packets`);
    t.diagnostic(`ffprobe through ${src.slice(server.http.length)}: ${info.format?.duration} s, ${v?.nb_read_packets} video packets`);
  }
  // The player that was watching while it recorded went on across the change of backing file.
  const later = await page.evaluate(() => ({ t: (document.getElementById('v') as HTMLVideoElement).currentTime, errors: (window as unknown as { errors: string[] }).errors }));
  assert.deepEqual(later.errors, [], 'no hls.js error across the end of the recording');
  assert.ok(later.t > seen.t + 3, `kept playing: ${seen.t} -> ${later.t}`);
  await page.close();
});
