// FFmpeg's -progress key=value blocks -> FfmpegProgress, on the exact text FFmpeg 5.1 writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FfmpegProgressParser, type FfmpegProgress } from '../../../src/servers/ffmpeg/progress.js';

// ffmpeg -nostats -progress pipe:3 -f lavfi -i testsrc=size=160x120:rate=25 -t 1 -c:v libx264 -f flv x.flv
const TEXT = [
  'frame=0', 'fps=0.00', 'stream_0_0_q=0.0', 'bitrate=N/A', 'total_size=13', 'out_time_us=-9223372036854775807',
  'out_time_ms=-9223372036854775807', 'out_time=-577014:32:22.775808', 'dup_frames=0', 'drop_frames=0', 'speed=N/A',
  'progress=continue',
  'frame=25', 'fps=0.00', 'stream_0_0_q=-1.0', 'bitrate=  54.4kbits/s', 'total_size=5994', 'out_time_us=881000',
  'out_time_ms=881000', 'out_time=00:00:00.881000', 'dup_frames=1', 'drop_frames=2', 'speed=18.7x', 'progress=end', '',
].join('\n');

function parse(chunks: string[]): FfmpegProgress[] {
  const out: FfmpegProgress[] = [];
  const p = new FfmpegProgressParser((r) => out.push(r));
  for (const c of chunks) p.push(Buffer.from(c));
  return out;
}

test('FFmpeg progress: blocks become reports, N/A and negative times are null', () => {
  const reports = parse([TEXT]);
  assert.deepEqual(reports, [
    { frame: 0, fps: 0, bitrateKbps: null, totalSize: 13, outTimeMs: null, speed: null, dupFrames: 0, dropFrames: 0, end: false },
    { frame: 25, fps: 0, bitrateKbps: 54.4, totalSize: 5994, outTimeMs: 881, speed: 18.7, dupFrames: 1, dropFrames: 2, end: true },
  ]);
});

test('FFmpeg progress: chunks split anywhere give the same reports; garbage gives none', () => {
  const whole = parse([TEXT]);
  for (let step = 1; step < 40; step += 3) {
    const chunks: string[] = [];
    for (let i = 0; i < TEXT.length; i += step) chunks.push(TEXT.slice(i, i + step));
    assert.deepEqual(parse(chunks), whole, `split every ${step} bytes`);
  }
  assert.deepEqual(parse(['speed=4e+04x\nprogress=continue\n']).map((r) => r.speed), [40000]);
  assert.deepEqual(parse(['no equals sign here\n', '=x\n', 'x'.repeat(100000)]), []);
});
