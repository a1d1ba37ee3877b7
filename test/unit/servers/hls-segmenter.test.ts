// The HLS segmenter on real frames (ffmpeg's small.ts fixture): segments start on keyframes and are cut at the
// target duration, the playlist slides, and a republish is marked with EXT-X-DISCONTINUITY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support.js';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../../../src/core/frame.js';
import { TsDemuxer } from '../../../src/codecs/mpegts/demux.js';
import { parseMediaPlaylist } from '../../../src/codecs/m3u8.js';
import { HlsSegmenter } from '../../../src/servers/hls/segmenter.js';

function fixtureFrames(): Frame[] {
  const frames: Frame[] = [];
  const d = new TsDemuxer({ onFrame: (f) => frames.push(f) });
  d.push(readFileSync(fileURLToPath(new URL('../../../../test/fixtures/small.ts', import.meta.url))));
  d.flush();
  // Decode order by dts, headers first (the demuxer emits audio ahead of video).
  return frames.sort((a, b) => (a.header === b.header ? a.dts - b.dts : a.header ? -1 : 1));
}

test('segments start on keyframes, are cut at the target duration, and the playlist slides', () => {
  const frames = fixtureFrames(); // 2 s, keyframes at 0 s and 1 s
  const seg = new HlsSegmenter({ fragment: 0.5, window: 2, name: 's' });
  assert.equal(seg.playlist(), null);
  const t0 = frames.find((f) => !f.header)!.dts;
  for (let loop = 0; loop < 3; loop++) {
    for (const f of frames) seg.onFrame({ ...f, dts: f.dts - t0 + loop * 2000, pts: f.pts - t0 + loop * 2000 });
  }
  const pl = parseMediaPlaylist(seg.playlist()!);
  assert.equal(pl.segments.length, 2);
  assert.equal(pl.segments[0]!.uri, `s-${pl.mediaSequence}.ts`);
  for (const s of pl.segments) assert.ok(Math.abs(s.duration - 1) < 0.05, `duration ${s.duration}`);
  assert.ok(pl.targetDuration >= 1);
  const data = seg.segment(pl.mediaSequence)!.data;
  assert.equal(data.length % 188, 0);
  // The segment's first video frame is a keyframe: demux it back.
  const back: Frame[] = [];
  const d = new TsDemuxer({ onFrame: (f) => back.push(f) });
  d.push(data);
  d.flush();
  assert.equal(back.find((f) => f.type === 'video' && !f.header)?.keyframe, true);
});

test('a republish marks the next segment with a discontinuity', () => {
  const frames = fixtureFrames();
  const seg = new HlsSegmenter({ fragment: 0.5, window: 5, name: 'x' });
  const t0 = frames.find((f) => !f.header)!.dts;
  for (const f of frames) seg.onFrame({ ...f, dts: f.dts - t0, pts: f.pts - t0 });
  seg.onUnpublish();
  seg.onPublish(true);
  for (const f of frames) seg.onFrame({ ...f, dts: f.dts - t0 + 2020, pts: f.pts - t0 + 2020 });
  seg.onUnpublish();
  const text = seg.playlist()!;
  const pl = parseMediaPlaylist(text);
  assert.equal(pl.segments.length, 4);
  assert.deepEqual(pl.segments.map((s) => Boolean(s.discontinuity)), [false, false, true, false]);
});

function feed(seg: HlsSegmenter, loops: number, from = 0): void {
  const frames = fixtureFrames();
  const t0 = frames.find((f) => !f.header)!.dts;
  for (let loop = from; loop < from + loops; loop++) {
    for (const f of frames) {
      if (f.header && loop > 0) continue;
      seg.onFrame({ ...f, dts: f.dts - t0 + loop * 2000, pts: f.pts - t0 + loop * 2000 });
    }
  }
}

test('H.264 stays MPEG-TS by default; HLS_FMP4=on writes an init segment and .m4s segments', () => {
  const ts = new HlsSegmenter({ fragment: 0.5, window: 3, name: 's' });
  feed(ts, 2);
  assert.equal(ts.segmentFormat, 'ts');
  assert.doesNotMatch(ts.playlist()!, /EXT-X-MAP|m4s/);

  const seg = new HlsSegmenter({ fragment: 0.5, window: 3, name: 's', fmp4: 'on' });
  feed(seg, 3);
  const text = seg.playlist()!;
  assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:7\n/);
  assert.equal(text.match(/#EXT-X-MAP:URI="s-init0\.mp4"/g)?.length, 1);
  const pl = parseMediaPlaylist(text);
  assert.equal(pl.segments.length, 3);
  for (const s of pl.segments) {
    assert.equal(s.uri, `s-${s.uri.match(/-(\d+)\./)![1]}.m4s`);
    assert.equal(s.map, 's-init0.mp4');
    assert.ok(Math.abs(s.duration - 1) < 0.05, `duration ${s.duration}`);
  }
  const init = seg.init(0)!;
  assert.equal(init.toString('latin1', 4, 8), 'ftyp');
  const data = seg.segment(pl.mediaSequence)!.data;
  assert.equal(data.toString('latin1', 4, 8), 'moof');
  // the query (hls_ctx) reaches every URI, the map's too
  assert.match(seg.playlist('hls_ctx=a')!, /URI="s-init0\.mp4\?hls_ctx=a"[\s\S]*\.m4s\?hls_ctx=a\n/);
});

test('a republish in fMP4 gets a discontinuity and a new init segment', () => {
  const seg = new HlsSegmenter({ fragment: 0.5, window: 10, name: 'x', fmp4: 'on' });
  feed(seg, 1);
  seg.onUnpublish();
  seg.onPublish(true);
  feed(seg, 1);
  seg.onUnpublish();
  const text = seg.playlist()!;
  assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="x-init1\.mp4"\n/);
  assert.ok(seg.init(0) && seg.init(1));
});

test('low latency: parts add up to their segment, respect PART-TARGET, and a blocking wait answers when the part appears', async () => {
  const seg = new HlsSegmenter({ fragment: 1, window: 5, name: 'l', part: 0.2 });
  feed(seg, 3);
  const text = seg.playlist()!;
  assert.match(text, /#EXT-X-VERSION:9\n/);
  const target = Number(/#EXT-X-PART-INF:PART-TARGET=([\d.]+)/.exec(text)![1]);
  assert.equal(target, 0.2);
  assert.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0\.600\n/);
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="l-(\d+)\.(\d+)\.m4s"\n$/.exec(text);
  assert.ok(hint, text);
  // Each listed segment with parts: the parts' durations add up to it and their bytes make it.
  const lines = text.split('\n');
  let parts: { d: number; uri: string }[] = [];
  let checked = 0;
  for (let i = 0; i < lines.length; i++) {
    const p = /^#EXT-X-PART:DURATION=([\d.]+),URI="([^"]+)"/.exec(lines[i]!);
    if (p) {
      parts.push({ d: Number(p[1]), uri: p[2]! });
      assert.ok(Number(p[1]) <= target + 1e-9, `part ${p[2]} of ${p[1]} s over PART-TARGET`);
      continue;
    }
    const inf = /^#EXTINF:([\d.]+),/.exec(lines[i]!);
    if (inf && parts.length > 0) {
      const sum = parts.reduce((a, b) => a + b.d, 0);
      assert.ok(Math.abs(sum - Number(inf[1])) < 0.002, `parts ${sum} vs segment ${inf[1]}`);
      const seq = Number(/-(\d+)\.m4s/.exec(lines[i + 1]!)![1]);
      const whole = Buffer.concat(parts.map((_, k) => seg.part(seq, k)!.data));
      assert.ok(whole.equals(seg.segment(seq)!.data));
      assert.match(lines[i - parts.length]!, /INDEPENDENT=YES/);
      checked++;
      parts = [];
    }
  }
  assert.ok(checked >= 2, `checked ${checked} segments`);
  // A blocking wait for the hinted part resolves when it is written, not before.
  const [seq, part] = [Number(hint[1]), Number(hint[2])];
  let done = false;
  const wait = seg.waitFor(seq, part, 5000).then((ok) => ((done = true), ok));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  feed(seg, 1, 3);
  assert.equal(await wait, true);
  assert.ok(seg.part(seq, part));
  assert.equal(await seg.waitFor(seq + 50, 0, 10), false);
});

test('HEVC is fMP4 by itself (auto) with an hvc1 init segment, and TS when HLS_FMP4=off', () => {
  const frames: Frame[] = [];
  const d = new TsDemuxer({ onFrame: (f) => frames.push(f) });
  d.push(readFileSync(fileURLToPath(new URL('../../../../test/fixtures/small-hevc.ts', import.meta.url))));
  d.flush();
  frames.sort((a, b) => (a.header === b.header ? a.dts - b.dts : a.header ? -1 : 1));
  const t0 = frames.find((f) => !f.header)!.dts;
  const auto = new HlsSegmenter({ fragment: 0.5, window: 5, name: 'h' });
  const off = new HlsSegmenter({ fragment: 0.5, window: 5, name: 'h', fmp4: 'off' });
  for (const seg of [auto, off]) {
    for (const f of frames) seg.onFrame({ ...f, dts: f.dts - t0, pts: f.pts - t0 });
    seg.onUnpublish();
  }
  assert.equal(auto.segmentFormat, 'fmp4');
  assert.match(auto.playlist()!, /#EXT-X-MAP:URI="h-init0\.mp4"/);
  assert.ok(auto.init(0)!.includes(Buffer.from('hvcC')));
  // ffprobe reads init + segments as HEVC with every frame of the fixture
  const pl = parseMediaPlaylist(auto.playlist()!);
  const file = join(tempDir('hls-hevc-'), 'all.mp4');
  writeFileSync(file, Buffer.concat([auto.init(0)!, ...pl.segments.map((x) => auto.segment(Number(/-(\d+)\.m4s$/.exec(x.uri)![1]))!.data)]));
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file]);
  assert.equal(r.status, 0, r.stderr.toString());
  const st = (JSON.parse(r.stdout.toString()) as { streams: { codec_name: string; nb_read_frames: string }[] }).streams[0]!;
  assert.equal(st.codec_name, 'hevc');
  assert.equal(Number(st.nb_read_frames), frames.filter((f) => f.type === 'video' && !f.header).length);
  assert.equal(off.segmentFormat, 'ts');
  assert.match(off.playlist()!, /h-0\.ts\n/);
});

test('fMP4: an audio config that comes after the first keyframe (SRT, MPEG-TS in) makes the init hold both tracks', () => {
  const frames = fixtureFrames();
  const t0 = frames.find((f) => !f.header)!.dts;
  const audioHeader = frames.find((f) => f.header && f.type === 'audio')!;
  const seg = new HlsSegmenter({ fragment: 0.5, window: 10, name: 'late', fmp4: 'on' });
  let sentAudioHeader = false;
  let videoFrames = 0;
  for (const f of frames) {
    if (f === audioHeader) continue;
    if (!f.header && f.type === 'video' && ++videoFrames === 6 && !sentAudioHeader) {
      seg.onFrame(audioHeader); // arrives after five video frames
      sentAudioHeader = true;
    }
    if (!f.header && f.type === 'audio' && !sentAudioHeader) continue;
    seg.onFrame({ ...f, dts: f.dts - t0, pts: f.pts - t0 });
  }
  seg.onUnpublish();
  const pl = parseMediaPlaylist(seg.playlist()!);
  assert.ok(pl.segments.length >= 1);
  const init = seg.init(Number(/init(\d+)/.exec(pl.segments[0]!.map!)![1]))!;
  assert.equal((init.toString('latin1').match(/trak/g) ?? []).length, 2, 'the first listed segment has an init with video and audio');
  assert.doesNotMatch(seg.playlist()!, /DISCONTINUITY/, 'the video-only start was dropped, not listed');
});
