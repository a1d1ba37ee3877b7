// The benchmark's metrics (M1..M7 of issue 7) as numbers and ratios against the targets, the markdown
// report, and the README's "Benchmarks" table (only the part between its bench markers is rewritten).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, round } from './common.js';
import type { Options, RunResult, StepResult } from './fanout.js';
import type { SourceInfo } from './source.js';

export interface TargetCheck {
  metric: string;
  ours: number | string | null;
  other: number | string | null;
  ratio: number | null;
  target: string;
  met: boolean | null;
}

export interface Metrics {
  checks: TargetCheck[];
  m2: Record<string, { passed: number | null; estimate: number | null; note: string }>;
}

function stepAt(r: RunResult | undefined, n: number): StepResult | undefined {
  return r?.steps.find((s) => s.target === n);
}

/** M2 for one run: the largest step that passed, and an estimate of where CPU would reach 80%. */
function maxViewers(r: RunResult | undefined): { passed: number | null; estimate: number | null; note: string } {
  if (!r || r.steps.length === 0) return { passed: null, estimate: null, note: 'not run' };
  const pass = (s: StepResult) => s.cpuPct <= 80 && s.viewers.okPct >= 100;
  let passed: StepResult | null = null;
  let failed: StepResult | null = null;
  for (const s of r.steps) {
    if (pass(s)) {
      if (!failed) passed = s;
    } else if (!failed) failed = s;
  }
  const base = r.baseline?.cpuPct ?? 0;
  if (!failed && passed) {
    // every step passed: extrapolate the CPU line through the largest step (an estimate; load clients and
    // the machine may give out before the server does)
    const perViewer = (passed.cpuPct - base) / passed.n;
    const est = perViewer > 0 ? Math.floor((80 - base) / perViewer) : null;
    return { passed: passed.n, estimate: est, note: `every step passed; estimate extrapolates CPU to 80%` };
  }
  if (failed && passed) {
    if (failed.cpuPct > 80) {
      const f = (80 - passed.cpuPct) / (failed.cpuPct - passed.cpuPct);
      return { passed: passed.n, estimate: Math.round(passed.n + f * (failed.n - passed.n)), note: `fails at ${failed.n} (CPU ${failed.cpuPct}%)` };
    }
    return { passed: passed.n, estimate: passed.n, note: `fails at ${failed.n}: ${failed.viewers.okPct}% of viewers got >= 98% of the stream` };
  }
  if (failed) {
    const perViewer = (failed.cpuPct - base) / failed.n;
    return { passed: null, estimate: failed.cpuPct > 80 && perViewer > 0 ? Math.floor((80 - base) / perViewer) : null, note: `fails already at ${failed.n}` };
  }
  return { passed: null, estimate: null, note: 'no data' };
}

export function computeMetrics(results: RunResult[], o: Options): Metrics {
  const run = (id: string) => results.find((r) => r.spec.id === id && !r.error);
  const checks: TargetCheck[] = [];
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b > 0 ? round(a / b, 3) : null);
  for (const p of ['flv', 'rtmp'] as const) {
    const name = p === 'flv' ? 'HTTP-FLV' : 'RTMP';
    for (const n of o.steps.slice(0, 3)) {
      const ours = stepAt(run(`ours-${p}`), n);
      const nms = stepAt(run(`nms-${p}`), n);
      const mw0 = stepAt(run(`ours-${p}-mw0`), n);
      if (ours || nms) {
        const r = ratio(ours?.cpuPer100, nms?.cpuPer100);
        checks.push({ metric: `M1 ${name} CPU %/100 viewers, N=${n}`, ours: ours?.cpuPer100 ?? null, other: nms?.cpuPer100 ?? null, ratio: r, target: '<= 0.15', met: r === null ? null : r <= 0.15 });
      }
      if (mw0 || nms) {
        const r = ratio(mw0?.cpuPer100, nms?.cpuPer100);
        checks.push({ metric: `M1 ${name} MW_LATENCY=0, N=${n}`, ours: mw0?.cpuPer100 ?? null, other: nms?.cpuPer100 ?? null, ratio: r, target: '<= 0.3', met: r === null ? null : r <= 0.3 });
      }
      const mw40 = stepAt(run(`ours-${p}-mw40`), n);
      if (mw40 && nms) {
        const r = ratio(mw40.cpuPer100, nms.cpuPer100);
        checks.push({ metric: `(M1 ${name} MW_LATENCY=40, N=${n})`, ours: mw40.cpuPer100, other: nms.cpuPer100, ratio: r, target: '<= 0.3', met: r === null ? null : r <= 0.3 });
      }
      // For reading M1 at small N: the cost of the viewers alone (minus the publisher-only window), and the
      // ideal fan-out's own ratio (it takes in no stream at all: no server can go below it).
      const ob = run(`ours-${p}`)?.baseline;
      const nb = run(`nms-${p}`)?.baseline;
      if (ours && nms && ob && nb && ours.n > 0 && nms.n > 0) {
        const a = round((ours.cpuPct - ob.cpuPct) / (ours.n / 100), 2);
        const b = round((nms.cpuPct - nb.cpuPct) / (nms.n / 100), 2);
        const r = ratio(a, b);
        checks.push({ metric: `(M1 ${name} viewers only: CPU minus publisher-only CPU, per 100 viewers, N=${n})`, ours: a, other: b, ratio: r, target: '<= 0.15', met: r === null ? null : r <= 0.15 });
      }
      const floor = stepAt(run('floor-350'), n);
      if (p === 'flv' && floor && nms) {
        checks.push({ metric: `(M1 ideal fan-out, 350 ms writes, no stream to take in, N=${n}: the lowest ratio reachable)`, ours: floor.cpuPer100, other: nms.cpuPer100, ratio: ratio(floor.cpuPer100, nms.cpuPer100), target: 'report', met: null });
      }
    }
  }
  const m2: Metrics['m2'] = {};
  for (const r of results) if (!r.spec.profile) m2[r.spec.id] = maxViewers(r);
  for (const p of ['flv', 'rtmp'] as const) {
    const a = m2[`ours-${p}`];
    const b = m2[`nms-${p}`];
    if (a && b) {
      const r = ratio(a.estimate, b.estimate);
      const est = (v: typeof a) => (v.note.startsWith('every step') ? ' (extrapolated)' : '');
      checks.push({ metric: `M2 ${p === 'flv' ? 'HTTP-FLV' : 'RTMP'} max viewers (<80% CPU, all >= 98%): ours${est(a)}, nms${est(b)}`, ours: a.estimate, other: b.estimate, ratio: r, target: '>= 4', met: r === null ? null : r >= 4 });
    }
  }
  for (const p of ['flv', 'rtmp'] as const) {
    const n = o.steps.includes(o.rssStep) ? o.rssStep : o.steps[o.steps.length - 1]!;
    const a = stepAt(run(`ours-${p}`), n);
    const b = stepAt(run(`nms-${p}`), n);
    if (a || b) {
      const r = ratio(a?.rssPerViewerKb, b?.rssPerViewerKb);
      checks.push({ metric: `M3 ${p === 'flv' ? 'HTTP-FLV' : 'RTMP'} RSS KB/viewer, N=${n} (after ${a?.rssAgeS ?? b?.rssAgeS} s)`, ours: a?.rssPerViewerKb ?? null, other: b?.rssPerViewerKb ?? null, ratio: r, target: '<= 0.5', met: r === null ? null : r <= 0.5 });
    }
  }
  for (const p of ['flv', 'rtmp'] as const) {
    const a = stepAt(run(`ours-${p}-mw0`), o.steps[0]!);
    const b = stepAt(run(`nms-${p}`), o.steps[0]!);
    if (a) {
      const v = a.viewers.latency.p50;
      checks.push({ metric: `M4 ${p === 'flv' ? 'HTTP-FLV' : 'RTMP'} MW_LATENCY=0 latency p50 ms, N=${a.target}`, ours: v, other: b?.viewers.latency.p50 ?? null, ratio: null, target: '<= 50 ms', met: v === null ? null : v <= 50 });
    }
  }
  for (const p of ['flv', 'rtmp'] as const) {
    const n = o.steps.includes(1000) ? 1000 : o.steps[o.steps.length - 1]!;
    const a = stepAt(run(`ours-${p}`), n);
    const b = stepAt(run(`nms-${p}`), n);
    const pp = (x: StepResult | undefined) => (x ? `${round(x.viewers.latency.p50, 0)} / ${round(x.viewers.latency.p95, 0)}` : null);
    if (a || b) checks.push({ metric: `M4 ${p === 'flv' ? 'HTTP-FLV' : 'RTMP'} default latency p50 / p95 ms, N=${n}`, ours: pp(a), other: pp(b), ratio: null, target: 'report (merged writes add up to MW_LATENCY)', met: null });
  }
  const a40 = stepAt(run('ours-flv-mw40'), o.steps[0]!);
  if (a40) {
    const v = a40.viewers.latency.p50;
    checks.push({ metric: `(M4 HTTP-FLV MW_LATENCY=40 latency p50 ms, N=${a40.target})`, ours: v, other: null, ratio: null, target: '<= 50 ms', met: v === null ? null : v <= 50 });
  }
  for (const id of ['ours-flv', 'ours-rtmp']) {
    const a = run(id)?.m5;
    const b = run(id.replace('ours', 'nms'))?.m5;
    if (a) checks.push({ metric: `M5 ${id.endsWith('flv') ? 'HTTP-FLV' : 'RTMP'} time to first keyframe p50 ms`, ours: a.p50, other: b?.p50 ?? null, ratio: null, target: '<= 100 ms', met: a.p50 === null ? null : a.p50 <= 100 });
  }
  const m6 = run('ours-flv')?.m6;
  if (m6) checks.push({ metric: 'M6 HLS segment to playlist p50 ms', ours: m6.p50, other: 'no HLS', ratio: null, target: 'report', met: null });
  const m7 = (m: NonNullable<RunResult['m7']>) => `${m.rssWindowGrowthMb ?? '-'} (${m.rssSlopeMbPerMin})`;
  const s1 = run('ours-flv')?.m7;
  const s2 = run('nms-flv')?.m7;
  if (s1) checks.push({ metric: `M7 5% stalled viewers, N=${s1.n}: RSS growth MB, first to last window (trend MB/min)`, ours: m7(s1), other: s2 ? m7(s2) : null, ratio: null, target: 'bounded, others unaffected', met: s1.holds });
  for (const [oursId, floorId] of [['ours-flv', 'floor-350'], ['ours-flv-mw40', 'floor-40'], ['ours-flv-mw0', 'floor-0']] as const) {
    const n = o.steps.includes(1000) ? 1000 : o.steps[o.steps.length - 1]!;
    const a = stepAt(run(oursId), n);
    const f = stepAt(run(floorId), n);
    if (a && f) {
      const r = ratio(a.cpuPct, f.cpuPct);
      checks.push({ metric: `floor: ${oursId} CPU / ${floorId} CPU, N=${n}`, ours: a.cpuPct, other: f.cpuPct, ratio: r, target: '<= 1.5', met: r === null ? null : r <= 1.5 });
    }
  }
  return { checks, m2 };
}

export interface Out {
  date: string;
  mode: string;
  options: Options;
  machine: { cpus: number; model: string; node: string; kernel: string; loadavgBefore: number[]; loadavgAfter: number[] };
  source: SourceInfo;
  runs: RunResult[];
  metrics: Metrics;
}

const f = (v: number | string | null | undefined, d = 1) => (v === null || v === undefined ? '-' : typeof v === 'number' ? String(round(v, d)) : v);

export function renderMarkdown(out: Out): string {
  const o = out.options;
  const lines: string[] = [];
  lines.push(`Fan-out benchmark, ${out.date.slice(0, 16).replace('T', ' ')} UTC, ${out.mode} mode: ${out.machine.cpus} cores (${out.machine.model}), Node ${out.machine.node}; server on core ${o.serverCpu}, publisher and ${o.clients} load clients on core ${o.clientCpu}; ` +
    `source ${Math.round(out.source.kbps)} kbit/s (H.264 1280x720 ${Math.round(out.source.fps)} fps, 2 s GOP, AAC); ${o.windowS} s windows; load average before ${out.machine.loadavgBefore.map((x) => x.toFixed(2)).join(' ')}.`);
  lines.push('');
  lines.push('| run | N | server CPU % | of it kernel % | CPU % per 100 viewers | RSS MB | RSS KB/viewer | viewers >= 98% | latency p50 / p95 ms | server core busy % | client core busy % |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of out.runs) {
    if (r.error) {
      lines.push(`| ${r.spec.id} | - | failed: ${r.error} | | | | | | | | |`);
      continue;
    }
    const b = r.baseline;
    if (b) lines.push(`| ${r.spec.id} | 0 (publisher only) | ${f(b.cpuPct, 2)} | ${f(b.sysPct, 2)} | - | ${f(b.rssKb / 1024, 0)} | - | - | - | - | - |`);
    for (const s of r.steps) {
      lines.push(
        `| ${r.spec.id} | ${s.n} | ${f(s.cpuPct)} | ${f(s.sysPct)} | ${f(s.cpuPer100, 2)} | ${f(s.rssKb / 1024, 0)} | ${f(s.rssPerViewerKb)} | ${f(s.viewers.okPct)}% | ${f(s.viewers.latency.p50, 0)} / ${f(s.viewers.latency.p95, 0)} | ${f(s.serverCoreBusyPct, 0)} | ${f(s.clientCoreBusyPct, 0)} |`,
      );
    }
  }
  lines.push('');
  lines.push('| metric | this server | node-media-server / floor | ratio | target | met |');
  lines.push('|---|---|---|---|---|---|');
  for (const c of out.metrics.checks) {
    lines.push(`| ${c.metric} | ${f(c.ours, 2)} | ${f(c.other, 2)} | ${f(c.ratio, 3)} | ${c.target} | ${c.met === null ? '-' : c.met ? 'yes' : 'no'} |`);
  }
  lines.push('');
  const m2 = Object.entries(out.metrics.m2).map(([id, v]) => `${id} ${v.passed ?? '-'} passed, ~${v.estimate ?? '-'} est. (${v.note})`);
  if (m2.length) lines.push(`M2 per run: ${m2.join('; ')}.`);
  for (const r of out.runs) {
    if (r.m5) lines.push(`M5 ${r.spec.id}: time to first keyframe ${r.m5.protoMs.join(', ')} ms (connect to keyframe, incl. the RTMP handshake and commands for RTMP).`);
    if (r.m6) lines.push(`M6 ${r.spec.id}: ${r.m6.segments} segments, last video frame to playlist ${r.m6.delays.join(', ')} ms (playlist polled every ${r.m6.pollMs} ms; includes waiting for the next keyframe, which closes a segment).`);
    if (r.m7) {
      const m = r.m7;
      lines.push(
        `M7 ${r.spec.id}: N=${m.n} + ${m.stalled} stalled; RSS ${f(m.before.rssKb / 1024, 0)} -> ${m.after.map((a) => f(a.rssKb / 1024, 0)).join(' -> ')} MB (trend ${f(m.rssSlopeMbPerMin, 2)} MB/min); ` +
          `others latency p50 ${f(m.before.viewers.latency.p50, 0)} -> ${f(m.after[m.after.length - 1]!.viewers.latency.p50, 0)} ms, p95 ${f(m.before.viewers.latency.p95, 0)} -> ${f(m.after[m.after.length - 1]!.viewers.latency.p95, 0)} ms, ` +
          `OK ${f(m.after[m.after.length - 1]!.viewers.okPct)}%: ${m.holds ? 'holds' : 'does not hold'} (${m.why}).`,
      );
    }
    if (r.profile) {
      const p = r.profile;
      lines.push(`Profile ${r.spec.id}: busy ${p.busyMs} of ${p.totalMs} ms; by area ${Object.entries(p.areas).map(([a, v]) => `${a} ${v}%`).join(', ')}.`);
      lines.push(`  self: ${p.self.slice(0, 10).map((x) => `${x.fn} (${x.at}) ${x.pct}%`).join('; ')}`);
      lines.push(`  inclusive: ${p.inclusive.slice(0, 10).map((x) => `${x.fn} (${x.at}) ${x.pct}%`).join('; ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';

/** Replaces the table between the bench markers in README.md (adds a Benchmarks section at the end if missing). */
export function updateReadme(md: string, jsonPath: string): void {
  const path = join(ROOT, 'README.md');
  const text = readFileSync(path, 'utf8');
  const block = `${START}\n${md}\nFull numbers: \`${jsonPath}\`.\n${END}`;
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + END.length) : `${text.trimEnd()}\n\n## Benchmarks\n\n${block}\n`;
  writeFileSync(path, next);
}
