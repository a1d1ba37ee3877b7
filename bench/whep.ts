// WHEP fan-out benchmark: one ffmpeg RTMP publisher (1 Mbps 720p H.264, no B-frames, + AAC) and N WebRTC
// viewers (werift peer connections in a child process, bench/whep-client.ts, pinned to core 1 with ffmpeg);
// the server is pinned to core 0. For each step reports the server's CPU (from /proc/<pid>/stat), RSS (from
// /proc/<pid>/status), the share of viewers receiving >= 90% of the video packet rate a lone viewer gets, and
// how busy the client core is (from /proc/stat), since werift (SRTP in JS) may saturate before the server does.
// Usage: node dist/bench/whep.js [--steps 25,50,100,150] [--seconds 15]
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { cpuTicks, machineTicks, rssKb, sleep, runMain } from './common.js';
import { freePort } from './procs.js';

/** {busy, total} jiffies of one CPU from /proc/stat */
const coreTicks = (core: number): { busy: number; total: number } => machineTicks().perCpu[core]!;

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const STEPS = (argOf('steps') ?? '25,50,100,150').split(',').map(Number);
const SECONDS = Number(argOf('seconds') ?? 15);
const BEARER = `srs-v2-${'be7c'.repeat(8)}`;
const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
const clientJs = fileURLToPath(new URL('./whep-client.js', import.meta.url));
const children: ChildProcess[] = [];
const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** The viewer client child: sends commands, waits for the next JSON line. */
class Client {
  private lines: string[] = [];
  private waiters: ((l: string) => void)[] = [];
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
  }
  async cmd<T>(c: string, timeoutMs = 120000): Promise<T> {
    this.proc.stdin!.write(`${c}\n`);
    const line = this.lines.shift() ?? (await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client did not answer "${c}" in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    }));
    return JSON.parse(line) as T;
  }
}

interface ViewerStat {
  v: number;
  vb: number;
  a: number;
  s: string;
}

interface Window {
  seconds: number;
  serverCpu: number;
  ffmpegCpu: number;
  clientProcCpu: number;
  clientCoreBusy: number;
  serverCoreBusy: number;
  rssMb: number;
  /** per viewer: video packets/s, video kbps, audio packets/s */
  rates: { vps: number; kbps: number; aps: number; state: string }[];
}

async function measure(server: number, ffmpeg: number, client: Client | null, seconds: number): Promise<Window> {
  const s0 = client ? await client.cmd<{ viewers: ViewerStat[] }>('stats') : { viewers: [] };
  const [t0, f0, c0, k1a, k0a] = [cpuTicks(server), cpuTicks(ffmpeg), client ? cpuTicks(client.proc.pid!) : 0, coreTicks(1), coreTicks(0)];
  const start = Date.now();
  await sleep(seconds * 1000);
  const [t1, f1, c1, k1b, k0b] = [cpuTicks(server), cpuTicks(ffmpeg), client ? cpuTicks(client.proc.pid!) : 0, coreTicks(1), coreTicks(0)];
  const s1 = client ? await client.cmd<{ viewers: ViewerStat[] }>('stats') : { viewers: [] };
  const elapsed = (Date.now() - start) / 1000;
  const rates = s1.viewers.map((b, i) => {
    const a = s0.viewers[i] ?? { v: 0, vb: 0, a: 0 };
    return { vps: (b.v - a.v) / elapsed, kbps: ((b.vb - a.vb) * 8) / 1000 / elapsed, aps: (b.a - a.a) / elapsed, state: b.s };
  });
  return {
    seconds: elapsed,
    serverCpu: (t1 - t0) / elapsed,
    ffmpegCpu: (f1 - f0) / elapsed,
    clientProcCpu: (c1 - c0) / elapsed,
    clientCoreBusy: (100 * (k1b.busy - k1a.busy)) / (k1b.total - k1a.total),
    serverCoreBusy: (100 * (k0b.busy - k0a.busy)) / (k0b.total - k0a.total),
    rssMb: rssKb(server) / 1024,
    rates,
  };
}

const r1 = (x: number) => Number(x.toFixed(1));
const r2 = (x: number) => Number(x.toFixed(2));

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-whep-'));
  const [http, rtmp, srt, rtc] = [await freePort(), await freePort(), await freePort(), await freeUdpPort()];
  const env = { ...process.env, HTTP_PORT: String(http), RTMP_PORT: String(rtmp), SRT_PORT: String(srt), RTC_PORT: String(rtc), CANDIDATE: '127.0.0.1', HTTPS_PORT: '0', RTMPS_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SRS_PLATFORM_SECRET: BEARER, LOG_LEVEL: 'warn' };
  const server = spawn('taskset', ['-c', '0', process.execPath, main], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(server);
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      up = (await fetch(`http://127.0.0.1:${http}/api/v1/versions`)).ok;
    } catch {
      /* not up yet */
    }
    if (!up) await sleep(100);
  }
  if (!up) throw new Error('server did not come up');
  const q = await fetch(`http://127.0.0.1:${http}/terraform/v1/hooks/srs/secret/query`, { method: 'POST', headers: { Authorization: `Bearer ${BEARER}` }, body: '{}' });
  const secret = ((await q.json()) as { data: { publish: string } }).data.publish;
  const pub = spawn('taskset', ['-c', '1', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-b:v', '1000k', '-g', '50', '-c:a', 'aac', '-f', 'flv', `rtmp://127.0.0.1:${rtmp}/live/bench?secret=${secret}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(pub);
  await sleep(4000);
  if (pub.exitCode !== null) throw new Error(`ffmpeg exited with ${pub.exitCode}`);
  const pid = server.pid!;

  // baseline: publisher only
  const idle = await measure(pid, pub.pid!, null, 8);
  console.error(`publisher only: server ${r1(idle.serverCpu)}% of a core, ffmpeg ${r1(idle.ffmpegCpu)}%, RSS ${r1(idle.rssMb)} MB`);

  const url = `http://127.0.0.1:${http}/rtc/v1/whep/?app=live&stream=bench`;
  const proc = spawn('taskset', ['-c', '1', process.execPath, clientJs, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(proc);
  const client = new Client(proc);

  // reference: one viewer alone gives the expected video packet rate
  const a1 = await client.cmd<{ ok: number; failed: number }>('add 1');
  if (a1.ok !== 1) throw new Error('the first WHEP viewer did not connect');
  await sleep(3000);
  const one = await measure(pid, pub.pid!, client, 10);
  const expected = one.rates[0]!.vps;
  console.error(`one viewer: ${r1(expected)} video pkt/s, ${r1(one.rates[0]!.kbps)} kbps video, ${r1(one.rates[0]!.aps)} audio pkt/s; server ${r1(one.serverCpu)}%`);
  if (expected < 20) throw new Error(`a lone viewer gets only ${expected} video packets/s`);

  interface Row {
    viewers: number;
    connected: number;
    failedToConnect: number;
    connectSeconds: number;
    seconds: number;
    serverCpuPercentOfOneCore: number;
    serverCpuPerViewer: number;
    marginalCpuPerViewer: number;
    rssMb: number;
    viewersOkPercent: number;
    medianVideoPktRatio: number;
    meanVideoKbpsPerViewer: number;
    clientCoreBusyPercent: number;
    clientProcCpu: number;
    ffmpegCpu: number;
    serverCoreBusyPercent: number;
  }
  const rows: Row[] = [];
  const toRow = (n: number, w: Window, failed: number, connectMs: number): Row => {
    const ratios = w.rates.map((x) => x.vps / expected).sort((a, b) => a - b);
    const ok = w.rates.filter((x) => x.vps >= 0.9 * expected).length;
    return {
      viewers: n,
      connected: w.rates.length,
      failedToConnect: failed,
      connectSeconds: r1(connectMs / 1000),
      seconds: Math.round(w.seconds),
      serverCpuPercentOfOneCore: r1(w.serverCpu),
      serverCpuPerViewer: r2(w.serverCpu / n),
      marginalCpuPerViewer: r2((w.serverCpu - idle.serverCpu) / n),
      rssMb: r1(w.rssMb),
      viewersOkPercent: r1((100 * ok) / n),
      medianVideoPktRatio: r2(ratios[Math.floor(ratios.length / 2)] ?? 0),
      meanVideoKbpsPerViewer: Math.round(w.rates.reduce((a, x) => a + x.kbps, 0) / Math.max(1, w.rates.length)),
      clientCoreBusyPercent: r1(w.clientCoreBusy),
      clientProcCpu: r1(w.clientProcCpu),
      ffmpegCpu: r1(w.ffmpegCpu),
      serverCoreBusyPercent: r1(w.serverCoreBusy),
    };
  };
  rows.push(toRow(1, one, 0, 0));

  let failedTotal = 0;
  let current = 1;
  for (const n of STEPS) {
    const added = await client.cmd<{ ok: number; failed: number; ms: number; total: number }>(`add ${n - current}`, 300000);
    failedTotal += added.failed;
    current = n; // failed viewers are not retried; they count against "viewers OK"
    console.error(`N=${n}: added ${added.ok} (${added.failed} failed) in ${r1(added.ms / 1000)} s, ${added.total} connected`);
    await sleep(3000);
    const w = await measure(pid, pub.pid!, client, SECONDS);
    const row = toRow(n, w, failedTotal, added.ms);
    rows.push(row);
    console.error(JSON.stringify(row));
    if (row.clientCoreBusyPercent > 95) {
      console.error(`stopping: the client core is ${row.clientCoreBusyPercent}% busy`);
      break;
    }
    if (added.failed > n / 10) {
      console.error(`stopping: ${added.failed} viewers failed to connect`);
      break;
    }
  }

  const result = {
    bench: 'whep',
    publisher: 'ffmpeg RTMP 1280x720@25 libx264 ultrafast zerolatency 1000k, no B-frames, AAC',
    windowSeconds: SECONDS,
    publisherOnly: { serverCpuPercentOfOneCore: r1(idle.serverCpu), rssMb: r1(idle.rssMb), ffmpegCpu: r1(idle.ffmpegCpu) },
    expectedVideoPktPerSec: r1(expected),
    loneViewerVideoKbps: r1(one.rates[0]!.kbps),
    rows,
  };
  console.log(JSON.stringify(result));
  console.log(
    `\n| WHEP viewers | server CPU (% of one core) | CPU per viewer (%) | marginal CPU per viewer (%) | RSS (MB) | viewers OK (>= 90% of pkt rate) | video kbps per viewer | client core busy (%) |\n|---|---|---|---|---|---|---|---|\n` +
      `| 0 (publisher only) | ${result.publisherOnly.serverCpuPercentOfOneCore} | - | - | ${result.publisherOnly.rssMb} | - | - | - |\n` +
      rows
        .map((r) => `| ${r.viewers}${r.connected !== r.viewers ? ` (${r.connected} connected)` : ''} | ${r.serverCpuPercentOfOneCore} | ${r.serverCpuPerViewer} | ${r.marginalCpuPerViewer} | ${r.rssMb} | ${r.viewersOkPercent}% | ${r.meanVideoKbpsPerViewer} | ${r.clientCoreBusyPercent} |`)
        .join('\n'),
  );
  proc.stdin!.write('quit\n');
  await sleep(1000);
  proc.kill('SIGKILL');
  pub.kill('SIGKILL');
  server.kill('SIGTERM');
  await sleep(1000);
  rmSync(dir, { recursive: true, force: true });
}

runMain(run);
