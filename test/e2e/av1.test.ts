// AV1 over Enhanced RTMP: FFmpeg (libaom-av1; mpegts.js 1.8.2 fails on libsvtav1's sequence header, "readBits()
// bits exceeded") writes an MP4 (for its av1C) and an IVF (the temporal units);
// our RTMP client publishes them as Enhanced RTMP (FourCC av01), and the stream comes back from us as
// Enhanced HTTP-FLV (read by our FLV demuxer, and by mpegts.js in headless Chromium, which plays AV1) and over
// Enhanced RTMP to our RTMP client, every frame with the same bytes and keyframe flags, and as the MP4
// recording (av01 + av1C) that ffprobe decodes frame by frame.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { VideoCodec, type Frame } from '../../src/core/frame.js';
import { FlvDemuxer } from '../../src/codecs/flv.js';
import { RtmpClient } from '../../src/servers/rtmp/client.js';
import { launchBrowser, pageServer } from './browser.js';
import { probe, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';
import { startRecordServer, waitRecording, type RecordServer } from './record-helpers.js';

const FRAMES = 100; // 4 s at 25 fps
let server: RecordServer;
let browser: Browser | null = null;
const procs: Proc[] = [];
const clients: RtmpClient[] = [];

before(async () => {
  server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' });
  assert.equal((await server.api('/terraform/v1/hooks/record/globs', { globs: ['/live/*'] })).status, 200);
  assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
});

after(async () => {
  for (const p of procs) p.kill();
  for (const c of clients) c.close();
  await browser?.close().catch(() => undefined);
  await server?.close();
});

async function ffmpeg(args: string[]): Promise<void> {
  const p = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  procs.push(p);
  assert.equal(await withTimeout(p.exited, 60000, () => p.kill()), 0, p.stderr());
}

/** A temporal unit is a key frame when a frame (header) OBU in it is a shown KEY_FRAME (AV1 spec 5.9.2). */
function isKeyTemporalUnit(tu: Buffer): boolean {
  let p = 0;
  while (p < tu.length) {
    const h = tu[p];
    const type = (h >> 3) & 0x0f;
    p += 1 + ((h >> 2) & 1);
    let size = 0;
    for (let i = 0; i < 8; i++) {
      const b = tu[p++];
      size |= (b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    if (type === 3 || type === 6) return (tu[p] & 0x80) === 0 && ((tu[p] >> 5) & 0x03) === 0;
    p += size;
  }
  return false;
}

/** av1C (from the MP4) and the IVF's temporal units as frames. */
async function makeAv1Frames(dir: string): Promise<{ header: Frame; frames: Frame[] }> {
  const mp4 = join(dir, 'av1.mp4');
  const ivf = join(dir, 'av1.ivf');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8', '-g', '25', mp4]);
  await ffmpeg(['-i', mp4, '-c', 'copy', '-f', 'ivf', ivf]);
  const m = readFileSync(mp4);
  const at = m.indexOf('av1C');
  assert.ok(at > 4, 'ffmpeg wrote an av1C');
  const av1c = m.subarray(at + 4, at - 4 + m.readUInt32BE(at - 4));
  const header: Frame = { type: 'video', codec: VideoCodec.AV1, dts: 0, pts: 0, keyframe: true, header: true, data: av1c };
  const f = readFileSync(ivf);
  assert.equal(f.toString('latin1', 0, 4), 'DKIF');
  const rate = f.readUInt32LE(16);
  const scale = f.readUInt32LE(20);
  const frames: Frame[] = [];
  for (let p = f.readUInt16LE(6); p + 12 <= f.length; ) {
    const size = f.readUInt32LE(p);
    const ms = Math.round((Number(f.readBigUInt64LE(p + 4)) * 1000 * scale) / rate);
    const data = f.subarray(p + 12, p + 12 + size);
    frames.push({ type: 'video', codec: VideoCodec.AV1, dts: ms, pts: ms, keyframe: isKeyTemporalUnit(data), header: false, data });
    p += 12 + size;
  }
  return { header, frames };
}

const flvPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/mpegts.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const src = new URLSearchParams(location.search).get('src');
  const p = mpegts.createPlayer({ type: 'flv', isLive: true, hasAudio: false, url: src });
  p.on(mpegts.Events.ERROR, (t, d) => window.errors.push(t + ':' + d));
  p.attachMediaElement(v);
  p.load();
  v.play().catch(() => {});
</script>`;

test('AV1 over Enhanced RTMP from our client: Enhanced HTTP-FLV (our demuxer, mpegts.js in Chromium) Enhanced RTMP play and the MP4 recording', async (t) => {
  const { header, frames } = await makeAv1Frames(tempDir('srs-node-av1-'));
  assert.equal(frames.length, FRAMES);
  assert.ok(frames[0]!.keyframe && frames.filter((f) => f.keyframe).length >= 4, 'a key frame every 25');
  const name = randomName('av1');
  const pub = new RtmpClient();
  clients.push(pub);
  await pub.open(server.publishUrl(name), 'publish');
  assert.ok(pub.serverFourCcs.includes('av01'));
  pub.sendFrame(header);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.videoHeader), 10000, 'the stream');
  const info = server.app.hub.list().find((s) => s.url.stream === name)!;
  assert.equal(info.videoHeader!.codec, VideoCodec.AV1);

  // Viewers before the media: our FLV demuxer over HTTP-FLV and our RTMP player.
  const flvFrames: Frame[] = [];
  const demux = new FlvDemuxer({ onFrame: (f) => flvFrames.push(f) });
  const ac = new AbortController();
  const res = await fetch(`${server.http}/live/${name}.flv`, { signal: ac.signal });
  const reading = (async () => {
    try {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) demux.push(Buffer.from(c));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  })();
  const player = new RtmpClient();
  clients.push(player);
  const played: Frame[] = [];
  player.frame.on((f) => played.push(f));
  await player.open(`${server.rtmp}/live/${name}`, 'play');
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name)!.listViewers().length >= 2, 10000, 'two viewers');

  // In real time, looped twice so that the browser has time to start.
  browser = await launchBrowser();
  const pages = await pageServer({ '/flv.html': flvPage });
  const page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  try {
    await page.goto(`${pages.url}/flv.html?src=${encodeURIComponent(`${server.http}/live/${name}.flv`)}`);
    const t0 = Date.now();
    for (let loop = 0; loop < 2; loop++) {
      for (const f of frames) {
        const dts = f.dts + loop * FRAMES * 40;
        const wait = dts - (Date.now() - t0);
        if (wait > 0) await sleep(wait);
        pub.sendFrame({ ...f, dts, pts: dts });
      }
    }
    // mpegts.js reads the Enhanced av01 sequence start (its own log line) and feeds MSE av01 fMP4.
    assert.ok(consoleLines.some((l) => l.includes('Parsed AV1DecoderConfigurationRecord')), consoleLines.slice(-8).join(' | '));
    const decodes = await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="av01.0.00M.08"'));
    const [time, width, height] = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      return [v.currentTime, v.videoWidth, v.videoHeight];
    });
    t.diagnostic(`mpegts.js in Chromium: MSE av01 ${decodes}; after 8 s currentTime ${time}, ${width}x${height}`);
    if (decodes) {
      assert.ok(time > 2, `mpegts.js plays AV1: currentTime ${time}`);
      assert.deepEqual([width, height], [320, 240]);
    }
    assert.deepEqual(await page.evaluate(() => (window as unknown as { errors: string[] }).errors), []);
  } finally {
    await page.close();
    pages.server.close();
  }
  await sleep(500);
  // HLS of AV1 is fMP4 (EXT-X-MAP init with av1C, then .m4s): ffprobe reads the init and the segments as AV1.
  let base = new URL(`${server.http}/live/${name}.m3u8`);
  let m3u8 = await (await fetch(base)).text();
  if (m3u8.includes('#EXT-X-STREAM-INF')) {
    base = new URL(m3u8.split('\n').find((l) => l && !l.startsWith('#'))!, base);
    m3u8 = await (await fetch(base)).text();
  }
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(m3u8);
  const segUrls = m3u8.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(map && segUrls.length >= 1 && segUrls.every((u) => /\.m4s(\?|$)/.test(u)), `AV1 HLS is fMP4:\n${m3u8}`);
  const hlsFile = join(tempDir('srs-node-av1-hls-'), 'hls.mp4');
  writeFileSync(hlsFile, Buffer.concat(await Promise.all([map[1]!, ...segUrls].map(async (u) => Buffer.from(await (await fetch(new URL(u, base))).arrayBuffer())))));
  const hp = await probe(hlsFile, ['-count_frames', '-select_streams', 'v']);
  const hv = hp.streams[0] as unknown as { codec_name: string; codec_tag_string: string; width: number; height: number; nb_read_frames: string };
  assert.deepEqual([hv.codec_name, hv.codec_tag_string, hv.width, hv.height], ['av1', 'av01', 320, 240]);
  assert.ok(Number(hv.nb_read_frames) >= 25, `HLS segments hold ${hv.nb_read_frames} frames`);
  t.diagnostic(`HLS (fMP4) ${segUrls.length} segments, ${hv.nb_read_frames} frames`);
  ac.abort();
  await reading;
  pub.close();

  for (const [what, got] of [['HTTP-FLV', flvFrames], ['RTMP play', played]] as const) {
    const head = got.find((f) => f.type === 'video' && f.header);
    assert.ok(head && head.codec === VideoCodec.AV1 && head.data.equals(header.data), `${what}: the av1C comes back`);
    const media = got.filter((f) => f.type === 'video' && !f.header).slice(0, FRAMES);
    assert.equal(media.length, FRAMES, `${what}: every frame`);
    assert.deepEqual(media.map((f) => [f.codec, f.dts, f.keyframe]), frames.map((f) => [VideoCodec.AV1, f.dts, f.keyframe]), what);
    assert.ok(media.every((f, i) => f.data.equals(frames[i]!.data)), `${what}: the same OBUs`);
  }

  // The MP4 recording: av01 with the av1C as published, every frame of both loops.
  const rec = await waitRecording(server, name, (f) => f.state === 'done' || f.state === 'failed', 30000);
  assert.equal(rec.state, 'done', JSON.stringify(rec));
  const mp4 = Buffer.from(await (await fetch(rec.url)).arrayBuffer());
  const at = mp4.indexOf('av1C');
  assert.ok(at > 4 && mp4.subarray(at + 4, at - 4 + mp4.readUInt32BE(at - 4)).equals(header.data), 'the av1C as published');
  const probed = await probe(rec.url, ['-count_frames', '-select_streams', 'v']);
  const v = probed.streams[0] as unknown as { codec_name: string; codec_tag_string: string; width: number; height: number; nb_read_frames: string };
  assert.deepEqual([v.codec_name, v.codec_tag_string, v.width, v.height, Number(v.nb_read_frames)], ['av1', 'av01', 320, 240, 2 * FRAMES]);
  t.diagnostic(`MP4 recording ${mp4.length} bytes, ${v.nb_read_frames} frames`);
});
