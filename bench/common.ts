// Shared pieces of the fan-out benchmark: paths, the wall-clock stamp the bench publisher puts in an H.264
// SEI NAL (user_data_unregistered, ITU-T H.264 D.1.6), /proc sampling, latency histograms, and the messages
// the orchestrator exchanges with its child processes over IPC.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');
export const WORK_DIR = join(BENCH_DIR, 'work');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const DIST_BENCH = join(ROOT, 'dist', 'bench');

/** 16 bytes that mark our SEI payload; ASCII so the NAL never needs emulation prevention. */
export const STAMP_UUID = Buffer.from('srs-node-bench-1', 'latin1');
/** Offset of the 16 hex digits (microseconds since the epoch) in an FLV video tag body / RTMP video payload:
 *  5 (AVC prefix) + 4 (NAL length) + 1 (NAL header) + 1 (payload type) + 1 (payload size) + 16 (UUID). */
export const STAMP_HEX_OFFSET = 28;
/** Bytes of a video body a viewer keeps to read the keyframe flag and the stamp. */
export const STAMP_CAPTURE = STAMP_HEX_OFFSET + 16;

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The SEI NAL unit (AVCC: 4-byte length first) carrying `ms` as 16 hex digits of microseconds. */
export function stampNal(ms: number): Buffer {
  const hex = Math.round(ms * 1000).toString(16).padStart(16, '0');
  const payload = Buffer.concat([STAMP_UUID, Buffer.from(hex, 'latin1')]);
  const nal = Buffer.allocUnsafe(4 + 3 + payload.length + 1);
  nal.writeUInt32BE(nal.length - 4, 0);
  nal[4] = 0x06; // nal_unit_type 6: SEI
  nal[5] = 0x05; // payloadType 5: user_data_unregistered
  nal[6] = payload.length;
  payload.copy(nal, 7);
  nal[nal.length - 1] = 0x80; // rbsp_trailing_bits
  return nal;
}

/** Reads the stamp (ms since the epoch) from `b` at `off` where the UUID starts at off - 16; NaN if absent. */
export function readStamp(b: Buffer, hexOffset: number): number {
  if (b[hexOffset - 16] !== 0x73 || b[hexOffset - 15] !== 0x72 || b[hexOffset - 1] !== 0x31) return NaN;
  let v = 0;
  for (let i = hexOffset; i < hexOffset + 16; i++) {
    const c = b[i]!;
    const d = c <= 0x39 ? c - 0x30 : c - 0x57;
    if (d < 0 || d > 15) return NaN;
    v = v * 16 + d;
  }
  return v / 1000;
}

/** CPU time of a process (all its threads) in clock ticks (USER_HZ, 100 per second on Linux). */
export function cpuTicks(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** User and kernel CPU time of a process in clock ticks. */
export function cpuTimes(pid: number): { user: number; sys: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}

export const TICKS_PER_SECOND = 100;

/** Resident set size of a process in KiB. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

/** Whole-machine CPU time (all cores): [busy, total] jiffies, to tell how loaded the machine was. */
export function machineTicks(): { busy: number; total: number; perCpu: { busy: number; total: number }[] } {
  const lines = readFileSync('/proc/stat', 'latin1').split('\n');
  const parse = (l: string) => {
    const v = l.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  };
  const all = parse(lines[0]!);
  const perCpu = lines.filter((l) => /^cpu\d+ /.test(l)).map(parse);
  return { ...all, perCpu };
}

/** Latency histogram: 1 ms bins up to 20 s (the last bin holds everything above). */
export class Histogram {
  static readonly BINS = 20000;
  counts = new Uint32Array(Histogram.BINS);
  n = 0;

  add(ms: number): void {
    let i = ms < 0 ? 0 : Math.floor(ms);
    if (i >= Histogram.BINS) i = Histogram.BINS - 1;
    this.counts[i]!++;
    this.n++;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
  }

  /** Non-empty bins as [ms, count] pairs, for IPC. */
  toSparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) out.push([i, this.counts[i]!]);
    return out;
  }

  addSparse(s: [number, number][]): void {
    for (const [i, c] of s) {
      this.counts[i]! += c;
      this.n += c;
    }
  }

  /** The q-quantile in ms (bin midpoint), or null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const target = q * this.n;
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      if (acc >= target) return i + 0.5;
    }
    return Histogram.BINS;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function round(v: number | null | undefined, digits = 1): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}

export function quantileOf(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------------------
// IPC between the orchestrator and its children

export type Proto = 'flv' | 'rtmp';

/** Where viewers connect: HTTP-FLV at http://host:port/app/stream.flv or RTMP at rtmp://host:port/app/stream. */
export interface Target {
  proto: Proto;
  host: string;
  port: number;
  app: string;
  stream: string;
  /** appended to the stream name, e.g. ?token=<play token> */
  query?: string;
}

/** Orchestrator -> load client. */
export type ClientCommand =
  | { cmd: 'add'; id: number; n: number; stalled?: boolean }
  | { cmd: 'window-start'; id: number; seconds: number }
  | { cmd: 'window-end'; id: number }
  | { cmd: 'probe'; id: number; count: number; gapMs: number }
  | { cmd: 'close-all'; id: number }
  | { cmd: 'close-stalled'; id: number }
  | { cmd: 'exit'; id: number };

/** Per viewer, per keyframe received in the window: ts, payload bytes before it, arrival (wall ms), latency ms (or -1). */
export interface ViewerWindow {
  keys: number[];
  bytes: number;
  /** mean latency (ms) of the stamped frames in the first and second half of the window; -1 if none */
  lat1: number;
  lat2: number;
}

export interface WindowReport {
  viewers: ViewerWindow[];
  /** latency of every stamped video frame received by a reading viewer during the window */
  latency: [number, number][];
  /** this client process's CPU over the window, % of one core */
  cpuPct: number;
  /** viewers whose connection ended during the run */
  closed: number;
  stalled: number;
}

/** Load client -> orchestrator: an answer to a command with the same id. */
export interface ClientReply {
  id: number;
  ok: boolean;
  error?: string;
  connected?: number;
  failed?: number;
  window?: WindowReport;
  probes?: number[];
}

/** Publisher (bench publisher or ideal fan-out) -> orchestrator: keyframes as [dts, payload bytes sent before it]. */
export interface KeysMessage {
  type: 'keys';
  keys: [number, number][];
}

/** Runs a benchmark's main function and exits: 0 when it resolves, 1 with its message when it throws. */
export function runMain(run: () => Promise<void>): void {
  run().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`bench failed: ${e.message}`);
      process.exit(1);
    },
  );
}
