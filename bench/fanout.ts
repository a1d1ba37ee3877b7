// The fan-out benchmark (issue 7): one 1.1 Mbps stream, N HTTP-FLV or RTMP viewers, this server against
// node-media-server and an ideal fan-out floor, each in turn on one pinned core with the same source file,
// publisher and load clients on the other core. Writes bench/results/<date>.json and .md, and the README's
// benchmark table. `npm run bench` (quick, a few minutes) or `npm run bench -- --full`; --help for options.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeWindow, type StepViewers } from './analyze.js';
import {
  RESULTS_DIR,
  ROOT,
  TICKS_PER_SECOND,
  WORK_DIR,
  cpuTimes,
  machineTicks,
  quantileOf,
  round,
  rssKb,
  sleep,
  type ClientReply,
  type Proto,
  type Target,
  type WindowReport,
} from './common.js';
import { measureHls, type HlsResult } from './hls-probe.js';
import { LoadClient, startPublisher, startServer, type Publisher, type ServerKind, type ServerUnderTest } from './procs.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { computeMetrics, renderMarkdown, updateReadme, type Out } from './report.js';
import { ensureSource, type SourceInfo } from './source.js';

export interface Options {
  full: boolean;
  steps: number[];
  stepsGiven: boolean;
  /** --profile only: MW_LATENCY of the profiled server */
  mwMs: number | null;
  windowS: number;
  settleS: number;
  /** unmeasured time before the publisher-only window and again before the first step (JIT warm-up) */
  warmupS: number;
  clients: number;
  serverCpu: string;
  clientCpu: string;
  only: string[] | null;
  profile: boolean;
  readme: boolean;
  /** M7: stall 5% more viewers after the step of this many viewers */
  stallN: number;
  /** M7: seconds the kernel's socket buffers take to fill before the server's own queues do */
  stallFillS: number;
  /** full mode: RSS per viewer is read this long after the step's viewers joined */
  rssAgeS: number;
  rssStep: number;
}

const HELP = `npm run bench [-- options]
  --full             longer windows (30 s), N ramps up to 8000 until the server fails, RSS read after 60 s
  --steps 100,400    viewer counts of each ramp (quick default 100,400,1000)
  --window S         measurement window per step, seconds (quick 10, full 30)
  --warmup S         unmeasured seconds with the publisher only, and again with the first step's viewers,
                     before measuring (quick 10, full 20): every server's JIT gets the same warm-up
  --only a,b         run only these runs (ids: ours-flv nms-flv ours-rtmp nms-rtmp ours-flv-mw0
                     ours-rtmp-mw0 ours-flv-mw40 floor-350 floor-40 floor-0); results then go to bench/work/results/
  --profile          only profile this server (node --cpu-prof) at N=1000 (or --steps), HTTP-FLV and RTMP;
                     --mw MS sets its MW_LATENCY; profiles are kept in bench/work/prof/
  --clients K        load client processes (default 2)
  --server-cpu C     core(s) for the server under test (default 0); --client-cpu C for the rest (default 1)
  --no-readme        do not rewrite the README table
  --render FILE      write the markdown and the README table again from a results JSON`;

function parseOptions(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    process.exit(0);
  }
  const full = argv.includes('--full');
  const steps = get('--steps')?.split(',').map(Number) ?? (full ? [100, 400, 1000, 1500, 2000, 3000, 4000, 6000, 8000] : [100, 400, 1000]);
  return {
    full,
    steps,
    stepsGiven: get('--steps') !== undefined,
    mwMs: get('--mw') !== undefined ? Number(get('--mw')) : null,
    windowS: Number(get('--window') ?? (full ? 30 : 10)),
    settleS: full ? 5 : 2,
    warmupS: Number(get('--warmup') ?? (full ? 20 : 10)),
    clients: Number(get('--clients') ?? 2),
    serverCpu: get('--server-cpu') ?? '0',
    clientCpu: get('--client-cpu') ?? '1',
    only: get('--only')?.split(',') ?? null,
    profile: argv.includes('--profile'),
    readme: !argv.includes('--no-readme'),
    stallN: 1000,
    stallFillS: 30,
    rssAgeS: 60,
    rssStep: 1000,
  };
}

export interface RunSpec {
  id: string;
  label: string;
  kind: ServerKind;
  proto: Proto;
  /** ours: MW_LATENCY; floor: write interval; nms: writes every frame */
  mwMs: number;
  steps: number[];
  probes?: boolean;
  hls?: boolean;
  stall?: boolean;
  profile?: boolean;
}

export interface StepResult {
  /** the step's viewer count as asked */
  target: number;
  /** viewers playing */
  n: number;
  connected: number;
  failed: number;
  cpuPct: number;
  /** the kernel (system) part of cpuPct */
  sysPct: number;
  cpuPer100: number;
  rssKb: number;
  rssPerViewerKb: number;
  rssAgeS: number;
  /** all load clients together, % of one core */
  clientCpuPct: number;
  /** /proc/stat busy % of the server's core and of the clients' core (other engineers' work shows here) */
  serverCoreBusyPct: number;
  clientCoreBusyPct: number;
  viewers: StepViewers;
}

export interface StallResult {
  n: number;
  stalled: number;
  before: { rssKb: number; viewers: StepViewers };
  after: { rssKb: number; viewers: StepViewers }[];
  rssGrowthMb: number;
  /** mean RSS of the last measured window minus the first's (the test: <= max(8 MB, 5%)) */
  rssWindowGrowthMb?: number;
  /** RSS trend over the measured windows, MB per minute */
  rssSlopeMbPerMin: number;
  /** [seconds since the stall began, RSS MB] once a second */
  rssSamples: [number, number][];
  holds: boolean;
  why: string;
}

export interface RunResult {
  spec: RunSpec;
  /** publisher only (no viewers), after the warm-up, over one window */
  baseline?: { cpuPct: number; sysPct?: number; rssKb: number };
  steps: StepResult[];
  m5?: { protoMs: number[]; p50: number | null; max: number | null };
  m6?: HlsResult;
  m7?: StallResult;
  profile?: ProfileSummary;
  error?: string;
}

function specs(o: Options): RunSpec[] {
  if (o.profile) {
    const runs: RunSpec[] = [
      { id: 'profile-flv', label: 'this server, HTTP-FLV, --cpu-prof', kind: 'ours', proto: 'flv', mwMs: o.mwMs ?? 350, steps: o.stepsGiven ? o.steps : [1000], profile: true },
      { id: 'profile-rtmp', label: 'this server, RTMP, --cpu-prof', kind: 'ours', proto: 'rtmp', mwMs: o.mwMs ?? 350, steps: o.stepsGiven ? o.steps : [1000], profile: true },
    ];
    return runs.filter((r) => !o.only || o.only.includes(r.id));
  }
  const s = o.steps;
  const all: RunSpec[] = [
    { id: 'ours-flv', label: 'this server, HTTP-FLV, MW_LATENCY=350', kind: 'ours', proto: 'flv', mwMs: 350, steps: s, probes: true, hls: true, stall: true },
    { id: 'nms-flv', label: 'node-media-server, HTTP-FLV', kind: 'nms', proto: 'flv', mwMs: 0, steps: s, probes: true, stall: true },
    { id: 'ours-rtmp', label: 'this server, RTMP, MW_LATENCY=350', kind: 'ours', proto: 'rtmp', mwMs: 350, steps: s, probes: true },
    { id: 'nms-rtmp', label: 'node-media-server, RTMP', kind: 'nms', proto: 'rtmp', mwMs: 0, steps: s, probes: true },
    { id: 'ours-flv-mw0', label: 'this server, HTTP-FLV, MW_LATENCY=0', kind: 'ours', proto: 'flv', mwMs: 0, steps: s, probes: true },
    { id: 'ours-rtmp-mw0', label: 'this server, RTMP, MW_LATENCY=0', kind: 'ours', proto: 'rtmp', mwMs: 0, steps: s },
    { id: 'ours-flv-mw40', label: 'this server, HTTP-FLV, MW_LATENCY=40 (one video frame)', kind: 'ours', proto: 'flv', mwMs: 40, steps: s },
    { id: 'floor-350', label: 'ideal fan-out, HTTP-FLV, 350 ms writes', kind: 'floor', proto: 'flv', mwMs: 350, steps: s },
    { id: 'floor-40', label: 'ideal fan-out, HTTP-FLV, 40 ms writes', kind: 'floor', proto: 'flv', mwMs: 40, steps: s },
    { id: 'floor-0', label: 'ideal fan-out, HTTP-FLV, each tag written at its time', kind: 'floor', proto: 'flv', mwMs: 0, steps: s },
  ];
  return o.only ? all.filter((r) => o.only!.includes(r.id)) : all;
}

const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

interface Window {
  /** CLOCK_MONOTONIC microseconds, the clock of V8's profiles */
  fromUs: number;
  toUs: number;
  cpuPct: number;
  /** the kernel part of cpuPct */
  sysPct: number;
  reports: WindowReport[];
  serverCoreBusyPct: number;
  clientCoreBusyPct: number;
  seconds: number;
}

function coreBusy(m0: ReturnType<typeof machineTicks>, m1: ReturnType<typeof machineTicks>, cores: string): number {
  const ids = cores.split(',').map(Number);
  let busy = 0;
  let total = 0;
  for (const i of ids) {
    const a = m0.perCpu[i];
    const b = m1.perCpu[i];
    if (!a || !b) continue;
    busy += b.busy - a.busy;
    total += b.total - a.total;
  }
  return total > 0 ? round((busy / total) * 100, 1)! : 0;
}

class Bench {
  readonly results: RunResult[] = [];
  constructor(
    readonly o: Options,
    readonly source: SourceInfo,
  ) {}

  private async window(pid: number, clients: LoadClient[], seconds: number): Promise<Window> {
    const m0 = machineTicks();
    const c0 = cpuTimes(pid);
    const t0 = performance.now();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    await Promise.all(clients.map((c) => c.send('window-start', { seconds })));
    await sleep(seconds * 1000);
    const ends = await Promise.all(clients.map((c) => c.send('window-end', {})));
    const c1 = cpuTimes(pid);
    const t1 = performance.now();
    const m1 = machineTicks();
    const secs = (t1 - t0) / 1000;
    return {
      fromUs,
      toUs: Number(process.hrtime.bigint() / 1000n),
      cpuPct: round(((c1.user + c1.sys - c0.user - c0.sys) / TICKS_PER_SECOND / secs) * 100, 1)!,
      sysPct: round(((c1.sys - c0.sys) / TICKS_PER_SECOND / secs) * 100, 1)!,
      reports: ends.map((e) => e.window!).filter(Boolean),
      serverCoreBusyPct: coreBusy(m0, m1, this.o.serverCpu),
      clientCoreBusyPct: coreBusy(m0, m1, this.o.clientCpu),
      seconds: secs,
    };
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const o = this.o;
    const result: RunResult = { spec, steps: [] };
    const profileDir = spec.profile ? join(WORK_DIR, 'prof', spec.id) : undefined;
    if (profileDir) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
    }
    log(`${spec.id}: ${spec.label}`);
    let srv: ServerUnderTest | null = null;
    let pub: Publisher | null = null;
    const clients: LoadClient[] = [];
    const windows: [number, number][] = [];
    try {
      srv = await startServer({ kind: spec.kind, cpu: o.serverCpu, mwMs: spec.mwMs, source: this.source.path, profileDir, logName: spec.id });
      const s = srv;
      let keys: () => Promise<[number, number][]>;
      if (spec.kind === 'floor') keys = s.keys!;
      else {
        pub = await startPublisher(`rtmp://127.0.0.1:${s.rtmpPort}/live/bench${s.publishQuery}`, this.source.path);
        keys = pub.keys;
      }
      await sleep(2500); // a whole GOP in the cache
      const target: Target = { proto: spec.proto, host: '127.0.0.1', port: spec.proto === 'flv' ? s.httpPort : s.rtmpPort, app: 'live', stream: 'bench' };
      for (let i = 0; i < o.clients; i++) clients.push(new LoadClient(target));
      await Promise.all(clients.map((c) => c.ready));

      // warm-up with the publisher only (the HLS measurement, when this run has it, runs inside it)
      const warm0 = Date.now();
      if (spec.hls) {
        result.m6 = await measureHls(s.httpPort, 'live', 'bench', o.full ? 15 : 9);
        log(`  M6 HLS: ${result.m6.segments} segments, delay p50 ${result.m6.p50} ms, max ${result.m6.max} ms`);
      }
      await sleep(Math.max(0, o.warmupS * 1000 - (Date.now() - warm0)));
      // publisher only: the server's cost of taking in the stream (and cutting HLS), and its memory
      const b0 = cpuTimes(s.pid);
      const bt0 = performance.now();
      await sleep(o.windowS * 1000);
      const b1 = cpuTimes(s.pid);
      const bs = (performance.now() - bt0) / 1000;
      result.baseline = {
        cpuPct: round(((b1.user + b1.sys - b0.user - b0.sys) / TICKS_PER_SECOND / bs) * 100, 2)!,
        sysPct: round(((b1.sys - b0.sys) / TICKS_PER_SECOND / bs) * 100, 2)!,
        rssKb: rssKb(s.pid),
      };
      log(`  publisher only: server CPU ${result.baseline.cpuPct}% (sys ${result.baseline.sysPct}%), RSS ${(result.baseline.rssKb / 1024).toFixed(0)} MB`);

      let have = 0;
      for (const n of spec.steps) {
        const add = Math.max(0, n - have);
        const t0 = Date.now();
        const replies = await Promise.all(split(add, clients.length).map((k, i) => (k > 0 ? clients[i]!.send('add', { n: k }) : Promise.resolve<ClientReply>({ id: 0, ok: true, connected: 0, failed: 0 }))));
        const connected = replies.reduce((a, r) => a + (r.connected ?? 0), 0);
        const failed = replies.reduce((a, r) => a + (r.failed ?? 0), 0);
        have += connected;
        if (failed) log(`  ${failed} of ${add} viewers failed to start: ${replies.find((r) => r.error)?.error}`);
        await sleep((o.settleS + (result.steps.length === 0 ? o.warmupS : 0)) * 1000);
        const w = await this.window(s.pid, clients, o.windowS);
        windows.push([w.fromUs, w.toUs]);
        const viewers = analyzeWindow(w.reports, await keys(), w.seconds);
        let rss = rssKb(s.pid);
        let age = (Date.now() - t0) / 1000;
        if (o.full && n === o.rssStep && age < o.rssAgeS) {
          await sleep((o.rssAgeS - age) * 1000);
          rss = rssKb(s.pid);
          age = (Date.now() - t0) / 1000;
        }
        const step: StepResult = {
          target: n,
          n: have,
          connected,
          failed,
          cpuPct: w.cpuPct,
          sysPct: w.sysPct,
          cpuPer100: have > 0 ? round(w.cpuPct / (have / 100), 2)! : 0,
          rssKb: rss,
          rssPerViewerKb: round((rss - result.baseline.rssKb) / Math.max(1, have), 1)!,
          rssAgeS: round(age, 0)!,
          clientCpuPct: round(w.reports.reduce((a, r) => a + r.cpuPct, 0), 1)!,
          serverCoreBusyPct: w.serverCoreBusyPct,
          clientCoreBusyPct: w.clientCoreBusyPct,
          viewers,
        };
        result.steps.push(step);
        log(
          `  N=${have}: server CPU ${step.cpuPct}% (sys ${step.sysPct}%; ${step.cpuPer100}/100 viewers), RSS ${(rss / 1024).toFixed(0)} MB, ` +
            `viewers OK ${viewers.okPct}% (min delivered ${viewers.deliveredMin}, ${viewers.behind} behind, ${viewers.starved} starved), latency p50 ${viewers.latency.p50} p95 ${viewers.latency.p95} ms, ` +
            `clients ${step.clientCpuPct}% (core ${step.clientCoreBusyPct}%)`,
        );
        if (spec.probes && result.m5 === undefined) {
          const r = await clients[0]!.send('probe', { count: 5, gapMs: 300 });
          const ms = (r.probes ?? []).map((x) => round(x, 1)!);
          result.m5 = { protoMs: ms, p50: round(quantileOf(ms, 0.5), 1), max: ms.length ? Math.max(...ms) : null };
          log(`  M5 time to first keyframe: ${ms.join(', ')} ms`);
        }
        if (spec.stall && n === o.stallN) result.m7 = await this.stall(s, clients, step, keys);
        const failedStep = step.cpuPct > 80 || viewers.okPct < 100;
        if (o.full && failedStep) {
          log(`  stops here (CPU over 80% or a viewer below 98% of the stream)`);
          break;
        }
      }
    } catch (e) {
      result.error = (e as Error).message;
      log(`  ${spec.id} failed: ${result.error}`);
    } finally {
      await Promise.all(clients.map((c) => c.stop().catch(() => {})));
      await pub?.stop().catch(() => {});
      await srv?.stop().catch(() => {});
    }
    if (profileDir) {
      const f = existsSync(profileDir) ? readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile')) : [];
      if (f.length) result.profile = summarizeProfile(join(profileDir, f.sort().pop()!), windows);
      else log(`  no .cpuprofile was written in ${profileDir}`);
    }
    return result;
  }

  /** M7: 5% more viewers that stop reading; the memory must level off and the others must not notice. */
  private async stall(s: ServerUnderTest, clients: LoadClient[], before: StepResult, keys: () => Promise<[number, number][]>): Promise<StallResult> {
    const k = Math.max(1, Math.round(before.n * 0.05));
    await Promise.all(split(k, clients.length).map((x, i) => (x > 0 ? clients[i]!.send('add', { n: x, stalled: true }) : null)));
    const t0 = Date.now();
    const samples: [number, number][] = [];
    const sampler = setInterval(() => samples.push([(Date.now() - t0) / 1000, rssKb(s.pid) / 1024]), 1000);
    const after: StallResult['after'] = [];
    const windows = 3;
    try {
      // A connection that is not read first fills the kernel's buffers (about 4 MB here: ~30 s of this stream);
      // only then do the server's own queues grow.
      log(`  ${k} viewers stopped reading; ${this.o.stallFillS} s for the kernel's socket buffers to fill`);
      await sleep(this.o.stallFillS * 1000);
      for (let i = 0; i < windows; i++) {
        const w = await this.window(s.pid, clients, this.o.windowS);
        after.push({ rssKb: rssKb(s.pid), viewers: analyzeWindow(w.reports, await keys(), w.seconds) });
        log(`  stalled ${k}: window ${i + 1}: RSS ${(after[i]!.rssKb / 1024).toFixed(0)} MB, others OK ${after[i]!.viewers.okPct}%, latency p50 ${after[i]!.viewers.latency.p50} p95 ${after[i]!.viewers.latency.p95} ms`);
      }
    } finally {
      clearInterval(sampler);
      await Promise.all(clients.map((c) => c.send('close-stalled', {})));
    }
    const last = after[after.length - 1]!;
    const verdict = judgeStall(samples, this.o.stallFillS, before.viewers, last.viewers);
    return {
      n: before.n,
      stalled: k,
      before: { rssKb: before.rssKb, viewers: before.viewers },
      after,
      rssGrowthMb: round((last.rssKb - before.rssKb) / 1024, 1)!,
      rssSamples: samples.map(([t, mb]) => [round(t, 0)!, round(mb, 1)!]),
      ...verdict,
    };
  }
}

/**
 * M7's verdict from the RSS samples ([seconds since the stall, MB]) and the other viewers before and after.
 * RSS: the mean of the last measured window against the first (after `fillS`, when the kernel's buffers are
 * full). GC alone moves RSS by a few MB within seconds, so a slope over 20 s would read a sawtooth as growth;
 * a queue that grows without bound adds MBs every window. The slope is reported.
 */
function judgeStall(samples: [number, number][], fillS: number, before: StepViewers, last: StepViewers): Pick<StallResult, 'rssWindowGrowthMb' | 'rssSlopeMbPerMin' | 'holds' | 'why'> {
  const measured = samples.filter(([t]) => t >= fillS);
  const slope = slopePerMinute(measured);
  const span = measured.length ? measured[measured.length - 1]![0] - measured[0]![0] : 0;
  const mean = (xs: [number, number][]) => (xs.length ? xs.reduce((a, x) => a + x[1], 0) / xs.length : 0);
  const t0 = measured[0]?.[0] ?? 0;
  const firstW = mean(measured.filter(([t]) => t <= t0 + span / 3));
  const lastW = mean(measured.filter(([t]) => t >= t0 + (2 * span) / 3));
  const growth = lastW - firstW;
  const p0 = before.latency.p50 ?? 0;
  const p1 = last.latency.p50 ?? Infinity;
  const reasons: string[] = [];
  if (measured.length >= 3 && growth > Math.max(8, firstW * 0.05)) {
    reasons.push(`RSS still growing: ${round(firstW, 0)} MB in the first window, ${round(lastW, 0)} MB in the last (${round(slope, 1)} MB/min)`);
  }
  if (last.okPct < 99) reasons.push(`only ${last.okPct}% of the other viewers got >= 98% of the stream`);
  if (p1 > Math.max(p0 * 1.2, p0 + 25)) reasons.push(`others' latency p50 went from ${p0} to ${p1} ms`);
  return {
    rssWindowGrowthMb: round(growth, 1)!,
    rssSlopeMbPerMin: round(slope, 2)!,
    holds: reasons.length === 0,
    why: reasons.join('; ') || 'RSS levels off, the others keep their bitrate and latency',
  };
}

/** Least-squares slope of [seconds, MB] samples, in MB per minute. */
function slopePerMinute(pts: [number, number][]): number {
  if (pts.length < 2) return 0;
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den > 0 ? (num / den) * 60 : 0;
}

function stampName(d: Date): string {
  return d.toISOString().replace(/:/g, '-').replace(/\..*$/, '');
}

/** `--render FILE.json`: the markdown (and README table) again from a results file, without measuring. */
function render(file: string, readme: boolean): void {
  const out = JSON.parse(readFileSync(file, 'utf8')) as Out;
  for (const r of out.runs) {
    const m = r.m7;
    if (m) Object.assign(m, judgeStall(m.rssSamples, out.options.stallFillS, m.before.viewers, m.after[m.after.length - 1]!.viewers));
  }
  out.metrics = computeMetrics(out.runs, out.options);
  writeFileSync(file, JSON.stringify(out, null, 2));
  const md = renderMarkdown(out);
  writeFileSync(file.replace(/\.json$/, '.md'), md);
  console.log(md);
  if (readme && out.mode !== 'profile' && !out.options.only) updateReadme(md, relative(ROOT, file));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  const again = argv.indexOf('--render');
  if (again >= 0) return render(resolve(argv[again + 1] ?? ''), o.readme);
  const source = ensureSource(log);
  log(`source ${source.path}: ${source.kbps.toFixed(0)} kbit/s payload, ${source.fps} fps, ${source.keyframes} keyframes in ${source.durationMs} ms`);
  const bench = new Bench(o, source);
  const started = new Date();
  const load0 = loadavg();
  for (const spec of specs(o)) bench.results.push(await bench.run(spec));
  const out = {
    date: started.toISOString(),
    mode: o.profile ? 'profile' : o.full ? 'full' : 'quick',
    options: o,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version, kernel: release(), loadavgBefore: load0, loadavgAfter: loadavg() },
    source,
    runs: bench.results,
    metrics: computeMetrics(bench.results, o),
  };
  const name = stampName(started) + (o.profile ? '-profile' : o.full ? '-full' : '');
  // a partial run (--only) is kept out of the repository's results
  const dir = o.only ? join(WORK_DIR, 'results') : RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  writeFileSync(jsonPath, JSON.stringify(out, null, 2));
  const md = renderMarkdown(out);
  writeFileSync(join(dir, `${name}.md`), md);
  console.log(md);
  log(`wrote ${jsonPath} and ${name}.md`);
  if (o.readme && !o.profile && !o.only) {
    updateReadme(md, `bench/results/${name}.json`);
    log('updated the Benchmarks table in README.md');
  }
}

// Raise the open-file limit to the hard limit and pin this process (and so the publisher, ffmpeg and the load
// clients it starts) to the client core, then run for real. The server under test is pinned on its own.
if (!process.env.SRS_NODE_BENCH_INNER) {
  const o = parseOptions(process.argv.slice(2));
  const self = fileURLToPath(import.meta.url);
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec taskset -c "$0" "$@"', o.clientCpu, process.execPath, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SRS_NODE_BENCH_INNER: '1' },
  });
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
} else {
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main().catch((e: Error) => {
    log(`failed: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}
