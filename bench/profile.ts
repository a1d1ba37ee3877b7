// Summarizes a V8 .cpuprofile (node --cpu-prof): where the busy time went, by function (self and inclusive)
// and by area (our code, Node's net/stream/http internals, GC, native).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  /** % of busy time by area */
  areas: Record<string, number>;
  /** top functions by self time: name, location, % of busy */
  self: { fn: string; at: string; pct: number }[];
  /** top functions by inclusive time (self + callees), % of busy */
  inclusive: { fn: string; at: string; pct: number }[];
}

function shortUrl(url: string): string {
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const j = url.indexOf('/node_modules/');
  if (j >= 0) return url.slice(j + 14);
  return url.replace(/^file:\/\//, '');
}

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'native (program)';
  if (fn === '(idle)') return 'idle';
  if (url.includes('/dist/src/hub/')) return 'our hub';
  if (url.includes('/dist/src/servers/')) return 'our servers';
  if (url.includes('/dist/src/codecs/')) return 'our codecs';
  if (url.includes('/dist/')) return 'our other code';
  if (url.includes('/node_modules/pino') || url.includes('/node_modules/sonic-boom')) return 'logging (pino)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (/^node:(net|stream|internal\/streams|internal\/stream_base_commons)/.test(url)) return 'node net/stream';
  if (/^node:(_http|http|internal\/http)/.test(url)) return 'node http';
  if (/^node:internal\/timers|^node:timers/.test(url)) return 'node timers';
  if (url === '') return 'native (V8/builtins)';
  return 'node other';
}

/** `windows`: only samples taken inside these [from, to] CLOCK_MONOTONIC microsecond ranges (the measurement
 *  windows; V8 stamps samples with the same clock on Linux); all samples when empty. */
export function summarizeProfile(path: string, windows: [number, number][] = [], top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  const inside = (t: number) => windows.length === 0 || windows.some(([a, b]) => t >= a && t <= b);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (!inside(t)) continue;
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  // inclusive time per node, then per function (counting a function once per stack)
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\t${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const selfByFn = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  const areas: Record<string, number> = {};
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    total += us;
    const fn = n.callFrame.functionName;
    if (fn === '(idle)') {
      idle += us;
      continue;
    }
    const a = area(n.callFrame.url, fn);
    areas[a] = (areas[a] ?? 0) + us;
    selfByFn.set(key(n), (selfByFn.get(key(n)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const pct = (us: number) => Math.round((us / busy) * 1000) / 10;
  const list = (m: Map<string, number>, skip: (fn: string) => boolean) =>
    [...m.entries()]
      .filter(([k]) => !skip(k.split('\t')[0]!))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => {
        const [fn, at] = k.split('\t');
        return { fn: fn!, at: at!, pct: pct(us) };
      });
  const areaPct: Record<string, number> = {};
  for (const [a, us] of Object.entries(areas).sort((x, y) => y[1] - x[1])) areaPct[a] = pct(us);
  return {
    file: path,
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    busyMs: Math.round(busy / 1000),
    areas: areaPct,
    self: list(selfByFn, () => false),
    inclusive: list(inclByFn, (fn) => fn === '(root)' || fn === '(program)' || fn === '(garbage collector)'),
  };
}

// `node dist/bench/profile.js FILE.cpuprofile` prints the summary.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  console.log(JSON.stringify(summarizeProfile(process.argv[2]), null, 2));
}
