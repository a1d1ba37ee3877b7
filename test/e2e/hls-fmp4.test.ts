// HLS in fragmented MP4 and low-latency HLS, with real clients: ffprobe reads the fMP4 playlist (codec, size)
// and the segments (frame count matching the playlist's durations), hls.js in Chromium plays both, the LL
// playlist follows the rules a test can check (parts add up to segments, none over PART-TARGET, a blocking
// reload answers with the part it waited for), and the latency from the server's receipt of a frame (its
// segment's EXT-X-PROGRAM-DATE-TIME) to the player's position is measured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { parseMediaPlaylist } from '../../src/codecs/m3u8.js';
import { probe, publish, randomName, run, startServer, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { launchBrowser, pageServer } from './browser.js';

let fmp4: TestServer;
let ll: TestServer;
const publishers: Proc[] = [];
let browser: Browser;
let pages: { url: string; server: Server };
const name = randomName('fmp4');

const hlsPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/hls.min.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const q = new URLSearchParams(location.search);
  const low = q.get('ll') === '1';
  const hls = window.hls = new Hls(low ? { lowLatencyMode: true } : { liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
  hls.loadSource(q.get('src'));
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`;

before(async () => {
  [fmp4, ll] = await Promise.all([
    startServer({ HLS_FMP4: 'on', HLS_FRAGMENT: '1', HLS_WINDOW: '5' }),
    startServer({ HLS_LL: 'on', HLS_FRAGMENT: '1', HLS_WINDOW: '6', HLS_PART_MS: '200' }),
  ]);
  publishers.push(publish(fmp4.publishUrl(name)), publish(ll.publishUrl(name)));
  pages = await pageServer({ '/hls.html': hlsPage });
  browser = await launchBrowser();
});

after(async () => {
  for (const p of publishers) p.kill();
  await browser?.close();
  pages?.server.close();
  await Promise.all([fmp4?.close(), ll?.close()]);
});

/** The media playlist behind the hls_ctx redirect. */
async function mediaPlaylist(base: string, extra = ''): Promise<{ url: string; text: string }> {
  const first = await (await fetch(`${base}/live/${name}.m3u8`)).text();
  const uri = first.split('\n').find((l) => l && !l.startsWith('#'))!;
  const url = `${base}/live/${uri}${extra}`;
  return { url, text: await (await fetch(url)).text() };
}

async function playAndWatch(src: string, lowLatency: boolean): Promise<number[]> {
  const page = await browser.newPage();
  try {
    await page.goto(`${pages.url}/hls.html?ll=${lowLatency ? 1 : 0}&src=${encodeURIComponent(src)}`);
    const t0 = await waitFor(async () => {
      const t = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
      return t > 0.5 ? t : 0;
    }, 30000, 'hls.js to start playing');
    const latencies: number[] = [];
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 500));
      // playingDate: the EXT-X-PROGRAM-DATE-TIME of the playing position (LL playlists carry it)
      const l = await page.evaluate(() => {
        const d = (window as unknown as { hls: { playingDate: Date | null } }).hls.playingDate;
        return d ? Date.now() - d.getTime() : null;
      });
      if (l !== null) latencies.push(l);
    }
    const t1 = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
    assert.ok(t1 - t0 > 3, `currentTime went from ${t0} to ${t1}`);
    const size = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      return [v.videoWidth, v.videoHeight];
    });
    assert.deepEqual(size, [320, 240]);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { errors: string[] }).errors), []);
    return latencies;
  } finally {
    await page.close();
  }
}

test('fMP4 HLS of H.264: ffprobe reads the playlist and the segments hold the frames the playlist says', async () => {
  await waitFor(async () => {
    const r = await fetch(`${fmp4.http}/live/${name}.m3u8`);
    if (!r.ok) return false;
    return parseMediaPlaylist((await mediaPlaylist(fmp4.http)).text).segments.length >= 3;
  }, 30000, 'three fMP4 segments');
  const { url, text } = await mediaPlaylist(fmp4.http);
  assert.match(text, /#EXT-X-VERSION:7\n/);
  const pl = parseMediaPlaylist(text);
  assert.ok(pl.segments.every((s) => s.uri.includes('.m4s') && s.map?.includes('-init0.mp4')), text);

  const p = await probe(url);
  const video = p.streams.find((s) => s.codec_type === 'video');
  const audio = p.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.deepEqual([video?.width, video?.height], [320, 240]);
  assert.equal(audio?.codec_name, 'aac');

  // The init segment and the listed segments, end to end, make one fMP4 file: count its frames.
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  const parts: Buffer[] = [Buffer.from(await (await fetch(base + pl.segments[0]!.map!)).arrayBuffer())];
  for (const s of pl.segments) {
    const r = await fetch(base + s.uri);
    assert.equal(r.status, 200, s.uri);
    assert.equal(r.headers.get('content-type'), 'video/iso.segment');
    parts.push(Buffer.from(await r.arrayBuffer()));
  }
  const file = join(tempDir('hls-fmp4-'), 'all.mp4');
  writeFileSync(file, Buffer.concat(parts));
  const c = run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,codec_name,width,height', '-of', 'json', file]);
  assert.equal(await withTimeout(c.exited, 30000, () => c.kill()), 0, c.stderr());
  const counted = (JSON.parse(c.stdout().toString()) as { streams: { nb_read_frames: string }[] }).streams[0]!.nb_read_frames;
  const expected = Math.round(pl.segments.reduce((a, s) => a + s.duration, 0) * 25);
  assert.equal(Number(counted), expected);

  // Wrong names get a 404, not a crash.
  for (const bad of [`${name}-init99.mp4`, `${name}-999999.m4s`, `${name}-1.999.m4s`, `..%2f${name}-0.m4s`]) {
    const r = await fetch(`${fmp4.http}/live/${bad}`);
    assert.equal(r.status, 404, bad);
  }
});

test('hls.js plays the fMP4 HLS output in Chromium', async () => {
  await playAndWatch(`${fmp4.http}/live/${name}.m3u8`, false);
});

test('LL-HLS: parts add up to segments within PART-TARGET, and a blocking reload answers with the part', async () => {
  await waitFor(async () => (await fetch(`${ll.http}/live/${name}.m3u8`)).ok && /#EXT-X-PART:.*\n#EXTINF[\s\S]*#EXT-X-PART:.*\n#EXTINF/.test((await mediaPlaylist(ll.http)).text), 30000, 'LL playlist');
  const { url, text } = await mediaPlaylist(ll.http);
  assert.match(text, /#EXT-X-VERSION:9\n/);
  assert.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=/);
  assert.match(text, /#EXT-X-PROGRAM-DATE-TIME:\d{4}-/);
  const target = Number(/#EXT-X-PART-INF:PART-TARGET=([\d.]+)/.exec(text)![1]);
  assert.equal(target, 0.2);
  const lines = text.split('\n');
  let parts: number[] = [];
  let checked = 0;
  for (const line of lines) {
    const p = /^#EXT-X-PART:DURATION=([\d.]+),/.exec(line);
    if (p) {
      assert.ok(Number(p[1]) <= target, `${line} over PART-TARGET`);
      parts.push(Number(p[1]));
    }
    const inf = /^#EXTINF:([\d.]+),/.exec(line);
    if (inf) {
      if (parts.length > 0) {
        const sum = parts.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - Number(inf[1])) < 0.01, `parts add up to ${sum}, the segment is ${inf[1]}`);
        checked++;
      }
      parts = [];
    }
  }
  assert.ok(checked >= 1);

  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="[^"]*-(\d+)\.(\d+)\.m4s[^"]*"/.exec(text)!;
  const [msn, part] = [Number(hint[1]), Number(hint[2])];
  const blocked = await (await fetch(`${url}&_HLS_msn=${msn}&_HLS_part=${part}`)).text();
  assert.match(blocked, new RegExp(`URI="[^"]*-${msn}\\.${part}\\.m4s`));
  // the part the hint names is served (waiting for it if needed), and its bytes are an fMP4 fragment
  const nextHint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(blocked)![1]!;
  const r = await fetch(url.slice(0, url.lastIndexOf('/') + 1) + nextHint);
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(await r.arrayBuffer()).toString('latin1', 4, 8), 'moof');
  // too far ahead: refused
  const far = await fetch(`${url}&_HLS_msn=${msn + 100}`);
  assert.equal(far.status, 400);
  const garbage = await fetch(`${url}&_HLS_msn=abc&_HLS_part=-5`);
  assert.equal(garbage.status, 400);
});

test('hls.js plays LL-HLS in low-latency mode; latency from the server to the player is measured', async () => {
  const latencies = await playAndWatch(`${ll.http}/live/${name}.m3u8`, true);
  assert.ok(latencies.length > 5, `latencies ${latencies}`);
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`# LL-HLS latency server->hls.js, ms: p50 ${p50}, min ${sorted[0]}, max ${sorted[sorted.length - 1]} (${sorted.length} samples)`);
  assert.ok(p50 > 0);
});
