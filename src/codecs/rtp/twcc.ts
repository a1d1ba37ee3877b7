// Transport-wide congestion control feedback, the receiver's side (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 section 3.1: RTCP RTPFB, FMT 15). A sender numbers every packet with a transport-wide
// sequence number; the receiver tells it when each one arrived (or that it did not), and the sender's
// bandwidth estimator (Chrome's GoogCC) raises or lowers the encoder's bitrate from that. A browser that gets
// no usable feedback stays at its start bitrate or lowers it, and its encoder then drops frames.
// Pure: sequence numbers and arrival times in, RTCP packets out.
import { seqDiff } from './rtp-packet.js';

export const RTCP_RTPFB = 205;
export const TWCC_FMT = 15;
/** the reference time counts 64 ms steps; receive deltas count 250 µs steps */
export const TWCC_REFERENCE_US = 64_000;
export const TWCC_DELTA_US = 250;

export enum TwccStatus {
  NotReceived = 0,
  /** received, delta 0..255 steps: one byte */
  SmallDelta = 1,
  /** received, delta -32768..32767 steps: two bytes */
  LargeDelta = 2,
}

export interface TwccFeedbackFields {
  senderSsrc: number;
  mediaSsrc: number;
  /** transport-wide sequence number of the first packet reported */
  baseSeq: number;
  /** 64 ms steps (24 bits on the wire) */
  referenceTime: number;
  /** feedback packet counter (8 bits on the wire) */
  fbCount: number;
  /**
   * one entry per packet from baseSeq on: its arrival in 250 µs steps after the previous received packet
   * (the first received: after the reference time), or null when it did not arrive
   */
  deltas: (number | null)[];
}

const MAX_RUN = 0x1fff;

function statusOf(d: number | null): TwccStatus {
  if (d === null) return TwccStatus.NotReceived;
  if (d >= 0 && d <= 0xff) return TwccStatus.SmallDelta;
  if (d >= -0x8000 && d <= 0x7fff) return TwccStatus.LargeDelta;
  throw new RangeError(`a TWCC receive delta of ${d} steps does not fit in 16 bits`);
}

/** The packet chunks for `statuses`: run-length chunks for long runs, status vectors otherwise. */
function packetChunks(statuses: TwccStatus[]): number[] {
  const chunks: number[] = [];
  let i = 0;
  while (i < statuses.length) {
    const s = statuses[i]!;
    let run = 1;
    while (i + run < statuses.length && statuses[i + run] === s && run < MAX_RUN) run++;
    if (run >= 14) {
      chunks.push((s << 13) | run); // T=0: status, run length
      i += run;
      continue;
    }
    const one = Math.min(14, statuses.length - i);
    let oneBit = true;
    for (let k = 0; k < one; k++) if (statuses[i + k]! > TwccStatus.SmallDelta) oneBit = false;
    if (oneBit) {
      let c = 0x8000; // T=1, S=0: 14 one-bit symbols
      for (let k = 0; k < one; k++) if (statuses[i + k] === TwccStatus.SmallDelta) c |= 1 << (13 - k);
      chunks.push(c);
      i += one;
    } else {
      const n = Math.min(7, statuses.length - i);
      let c = 0xc000; // T=1, S=1: 7 two-bit symbols
      for (let k = 0; k < n; k++) c |= statuses[i + k]! << (12 - 2 * k);
      chunks.push(c);
      i += n;
    }
  }
  return chunks;
}

/** One transport-wide CC feedback packet (RTCP, padded to 32 bits with the P bit set when needed). */
export function writeTwccFeedback(f: TwccFeedbackFields): Buffer {
  if (f.deltas.length === 0 || f.deltas.length > 0xffff) throw new RangeError(`a TWCC feedback reports 1..65535 packets, not ${f.deltas.length}`);
  const statuses = f.deltas.map(statusOf);
  const chunks = packetChunks(statuses);
  let deltaBytes = 0;
  for (const s of statuses) deltaBytes += s === TwccStatus.SmallDelta ? 1 : s === TwccStatus.LargeDelta ? 2 : 0;
  const unpadded = 20 + chunks.length * 2 + deltaBytes;
  const padding = (4 - (unpadded % 4)) % 4;
  const b = Buffer.alloc(unpadded + padding);
  b[0] = 0x80 | (padding > 0 ? 0x20 : 0) | TWCC_FMT;
  b[1] = RTCP_RTPFB;
  b.writeUInt16BE(b.length / 4 - 1, 2);
  b.writeUInt32BE(f.senderSsrc >>> 0, 4);
  b.writeUInt32BE(f.mediaSsrc >>> 0, 8);
  b.writeUInt16BE(f.baseSeq & 0xffff, 12);
  b.writeUInt16BE(f.deltas.length, 14);
  b.writeUIntBE(f.referenceTime & 0xffffff, 16, 3);
  b[19] = f.fbCount & 0xff;
  let o = 20;
  for (const c of chunks) o = b.writeUInt16BE(c, o);
  for (let i = 0; i < statuses.length; i++) {
    if (statuses[i] === TwccStatus.SmallDelta) o = b.writeUInt8(f.deltas[i]!, o);
    else if (statuses[i] === TwccStatus.LargeDelta) o = b.writeInt16BE(f.deltas[i]!, o);
  }
  if (padding > 0) b[b.length - 1] = padding;
  return b;
}

export interface TwccRecorderOptions {
  /** most packets one feedback reports (keeps it well under an MTU); default 400 */
  maxPerFeedback?: number;
}

export interface TwccRecorderStats {
  /** packets recorded */
  packets: number;
  /** feedback packets written */
  feedbacks: number;
  /** packets that came after the feedback that reported them missing */
  late: number;
}

/** A jump this far in sequence numbers is a new sender, not a loss. */
const RESET_DISTANCE = 3000;

/**
 * Records the arrival of each packet's transport-wide sequence number and writes the feedback for all
 * packets since the last feedback: call take() every 50-100 ms. Arrival times are µs on any monotonic clock.
 */
export class TwccRecorder {
  readonly stats: TwccRecorderStats = { packets: 0, feedbacks: 0, late: 0 };
  /** unwrapped sequence number -> arrival, µs */
  private readonly arrivals = new Map<number, number>();
  /** unwrapped sequence number of the first packet not reported yet */
  private next: number | null = null;
  private highest = 0;
  private fbCount = 0;
  private readonly maxPerFeedback: number;

  constructor(opts: TwccRecorderOptions = {}) {
    this.maxPerFeedback = Math.max(1, Math.min(opts.maxPerFeedback ?? 400, 0xffff));
  }

  record(seq: number, arrivalUs: number): void {
    const u = this.next === null ? seq & 0xffff : this.highest + seqDiff(seq & 0xffff, this.highest & 0xffff);
    if (this.next === null || Math.abs(u - this.highest) > RESET_DISTANCE) {
      this.arrivals.clear();
      this.next = u;
      this.highest = u;
    }
    if (u < this.next) {
      this.stats.late++;
      return;
    }
    this.stats.packets++;
    if (!this.arrivals.has(u)) this.arrivals.set(u, arrivalUs);
    if (u > this.highest) this.highest = u;
  }

  /** Feedback packets for the packets recorded since the last call; none when nothing new arrived. */
  take(senderSsrc: number, mediaSsrc: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.next !== null && this.next <= this.highest && this.arrivals.size > 0) {
      const base = this.next;
      let ref = -1;
      let prevSteps = 0;
      const deltas: (number | null)[] = [];
      let s = base;
      for (; s <= this.highest && deltas.length < this.maxPerFeedback; s++) {
        const at = this.arrivals.get(s);
        if (at === undefined) {
          deltas.push(null);
          continue;
        }
        const first = ref < 0;
        if (first) ref = Math.floor(at / TWCC_REFERENCE_US);
        const steps = Math.round((at - ref * TWCC_REFERENCE_US) / TWCC_DELTA_US);
        const d = first ? steps : steps - prevSteps;
        if (d < -0x8000 || d > 0x7fff) break; // the next feedback starts here, with its own reference time
        deltas.push(d);
        prevSteps = steps;
        this.arrivals.delete(s);
      }
      if (ref < 0) {
        this.next = s; // a whole feedback's worth of lost packets: nothing to say about them
        continue;
      }
      // Missing packets at the end may still come: they go into the next feedback.
      while (deltas[deltas.length - 1] === null) {
        deltas.pop();
        s--;
      }
      this.next = s;
      out.push(writeTwccFeedback({ senderSsrc, mediaSsrc, baseSeq: base & 0xffff, referenceTime: ref, fbCount: this.fbCount, deltas }));
      this.fbCount = (this.fbCount + 1) & 0xff;
      this.stats.feedbacks++;
    }
    return out;
  }
}
