// HEVC end to end over Enhanced RTMP. Debian's FFmpeg 5.1 cannot publish Enhanced RTMP, so our RTMP client is
// the publisher: FFmpeg (libx265 + AAC) makes an MPEG-TS file, our TS demuxer turns it into frames, and the
// client sends them as Enhanced RTMP (FourCC hvc1). FFprobe reads the stream back from us as HTTP-TS (stream
// type 0x24), as HLS segments (fMP4) and as the MP4 recording (hvc1, VPS/SPS/PPS in hvcC) with the right codec,
// size and frame count; our RTMP client plays it back over Enhanced RTMP. Then FFmpeg publishes HEVC over
// SRT and the Enhanced HTTP-FLV output is read by our FLV demuxer and by mpegts.js in headless Chromium.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { AudioCodec, VideoCodec, type Frame } from '../../src/core/frame.js';
import { FlvDemuxer } from '../../src/codecs/flv.js';
import { parseHevcDecoderConfig } from '../../src/codecs/h265.js';
import { TsDemuxer } from '../../src/codecs/mpegts/demux.js';
import { RtmpClient } from '../../src/servers/rtmp/client.js';
import { launchBrowser, pageServer } from './browser.js';
import { probe, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';
import { startRecordServer, waitRecording, type RecordServer } from './record-helpers.js';

const FRAMES = 150; // 6 s at 25 fps
let server: RecordServer;
let dir: string;
let browser: Browser | null = null;
const procs: Proc[] = [];
const clients: RtmpClient[] = [];

/** ffmpeg -> MPEG-TS file of 320x240 HEVC (1 s GOP, B-frames) + AAC; returns its frames, demuxed by us. */
async function makeHevcFrames(): Promise<Frame[]> {
  const file = join(dir, 'hevc.ts');
  const p = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-pix_fmt', 'yuv420p',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:bframes=2:log-level=error',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'mpegts', file,
  ]);
  procs.push(p);
  assert.equal(await withTimeout(p.exited, 60000, () => p.kill()), 0, p.stderr());
  const frames: Frame[] = [];
  const d = new TsDemuxer({ onFrame: (f) => frames.push(f) });
  d.push(readFileSync(file));
  d.flush();
  return frames;
}

before(async () => {
  dir = tempDir('srs-node-hevc-');
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

/** Reads an HTTP response body until it ends or `stop` resolves. */
async function collect(url: string, stop: Promise<void>): Promise<Buffer> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  assert.equal(res.status, 200, `GET ${url}`);
  const chunks: Buffer[] = [];
  void stop.then(() => setTimeout(() => ac.abort(), 1500));
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
  return Buffer.concat(chunks);
}

async function countFrames(file: string): Promise<{ codec: string; tag: string; width: number; height: number; frames: number }> {
  const info = await probe(file, ['-count_frames', '-select_streams', 'v']);
  const v = info.streams[0] as unknown as { codec_name: string; codec_tag_string: string; width: number; height: number; nb_read_frames: string };
  return { codec: v.codec_name, tag: v.codec_tag_string, width: v.width, height: v.height, frames: Number(v.nb_read_frames) };
}

test('HEVC + AAC over Enhanced RTMP from our client: HTTP-TS, HLS, MP4 recording and Enhanced RTMP play read it back', async (t) => {
  const frames = await makeHevcFrames();
  const video = frames.filter((f) => f.type === 'video' && !f.header);
  assert.equal(video.length, FRAMES, 'the TS demuxer reads every HEVC frame ffmpeg wrote');
  assert.ok(frames.some((f) => f.type === 'video' && f.header && f.codec === VideoCodec.H265));
  assert.ok(frames.some((f) => f.type === 'audio' && f.header && f.codec === AudioCodec.AAC));
  const name = randomName('hevc');

  const pub = new RtmpClient();
  clients.push(pub);
  await pub.open(server.publishUrl(name), 'publish');
  assert.ok(pub.serverFourCcs.includes('hvc1'), `the connect _result lists hvc1 in fourCcList: ${pub.serverFourCcs.join(',')}`);
  // The sequence headers first; the viewers join before any media so that they get every frame.
  const firstMedia = frames.findIndex((f) => !f.header);
  for (const f of frames.slice(0, firstMedia)) pub.sendFrame(f);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.videoHeader), 10000, 'the stream');

  let done!: () => void;
  const published = new Promise<void>((r) => (done = r));
  const tsBody = collect(`${server.http}/live/${name}.ts`, published);
  const player = new RtmpClient();
  clients.push(player);
  const played: Frame[] = [];
  player.frame.on((f) => played.push(f));
  await player.open(`${server.rtmp}/live/${name}`, 'play');
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name)!.listViewers().length >= 2, 10000, 'two viewers');

  // Media at 2x real time (HLS cuts segments on timestamps, not on the wall clock).
  const t0 = Date.now();
  for (const f of frames.slice(firstMedia)) {
    const wait = f.dts / 2 - (Date.now() - t0);
    if (wait > 0) await sleep(wait);
    pub.sendFrame(f);
  }
  await sleep(1000);
  // HLS while the stream is live: every segment in the playlist, concatenated.
  let base = new URL(`${server.http}/live/${name}.m3u8`);
  let m3u8 = await (await fetch(base)).text();
  if (m3u8.includes('#EXT-X-STREAM-INF')) {
    // the per-viewer hls_ctx redirect: the media playlist is the one line that is not a tag
    base = new URL(m3u8.split('\n').find((l) => l && !l.startsWith('#'))!, base);
    m3u8 = await (await fetch(base)).text();
  }
  const segUrls = m3u8.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(segUrls.length >= 2, `HLS playlist has segments:\n${m3u8}`);
  // HEVC is HLS in fMP4 (hls.js and Safari read HEVC only there): the EXT-X-MAP init segment, then the .m4s.
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(m3u8);
  assert.ok(map && segUrls.every((u) => /\.m4s(\?|$)/.test(u)), `HEVC HLS is fMP4:\n${m3u8}`);
  const segs = await Promise.all([map[1]!, ...segUrls].map(async (u) => Buffer.from(await (await fetch(new URL(u, base))).arrayBuffer())));
  const hlsFile = join(dir, 'hls.mp4');
  writeFileSync(hlsFile, Buffer.concat(segs));
  pub.close();
  done();

  // HTTP-TS: stream type 0x24 (HEVC) in the PMT, every frame.
  const ts = await tsBody;
  const tsFile = join(dir, 'http.ts');
  writeFileSync(tsFile, ts);
  const httpTs = await countFrames(tsFile);
  // FFmpeg's MPEG-TS demuxer reports the PMT stream_type as the codec tag: 0x24 = 36 is HEVC.
  assert.deepEqual([httpTs.codec, httpTs.tag, httpTs.width, httpTs.height, httpTs.frames], ['hevc', '[36][0][0][0]', 320, 240, FRAMES]);

  const hls = await countFrames(hlsFile);
  assert.deepEqual([hls.codec, hls.tag, hls.width, hls.height], ['hevc', 'hvc1', 320, 240]);
  assert.ok(hls.frames >= 100 && hls.frames <= FRAMES, `HLS segments hold ${hls.frames} frames`);

  // Enhanced RTMP play: every frame back, as H.265, with its composition time.
  await waitFor(() => played.filter((f) => f.type === 'video' && !f.header).length >= FRAMES, 10000, 'the RTMP player');
  const back = played.filter((f) => f.type === 'video' && !f.header);
  assert.ok(back.every((f) => f.codec === VideoCodec.H265));
  assert.deepEqual(back.map((f) => [f.dts, f.pts, f.keyframe]), video.map((f) => [Math.round(f.dts), Math.round(f.pts), f.keyframe]));
  assert.ok(back.some((f) => f.pts !== f.dts), 'B-frames keep their composition time');
  assert.ok(played.some((f) => f.type === 'video' && f.header && f.codec === VideoCodec.H265));
  assert.ok(played.some((f) => f.type === 'audio' && !f.header && f.codec === AudioCodec.AAC));

  // The MP4 recording: hvc1 with VPS, SPS and PPS in hvcC.
  const rec = await waitRecording(server, name, (f) => f.state === 'done' || f.state === 'failed', 30000);
  assert.equal(rec.state, 'done', JSON.stringify(rec));
  const mp4 = Buffer.from(await (await fetch(rec.url)).arrayBuffer());
  const mp4File = join(dir, 'rec.mp4');
  writeFileSync(mp4File, mp4);
  const m = await countFrames(mp4File);
  assert.deepEqual([m.codec, m.tag, m.width, m.height, m.frames], ['hevc', 'hvc1', 320, 240, FRAMES]);
  const at = mp4.indexOf('hvcC');
  assert.ok(at > 4, 'an hvcC box');
  const cfg = parseHevcDecoderConfig(mp4.subarray(at + 4, at - 4 + mp4.readUInt32BE(at - 4)));
  assert.deepEqual([cfg.vps.length > 0, cfg.sps.length > 0, cfg.pps.length > 0], [true, true, true]);
  t.diagnostic(`HTTP-TS ${ts.length} bytes, ${httpTs.frames} frames; HLS ${segUrls.length} segments, ${hls.frames} frames; MP4 ${mp4.length} bytes, ${m.frames} frames; RTMP play ${back.length} frames`);
});

const flvPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/mpegts.js"></script>
<script>
  window.errors = [];
  window.info = null;
  const v = document.getElementById('v');
  const src = new URLSearchParams(location.search).get('src');
  const p = mpegts.createPlayer({ type: 'flv', isLive: true, url: src });
  p.on(mpegts.Events.ERROR, (t, d) => window.errors.push(t + ':' + d));
  p.on(mpegts.Events.MEDIA_INFO, (i) => { window.info = { videoCodec: i.videoCodec, width: i.width, height: i.height, mimeType: i.mimeType }; });
  p.attachMediaElement(v);
  p.load();
  v.play().catch(() => {});
</script>`;

test('HEVC over SRT from ffmpeg -> Enhanced HTTP-FLV: our FLV demuxer and mpegts.js in Chromium read it', async (t) => {
  const name = randomName('srthevc');
  const p = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '30', '-pix_fmt', 'yuv420p',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:log-level=error', '-c:a', 'aac', '-b:a', '64k',
    '-f', 'mpegts', `srt://127.0.0.1:${server.app.srtPort}?streamid=#!::r=live/${name}?secret=${server.secret},m=publish&latency=120000`,
  ]);
  procs.push(p);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 30), 20000, 'the SRT publish').catch((e: Error) => {
    const warnings = server.logs().filter((l) => Number(l.level) >= 40).slice(-5);
    throw new Error(`${e.message}; ffmpeg: ${p.stderr()}; server warnings: ${JSON.stringify(warnings)}`);
  });

  // Our demuxer: Enhanced hvc1 sequence start and coded frames.
  const frames: Frame[] = [];
  const demux = new FlvDemuxer({ onFrame: (f) => frames.push(f) });
  const ac = new AbortController();
  const res = await fetch(`${server.http}/live/${name}.flv`, { signal: ac.signal });
  const raw: Buffer[] = [];
  const reading = (async () => {
    try {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
        raw.push(Buffer.from(c));
        demux.push(Buffer.from(c));
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  })();
  await waitFor(() => frames.filter((f) => f.type === 'video' && !f.header).length >= 50, 15000, 'FLV frames');
  ac.abort();
  await reading;
  const head = frames.find((f) => f.type === 'video' && f.header)!;
  assert.equal(head.codec, VideoCodec.H265);
  const cfg = parseHevcDecoderConfig(head.data);
  assert.deepEqual([cfg.width, cfg.height], [320, 240]);
  assert.ok(frames.filter((f) => f.type === 'video' && !f.header).every((f) => f.codec === VideoCodec.H265));
  const body = Buffer.concat(raw);
  assert.equal(body[13], 0x09, 'the first tag is the video sequence start');
  assert.equal(body[13 + 11] & 0x80, 0x80, 'IsExHeader set');
  assert.equal(body.toString('latin1', 13 + 12, 13 + 16), 'hvc1');

  // mpegts.js: it parses the Enhanced FLV (media info says hvc1, 320x240); it plays where Chromium decodes HEVC.
  browser = await launchBrowser();
  const pages = await pageServer({ '/flv.html': flvPage });
  const page = await browser.newPage();
  try {
    await page.goto(`${pages.url}/flv.html?src=${encodeURIComponent(`${server.http}/live/${name}.flv`)}`);
    const info = await waitFor(() => page.evaluate(() => (window as unknown as { info: { videoCodec: string; width: number; height: number; mimeType: string } | null }).info), 20000, 'mpegts.js media info');
    assert.match(info.videoCodec, /^hvc1\./);
    assert.deepEqual([info.width, info.height], [320, 240]);
    const decodes = await page.evaluate((c) => MediaSource.isTypeSupported(`video/mp4; codecs="${c}"`), info.videoCodec);
    t.diagnostic(`mpegts.js: ${JSON.stringify(info)}; Chromium MSE supports it: ${decodes}`);
    if (decodes) {
      await waitFor(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 1), 20000, 'playback');
      assert.deepEqual(await page.evaluate(() => (window as unknown as { errors: string[] }).errors), []);
    }
  } finally {
    await page.close();
    pages.server.close();
    p.kill();
  }
});
