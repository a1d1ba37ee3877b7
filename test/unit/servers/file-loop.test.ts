// The in-process file loops on byte fixtures: a 1 s MP4 (H.264 with B-frames + AAC) and the small FLV loop
// at real-time pace (about as many ms of media as of wall clock), the sequence headers go out once, and the
// timestamps of each track only increase across the loops (each loop adds the file's duration). openFileLoop
// picks MP4, FLV, or FFmpeg for anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from '../../../src/core/frame.js';
import { FlvLoopSource } from '../../../src/servers/file-loop/flv-loop.js';
import { Mp4LoopSource } from '../../../src/servers/file-loop/mp4-loop.js';
import { openFileLoop } from '../../../src/servers/file-loop/index.js';
import type { FrameSource } from '../../../src/servers/frame-source.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../../test/fixtures/${name}`, import.meta.url));

async function collect(src: FrameSource, ms: number): Promise<{ frames: Frame[]; wallMs: number }> {
  const frames: Frame[] = [];
  const t0 = performance.now();
  await src.start((f) => frames.push(f));
  await new Promise((r) => setTimeout(r, ms));
  await src.stop();
  return { frames, wallMs: performance.now() - t0 };
}

function checkLoop(frames: Frame[], wallMs: number, minMediaMs: number): void {
  const headers = frames.filter((f) => f.header);
  const kinds = new Set(headers.map((h) => h.type));
  assert.equal(headers.length, kinds.size, 'each sequence header once');
  for (const type of ['video', 'audio'] as const) {
    const media = frames.filter((f) => f.type === type && !f.header);
    if (media.length === 0) continue;
    for (let i = 1; i < media.length; i++) assert.ok(media[i]!.dts > media[i - 1]!.dts, `${type} dts ${media[i - 1]!.dts} -> ${media[i]!.dts}`);
    for (const f of media) assert.ok(f.pts >= f.dts && Number.isInteger(f.dts));
  }
  const video = frames.filter((f) => f.type === 'video' && !f.header);
  const span = video[video.length - 1]!.dts - video[0]!.dts;
  assert.ok(span >= minMediaMs, `${span} ms of video`);
  // real-time pace: never far ahead of the clock (a frame may go out 20 ms early)
  assert.ok(span <= wallMs + 50, `${span} ms of media in ${wallMs} ms`);
  assert.ok(video[0]!.keyframe, 'starts on a keyframe');
}

test('MP4 loop: 1 s file, 2.6 s of wall clock: three loops, continuous timestamps, headers once', async () => {
  const src = await Mp4LoopSource.open(fixture('small-h264-aac.mp4'));
  const { frames, wallMs } = await collect(src, 2600);
  checkLoop(frames, wallMs, 2000);
  assert.ok(src.loops >= 2, `loops ${src.loops}`);
  const keys = frames.filter((f) => f.type === 'video' && f.keyframe).map((f) => f.dts);
  // keyframes every 0.5 s, and the second loop's first keyframe one movie duration after the first's
  assert.ok(keys.includes(0) && keys.some((k) => k > 1200 && k < 1300), keys.join(','));
  const audio = frames.filter((f) => f.type === 'audio' && !f.header);
  assert.equal(audio[0]!.sampleRate, 22050);
});

test('FLV loop: the small fixture loops with increasing timestamps', async () => {
  const src = new FlvLoopSource(fixture('small.flv'));
  const { frames, wallMs } = await collect(src, 2600);
  checkLoop(frames, wallMs, 1500);
  assert.ok(src.loops >= 1, `loops ${src.loops}`);
});

test('openFileLoop: MP4 and FLV in-process, anything else through FFmpeg; a file that is not FLV is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-loop-'));
  try {
    const mp4 = await openFileLoop(fixture('small-h264-aac.mp4'));
    assert.equal(mp4.mode, 'mp4');
    await mp4.source.stop();
    assert.equal((await openFileLoop(fixture('small.flv'))).mode, 'flv');
    const ts = await openFileLoop(fixture('small.ts'));
    assert.equal(ts.mode, 'ffmpeg');
    assert.match(ts.why, /not an MP4 or FLV/);
    const broken = join(dir, 'broken.mp4');
    writeFileSync(broken, Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from('ftypisom'), Buffer.alloc(4)]));
    const b = await openFileLoop(broken);
    assert.equal(b.mode, 'ffmpeg');
    assert.match(b.why, /no moov box/);
    const notFlv = new FlvLoopSource(join(dir, 'x.flv'));
    writeFileSync(join(dir, 'x.flv'), 'hello');
    await assert.rejects(notFlv.start(() => undefined), /not an FLV file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
