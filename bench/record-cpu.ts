// What recording costs: 10 streams (720p H.264 + AAC, about 1.1 Mbit/s each, from an ffmpeg-made FLV) are
// published into the hub in real time, first with nothing attached, then each recorded by a RecordTask (the
// in-process fragmented-MP4 writer and its async write queue, as the server runs it). The difference in
// process CPU is the cost of recording; also shown: the time the media path spends per frame, the writev
// calls, and how long turning the fragments into index.mp4 takes.
// Usage: node dist/bench/record-cpu.js [--streams 10] [--seconds 20]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { FlvDemuxer } from '../src/codecs/flv.js';
import { fragmentedToProgressive } from '../src/codecs/mp4/progressive.js';
import { RecordTask } from '../src/control/jobs/record/task.js';
import type { Frame } from '../src/core/frame.js';
import type { Client } from '../src/hub/client.js';
import { Hub } from '../src/hub/hub.js';
import type { Stream } from '../src/hub/stream.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = join(ROOT, 'bench', 'work');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const STREAMS = arg('streams', 10);
const SECONDS = arg('seconds', 20);

function source(): Buffer {
  mkdirSync(WORK, { recursive: true });
  const path = join(WORK, 'record-source-v1.flv');
  if (!existsSync(path)) {
    console.log(`making ${path} with ffmpeg (20 s of 1280x720 25 fps, 1 Mbit/s H.264 + 96 kbit/s AAC), once`);
    const tmp = `${path}.tmp.flv`;
    const r = spawnSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '20', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
      '-b:v', '1000k', '-maxrate', '1000k', '-bufsize', '1000k', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', tmp,
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('ffmpeg could not make the source file; is ffmpeg with libx264 installed?');
    renameSync(tmp, path);
  }
  return readFileSync(path);
}

function client(id: string, url: Stream['url']): Client {
  return { id, ip: '127.0.0.1', type: 'fmle-publish', url, requestUrl: '', publish: true, createdAt: 0, sendBytes: 0, recvBytes: 0, close: () => {} };
}

interface Phase {
  cpuMs: number;
  wallMs: number;
  /** ms spent inside stream.publish (the media path), all streams */
  publishMs: number;
  frames: number;
  loopP99Ms: number;
}

/** Publishes `frames` into `n` streams in real time for `seconds`; `attach` may add sinks to each stream. */
async function run(frames: Frame[], loopMs: number, n: number, seconds: number, attach: (s: Stream) => void): Promise<Phase> {
  const hub = new Hub({ gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 350, queueBytes: 2 << 20, republishGraceMs: 1000 });
  const streams: Stream[] = [];
  const headers = frames.filter((f) => f.header || f.type === 'script');
  const media = frames.filter((f) => !f.header && f.type !== 'script');
  for (let i = 0; i < n; i++) {
    const url = { vhost: '__defaultVhost__', app: 'bench', stream: `rec${i}`, param: '' };
    const s = hub.stream(url);
    s.startPublish(client(`p${i}`, url));
    attach(s);
    for (const h of headers) s.publish({ ...h });
    streams.push(s);
  }
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let loop = 0;
  let publishMs = 0;
  let count = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now() - t0;
      if (now >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const p0 = performance.now();
      for (;;) {
        const f = media[next]!;
        const at = f.dts + loop * loopMs;
        if (at > now) break;
        for (const s of streams) s.publish({ ...f, dts: at, pts: f.pts + loop * loopMs });
        count += streams.length;
        next++;
        if (next >= media.length) {
          next = 0;
          loop++;
        }
      }
      publishMs += performance.now() - p0;
    }, 10);
  });
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  delay.disable();
  for (const s of streams) s.stopPublish(s.publisher!);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, publishMs, frames: count, loopP99Ms: delay.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  const frames: Frame[] = [];
  new FlvDemuxer({ onFrame: (f) => frames.push(f) }).push(source());
  const media = frames.filter((f) => !f.header && f.type !== 'script');
  const loopMs = media[media.length - 1]!.dts + 40;
  const bytes = media.reduce((n, f) => n + f.data.length, 0);
  const kbps = (bytes * 8) / loopMs;
  console.log(`recording cost: ${STREAMS} streams x ${SECONDS} s of ${Math.round(kbps)} kbit/s 720p H.264 + AAC, published in real time`);

  const base = await run(frames, loopMs, STREAMS, SECONDS, () => {});
  const dir = mkdtempSync(join(tmpdir(), 'srs-node-record-bench-'));
  const tasks: RecordTask[] = [];
  const logger = pino({ level: 'silent' });
  try {
    const rec = await run(frames, loopMs, STREAMS, SECONDS, (s) => {
      const t = new RecordTask(
        {
          recordDir: dir,
          logger,
          windowMs: 60000,
          queueBytes: 64 << 20,
          syncIntervalMs: 5000,
          changed: async () => {},
          ended: () => {},
          finished: () => {},
          convert: (p) => fragmentedToProgressive(p.fragments, p.mp4),
        },
        s.url,
        'none',
      );
      t.attach(s);
      tasks.push(t);
    });
    const c0 = process.cpuUsage();
    const f0 = performance.now();
    await Promise.all(tasks.map((t) => t.end('bench over')));
    const finalizeWall = performance.now() - f0;
    const finalizeCpu = process.cpuUsage(c0);
    const failed = tasks.filter((t) => t.artifact.state !== 'done');
    if (failed.length > 0) throw new Error(`recordings failed: ${failed.map((t) => t.artifact.error).join('; ')}`);

    const extraCpuMs = rec.cpuMs - base.cpuMs;
    const share = (extraCpuMs / rec.wallMs) * 100;
    const hotUs = ((rec.publishMs - base.publishMs) * 1000) / rec.frames;
    const writes = tasks.reduce((n, t) => n + t.stats.writes, 0);
    const written = tasks.reduce((n, t) => n + t.stats.written, 0);
    const mp4Duration = tasks.reduce((n, t) => n + t.artifact.duration, 0) / tasks.length;
    const row = (label: string, p: Phase) =>
      `  ${label.padEnd(22)} CPU ${((p.cpuMs / p.wallMs) * 100).toFixed(1).padStart(5)} % of one core   media path ${((p.publishMs * 1000) / p.frames).toFixed(1).padStart(5)} us/frame   event loop p99 ${p.loopP99Ms.toFixed(1)} ms`;
    console.log(row('live only (baseline)', base));
    console.log(row(`live + ${STREAMS} recordings`, rec));
    console.log(
      `RESULT: recording ${STREAMS} streams costs ${share.toFixed(1)} % of one CPU core ` +
        `(${(extraCpuMs / STREAMS / (rec.wallMs / 1000)).toFixed(2)} ms of CPU per stream per second), ` +
        `${hotUs.toFixed(1)} us per frame on the media path; ` +
        `${Math.round(written / 1048576)} MiB written in ${writes} writev calls (${(writes / STREAMS / (rec.wallMs / 1000)).toFixed(2)} per stream per second); ` +
        `index.mp4 of ${mp4Duration.toFixed(1)} s each: ${STREAMS} finalized in ${Math.round(finalizeWall)} ms ` +
        `(${Math.round((finalizeCpu.user + finalizeCpu.system) / 1000)} ms CPU)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
