// The FFmpeg supervisor on real FFmpeg: progress from -progress pipe:3, restart with a growing delay and the
// error line in the stderr tail, stop and await, dropped stdin on backpressure, no orphan when the Node
// process that runs it is SIGKILLed, and FFmpeg's `-f flv pipe:1` read as Frames that match ffprobe's view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../../../src/core/frame.js';
import { FfmpegSupervisor } from '../../../src/servers/ffmpeg/ffmpeg-supervisor.js';
import { FlvPipeSource } from '../../../src/servers/ffmpeg/flv-pipe-source.js';
import type { FfmpegProgress } from '../../../src/servers/ffmpeg/progress.js';
import { cleanupAll, sleep, tempDir, track } from '../../support.js';
import { running, untilState as until } from '../core/process-helpers.js';

test.after(cleanupAll);

const TESTSRC = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25'];

test('ffmpeg supervisor: progress of a real run (frame, fps, bitrate, speed, out_time)', async () => {
  const out = join(tempDir(), 'out.flv');
  const ff = new FfmpegSupervisor({
    args: ['-hide_banner', '-loglevel', 'error', '-re', ...TESTSRC, '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'flv', '-y', out],
    restart: false,
  });
  const reports: FfmpegProgress[] = [];
  ff.progressed.on((p) => reports.push(p));
  ff.start();
  const end = await until(ff, (s) => s.state === 'stopped' || s.state === 'failed');
  assert.equal(end.state, 'stopped', end.reason ?? '');
  assert.ok(reports.length >= 3, `${reports.length} reports`);
  const last = reports.at(-1)!;
  assert.equal(last.end, true);
  assert.equal(last.frame, 50);
  assert.ok(Math.abs(last.outTimeMs! - 2000) <= 120, `out_time ${last.outTimeMs}`);
  assert.ok(last.bitrateKbps! > 0 && last.totalSize! > 1000, JSON.stringify(last));
  assert.ok(last.speed! > 0.5 && last.speed! < 2, `-re runs at about real time: speed ${last.speed}`);
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.frame >= reports[i - 1]!.frame, 'frames only grow');
  assert.ok(reports.slice(0, -1).every((r) => !r.end));
  assert.deepEqual(ff.summary().progress, last);
});

test('ffmpeg supervisor: a bad input is retried with a growing delay; the stderr tail holds the error line', async () => {
  const ff = new FfmpegSupervisor({
    args: ['-hide_banner', '-i', '/nonexistent/input.mp4', '-f', 'null', '-'],
    restart: { initialDelayMs: 100, maxDelayMs: 400, maxFailures: 4 },
  });
  const retries: { delay: number; reason: string }[] = [];
  ff.stateChanged.on((s) => {
    if (s.state === 'retrying') retries.push({ delay: s.retryAt! - Date.now(), reason: s.reason! });
  });
  ff.start();
  const end = await until(ff, (s) => s.state === 'failed');
  assert.deepEqual(retries.map((r) => Math.ceil(r.delay / 100) * 100), [100, 200, 400, 400]);
  for (const r of retries) assert.equal(r.reason, 'ffmpeg exited with code 1: /nonexistent/input.mp4: No such file or directory');
  assert.match(end.reason!, /No such file or directory \(gave up after 4 failures in a row\)/);
  const sum = ff.summary();
  assert.ok(sum.log.includes('/nonexistent/input.mp4: No such file or directory'), sum.log.join('\n'));
  assert.equal(sum.restarts, 4);
  assert.equal(sum.pid, null);
});

test('ffmpeg supervisor: stop() ends a running FFmpeg and awaits it; stdin input is dropped when FFmpeg does not read it', async () => {
  // -nostdin: this FFmpeg never reads its stdin, so the pipe fills up and writes get dropped.
  const ff = new FfmpegSupervisor({ args: ['-hide_banner', '-nostdin', '-re', ...TESTSRC, '-f', 'null', '-'], stdin: true, maxPendingInput: 256 * 1024 });
  ff.start();
  await new Promise<void>((r) => {
    const off = ff.progressed.on(() => {
      off();
      r();
    });
  });
  const pid = ff.run!.pid;
  assert.equal(ff.summary().state, 'running');
  assert.ok(ff.summary().uptimeMs! >= 0);
  const chunk = Buffer.alloc(64 * 1024);
  let accepted = 0;
  for (let i = 0; i < 40; i++) if (ff.write(chunk)) accepted++;
  assert.ok(accepted > 0 && accepted < 40, `accepted ${accepted} of 40`);
  assert.equal(ff.dropped, 40 - accepted);
  const exits: (number | null)[] = [];
  ff.exited.on((e) => exits.push(e.code));
  await ff.stop();
  assert.equal(running(pid), false, 'FFmpeg has exited when stop() resolves');
  assert.deepEqual(exits, [255], 'FFmpeg ended on SIGTERM (its exit code 255), not SIGKILL');
  assert.equal(ff.state.state, 'stopped');
  assert.equal(ff.summary().pid, null);
});

test('ffmpeg supervisor: no orphan FFmpeg after the Node process running it is SIGKILLed', async () => {
  const script = fileURLToPath(new URL('./ffmpeg-orphan-child.js', import.meta.url));
  const child = track(spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const pid = await new Promise<number>((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`no ffmpeg pid from the child: ${text}`)), 20000);
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /ffmpeg pid (\d+)/.exec(text);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
  try {
    assert.equal(running(pid), true);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^\/usr\/bin\/ffmpeg\0/, 'the child is FFmpeg itself (setpriv exec()s it)');
    child.kill('SIGKILL');
    const t0 = Date.now();
    while (running(pid) && Date.now() - t0 < 2000) await sleep(50);
    assert.equal(running(pid), false, `ffmpeg ${pid} outlived its SIGKILLed parent`);
  } finally {
    if (running(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('ffmpeg supervisor: a missing ffmpeg fails with what to do', async () => {
  const ff = new FfmpegSupervisor({ args: ['-version'], ffmpegPath: '/nonexistent/ffmpeg' });
  ff.start();
  assert.equal(ff.state.state, 'failed');
  assert.match(ff.state.reason!, /^cannot run \/nonexistent\/ffmpeg: it is not installed .*install FFmpeg \(apt-get install ffmpeg\)/);
});

interface ProbedPacket {
  codec_type: string;
  flags: string;
  dts_time?: string;
}

test('FLV pipe source: FFmpeg -f flv pipe:1 read as Frames matches ffprobe (counts, keyframes, codecs)', async () => {
  const ff = new FfmpegSupervisor({
    args: [
      '-hide_banner', '-loglevel', 'error', ...TESTSRC, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-sc_threshold', '0', '-bf', '2', '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', 'pipe:1',
    ],
    stdout: true,
    restart: false,
  });
  const frames: Frame[] = [];
  const bytes: Buffer[] = [];
  const source = new FlvPipeSource(ff, { onFrame: (f) => frames.push({ ...f, data: Buffer.from(f.data) }) });
  ff.spawned.on((run) => run.stdout!.on('data', (d: Buffer) => bytes.push(d)));
  ff.start();
  const end = await until(ff, (s) => s.state === 'stopped' || s.state === 'failed');
  assert.equal(end.state, 'stopped', end.reason ?? '');
  source.close();

  // The same bytes as ffprobe sees them.
  const file = join(tempDir(), 'pipe.flv');
  writeFileSync(file, Buffer.concat(bytes));
  const probed = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_packets', '-show_streams', '-of', 'json', file], { maxBuffer: 64 << 20 }).toString(),
  ) as { packets: ProbedPacket[]; streams: { codec_type: string; codec_name: string; sample_rate?: string }[] };
  const media = frames.filter((f) => !f.header && f.type !== 'script');
  const count = (type: string, key?: boolean): [number, number] => [
    media.filter((f) => f.type === type && (key === undefined || f.keyframe === key)).length,
    probed.packets.filter((p) => p.codec_type === type && (key === undefined || p.flags.startsWith('K') === key)).length,
  ];
  const [video, probedVideo] = count('video');
  const [audio, probedAudio] = count('audio');
  const [keys, probedKeys] = count('video', true);
  assert.equal(video, probedVideo);
  assert.equal(audio, probedAudio);
  assert.equal(keys, probedKeys);
  assert.equal(video, 75);
  assert.equal(keys, 3, 'a keyframe every 25 frames');
  assert.deepEqual(probed.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  assert.deepEqual(frames.filter((f) => f.header).map((f) => f.type).sort(), ['audio', 'video'], 'one sequence header each');
  const asc = frames.find((f) => f.header && f.type === 'audio')!;
  assert.equal(asc.sampleRate, Number(probed.streams.find((s) => s.codec_type === 'audio')!.sample_rate));
  assert.ok(media.some((f) => f.type === 'video' && f.pts > f.dts), 'B-frames: composition times carried');
  assert.equal(source.frames, frames.length);
  assert.equal(source.keyframes, frames.filter((f) => f.keyframe).length);
  assert.equal(source.bytes, Buffer.concat(bytes).length);
});

test('FLV pipe source: output that is not FLV kills the run as a failure, and it is retried', async () => {
  const ff = new FfmpegSupervisor({
    args: ['-hide_banner', '-loglevel', 'error', '-re', ...TESTSRC, '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', 'pipe:1'],
    stdout: true,
    restart: { initialDelayMs: 5000 },
  });
  let frames = 0;
  new FlvPipeSource(ff, { onFrame: () => frames++ });
  ff.start();
  const s = await until(ff, (x) => x.state === 'retrying');
  assert.equal(s.reason, 'the process wrote bad FLV (not an FLV stream: the signature "FLV" is missing); restarting it');
  assert.equal(frames, 0);
  await ff.stop();
  assert.equal(ff.state.state, 'stopped');
});
