// What one forward (restream) costs: the bench source (720p H.264 + AAC, about 1.1 Mbit/s) is published into
// our server (pinned to core 0) by ffmpeg -re -stream_loop -1 -c copy; node-media-server (core 1) is the target.
// Three windows of the server's CPU (from /proc/<pid>/stat): the publish alone; the publish plus one in-process
// forward (ffmpeg/forward/secret, no FFmpeg); the publish plus SRS Stack's way, an
// `ffmpeg -re -i rtmp://ours/live/src -c copy -f flv rtmp://target/live/key` (also on core 0), whose own CPU is
// measured too (the server then also serves it as an RTMP viewer).
// Usage: node dist/bench/forward.js [--seconds 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpuTicks, sleep, runMain, TICKS_PER_SECOND } from './common.js';
import { startServer, stopChild, type ServerUnderTest } from './procs.js';
import { ensureSource } from './source.js';
import { track } from '../test/support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const SECONDS = arg('seconds', 20);
const WARMUP_MS = 5000;

/** CPU % of one core used by `pid` over `seconds` (after a warm-up). */
async function cpuPercent(pids: number[], seconds: number): Promise<number[]> {
  await sleep(WARMUP_MS);
  const t0 = pids.map(cpuTicks);
  const w0 = Date.now();
  await sleep(seconds * 1000);
  const wall = (Date.now() - w0) / 1000;
  return pids.map((p, i) => ((cpuTicks(p) - t0[i]!) / TICKS_PER_SECOND / wall) * 100);
}

async function api(s: ServerUnderTest, secret: string, path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`http://127.0.0.1:${s.httpPort}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${secret}` }, body: JSON.stringify(body) });
  const j = (await r.json()) as { data?: unknown; message?: string };
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${j.message ?? ''}`);
  return j.data;
}

async function run(): Promise<void> {
  const src = ensureSource((m) => console.log(m));
  const ours = await startServer({ kind: 'ours', cpu: '0', source: src.path, logName: 'forward-ours' });
  const nms = await startServer({ kind: 'nms', cpu: '1', source: src.path, logName: 'forward-nms' });
  const children: ChildProcess[] = [];
  try {
    const apiSecret = ours.apiSecret;
    const pub = track(spawn('taskset', ['-c', '1', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', src.path, '-c', 'copy', '-f', 'flv',
      `rtmp://127.0.0.1:${ours.rtmpPort}/live/src${ours.publishQuery}`], { stdio: 'ignore' }));
    children.push(pub);
    console.log(`forward cost: source ${Math.round(src.kbps)} kbit/s 720p H.264 + AAC, ${SECONDS} s windows after ${WARMUP_MS / 1000} s warm-up; server on core 0, publisher and node-media-server on core 1`);
    const [base] = await cpuPercent([ours.pid], SECONDS);

    await api(ours, apiSecret, '/terraform/v1/ffmpeg/forward/secret', {
      action: 'update', platform: 'forwarding-1-bench0', server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: 'inproc', stream: 'src', enabled: true, custom: true, label: 'bench',
    });
    for (let i = 0; i < 100; i++) {
      const list = (await api(ours, apiSecret, '/terraform/v1/ffmpeg/forward/streams', {})) as { state: string }[];
      if (list[0]?.state === 'running') break;
      if (i === 99) throw new Error(`the forward did not run: ${JSON.stringify(list)}`);
      await sleep(100);
    }
    const [inproc] = await cpuPercent([ours.pid], SECONDS);
    const st = ((await api(ours, apiSecret, '/terraform/v1/ffmpeg/forward/streams', {})) as { frames: number; kbps: number; drops: number }[])[0]!;
    await api(ours, apiSecret, '/terraform/v1/ffmpeg/forward/secret', {
      action: 'update', platform: 'forwarding-1-bench0', server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: 'inproc', stream: 'src', enabled: false, custom: true, label: 'bench',
    });

    const ff = track(spawn('taskset', ['-c', '0', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-i', `rtmp://127.0.0.1:${ours.rtmpPort}/live/src`, '-c', 'copy', '-f', 'flv',
      `rtmp://127.0.0.1:${nms.rtmpPort}/live/ffmpeg`], { stdio: 'ignore' }));
    children.push(ff);
    const [withFfmpeg, ffmpegCpu] = await cpuPercent([ours.pid, ff.pid!], SECONDS);

    const f = (v: number | undefined) => (v ?? 0).toFixed(2);
    console.log(`  publish only (baseline)               server ${f(base)} % of one core`);
    console.log(`  + one in-process forward              server ${f(inproc)} %  (the forward: ${f(inproc! - base!)} %; ${st.kbps} kbit/s, ${st.drops} drops)`);
    console.log(`  + ffmpeg -re -i rtmp:// -c copy -f flv server ${f(withFfmpeg)} %  (serving ffmpeg: ${f(withFfmpeg! - base!)} %), ffmpeg itself ${f(ffmpegCpu)} %`);
    console.log(
      `RESULT: one forward costs ${f(inproc! - base!)} % of one core in-process, against ${f(ffmpegCpu)} % for the ffmpeg -c copy process ` +
        `(${f(ffmpegCpu! + withFfmpeg! - base!)} % with the server's cost of serving it)`,
    );
  } finally {
    for (const c of children) await stopChild(c, 2000);
    await ours.stop();
    await nms.stop();
  }
}

runMain(run);
