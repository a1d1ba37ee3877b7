// The HLS segmenter on real frames (ffmpeg's small.ts fixture): segments start on keyframes and are cut at the
// target duration, the playlist slides, and a republish is marked with EXT-X-DISCONTINUITY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
