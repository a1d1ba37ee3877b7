// Turns one measurement window (load-client reports + the publisher's keyframe table) into per-step numbers:
// what fraction of the stream each viewer received, whether it kept up, and the latency distribution.
import { Histogram, quantileOf, round, type WindowReport } from './common.js';

/** A viewer passes when it received at least this fraction of the payload the publisher sent... */
export const MIN_DELIVERED = 0.98;
/** ...and it keeps up: its mean latency in the window's second half is at most this much (ms per second of
 *  window) above the first half's, i.e. it receives the stream at >= 98% of real time (a viewer at 98%
 *  falls behind by 10 ms per second of window between the halves' midpoints). At least 100 ms, well above the
 *  noise of merged writes. */
export const LAG_GROWTH_MS_PER_S = 10;

export interface StepViewers {
  /** viewers measured (reading ones; stalled ones are left out) */
  viewers: number;
  /** viewers that passed both tests */
  ok: number;
  okPct: number;
  /** viewers with fewer than two keyframes in the window: starved */
  starved: number;
  deliveredMin: number | null;
  deliveredP5: number | null;
  /** worst growth of a viewer's mean latency from the first to the second half of the window, ms */
  lagGrowthMax: number | null;
  /** viewers that fell behind (latency grew more than the bound) */
  behind: number;
  /** average payload received per viewer, kbit/s */
  kbpsAvg: number | null;
  latency: { p50: number | null; p95: number | null; p99: number | null; samples: number };
}

export function analyzeWindow(reports: WindowReport[], pubKeys: [number, number][], windowS: number): StepViewers {
  const pub = new Map<number, number>(pubKeys);
  const hist = new Histogram();
  const delivered: number[] = [];
  let viewers = 0;
  let ok = 0;
  let starved = 0;
  let lagMax: number | null = null;
  let behind = 0;
  let bytes = 0;
  const maxGrowth = Math.max(100, LAG_GROWTH_MS_PER_S * windowS);
  for (const r of reports) {
    hist.addSparse(r.latency);
    for (const v of r.viewers) {
      viewers++;
      bytes += v.bytes;
      // the first and last keyframes of this window that the publisher also knows
      let first = -1;
      let last = -1;
      for (let i = 0; i < v.keys.length; i += 4) {
        if (!pub.has(v.keys[i]!)) continue;
        if (first < 0) first = i;
        last = i;
      }
      if (first < 0 || last === first) {
        starved++;
        delivered.push(0);
        continue;
      }
      const k = v.keys;
      const got = k[last + 1]! - k[first + 1]!;
      const sent = pub.get(k[last]!)! - pub.get(k[first]!)!;
      const d = sent > 0 ? got / sent : 0;
      delivered.push(d);
      const growth = v.lat1 >= 0 && v.lat2 >= 0 ? v.lat2 - v.lat1 : 0;
      if (lagMax === null || growth > lagMax) lagMax = growth;
      if (growth > maxGrowth) behind++;
      if (d >= MIN_DELIVERED && growth <= maxGrowth) ok++;
    }
  }
  return {
    viewers,
    ok,
    okPct: viewers ? round((ok / viewers) * 100, 1)! : 0,
    starved,
    deliveredMin: round(delivered.length ? Math.min(...delivered) : null, 4),
    deliveredP5: round(quantileOf(delivered, 0.05), 4),
    lagGrowthMax: round(lagMax, 0),
    behind,
    kbpsAvg: viewers ? round((bytes * 8) / 1000 / windowS / viewers, 0) : null,
    latency: { p50: round(hist.quantile(0.5), 1), p95: round(hist.quantile(0.95), 1), p99: round(hist.quantile(0.99), 1), samples: hist.n },
  };
}
