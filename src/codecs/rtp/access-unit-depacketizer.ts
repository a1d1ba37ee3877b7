// The access-unit half of a video RTP depacketizer, shared by H.264 (RFC 6184) and H.265 (RFC 7798): packets
// of one RTP timestamp, up to the marker bit, become one access unit. A small reorder buffer waits for late
// (UDP reordering) and retransmitted (NACKed) packets; a gap that is not filled in time drops the broken
// access unit, and everything after it until the next keyframe, and asks for a keyframe. The codec says
// where a picture begins, how payloads become NAL units and which access units are keyframes. Pure:
// packets and the arrival time in, access units out.
import { seqDiff } from './rtp-packet.js';

export interface RtpIn {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

/** One access unit: the NAL units (no start codes) of one picture, in decoding order. */
export interface AccessUnit {
  /** RTP timestamp, 90 kHz */
  timestamp: number;
  nalus: Buffer[];
  /** holds a random access point (H.264 IDR, H.265 IRAP) */
  keyframe: boolean;
}

export interface DepacketizerOptions {
  onAccessUnit(au: AccessUnit): void;
  /** a loss could not be repaired (or the stream started mid-picture): the receiver needs a keyframe */
  onKeyframeNeeded?(): void;
  /** how long a gap in sequence numbers is waited for (NACK retransmission), ms; default 250 */
  reorderWindowMs?: number;
  /** most packets held while waiting; more gives up on the gap at once (default 1024) */
  maxBuffered?: number;
}

export interface DepacketizerStats {
  accessUnits: number;
  /** sequence numbers never received */
  lostPackets: number;
  /** access units dropped (incomplete, malformed, or while waiting for a keyframe) */
  droppedUnits: number;
  /** duplicates and packets that came after their slot was given up */
  latePackets: number;
}

interface Held {
  pkt: RtpIn;
  at: number;
}

/** A jump this far in sequence numbers is a new stream (a restarted sender), not a loss. */
const RESET_DISTANCE = 3000;

/** What a video codec's payload format tells the depacketizer. */
export interface NalPayloadFormat {
  /** the payload starts an access unit (parameter sets, SEI, AUD, the first slice of a picture) */
  beginsPicture(payload: Buffer): boolean;
  /** the NAL units of one access unit's packets, or null when they are malformed or incomplete */
  assemble(pkts: readonly RtpIn[]): Buffer[] | null;
  /** the access unit is a random access point */
  keyframe(nalus: readonly Buffer[]): boolean;
}

export class AccessUnitDepacketizer {
  readonly stats: DepacketizerStats = { accessUnits: 0, lostPackets: 0, droppedUnits: 0, latePackets: 0 };
  private readonly held = new Map<number, Held>();
  private next: number | null = null;
  /** the next access unit must begin a picture (after a gap we may hold the tail of a broken one) */
  private checkStart = true;
  private waitKeyframe = true;
  private stuckSince: number | null = null;
  private readonly windowMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly format: NalPayloadFormat,
    private readonly opts: DepacketizerOptions,
  ) {
    this.windowMs = opts.reorderWindowMs ?? 250;
    this.maxBuffered = opts.maxBuffered ?? 1024;
  }

  /** True until a keyframe access unit has been output after the start or the last unrepaired loss. */
  get waitingForKeyframe(): boolean {
    return this.waitKeyframe;
  }

  /** Adds one packet received at `now` (ms, any monotonic clock). */
  push(pkt: RtpIn, now: number): void {
    const seq = pkt.sequenceNumber & 0xffff;
    if (this.next === null) this.next = seq;
    const d = seqDiff(seq, this.next);
    if (Math.abs(d) > RESET_DISTANCE) {
      this.reset(seq);
    } else if (d < 0 || this.held.has(seq)) {
      this.stats.latePackets++;
      return;
    } else if (this.held.size >= this.maxBuffered * 2) {
      // An access unit that never ends (no marker, one timestamp): give it up rather than grow.
      this.stats.droppedUnits++;
      this.reset(seq);
    }
    this.held.set(seq, { pkt, at: now });
    this.drain(now);
  }

  private reset(seq: number): void {
    this.held.clear();
    this.next = seq;
    this.stuckSince = null;
    this.checkStart = true;
    this.needKeyframe();
  }

  private needKeyframe(): void {
    if (this.waitKeyframe) return;
    this.waitKeyframe = true;
    this.opts.onKeyframeNeeded?.();
  }

  private drain(now: number): void {
    for (;;) {
      const next = this.next!;
      const first = this.held.get(next);
      let end = -1;
      let missing = -1;
      if (!first) {
        missing = next;
      } else {
        for (let s = next; ; s = (s + 1) & 0xffff) {
          const h = this.held.get(s);
          if (!h) {
            missing = s;
            break;
          }
          if (h.pkt.timestamp !== first.pkt.timestamp) {
            end = (s - 1) & 0xffff; // the sender left out the marker bit: the timestamp changed
            break;
          }
          if (h.pkt.marker) {
            end = s;
            break;
          }
        }
      }
      if (end >= 0) {
        this.stuckSince = null;
        this.take(next, end);
        continue;
      }
      // Waiting for `missing`. Only a real gap (packets held beyond it) can time out.
      if (this.held.size === 0 || !this.hasBeyond(missing)) return;
      if (this.stuckSince === null) this.stuckSince = now;
      if (now - this.stuckSince < this.windowMs && this.held.size < this.maxBuffered) return;
      this.giveUp(next, missing);
    }
  }

  private hasBeyond(seq: number): boolean {
    for (const s of this.held.keys()) if (seqDiff(s, seq) > 0) return true;
    return false;
  }

  /** Drops the partial access unit before `missing` and skips to the first packet held after it. */
  private giveUp(next: number, missing: number): void {
    let partial = 0;
    for (let s = next; s !== missing; s = (s + 1) & 0xffff) {
      if (this.held.delete(s)) partial++;
    }
    if (partial > 0) this.stats.droppedUnits++;
    let after: number | null = null;
    for (const s of this.held.keys()) {
      if (after === null || seqDiff(s, after) < 0) after = s;
    }
    if (after === null) return;
    this.stats.lostPackets += seqDiff(after, missing);
    this.next = after;
    this.stuckSince = null;
    this.checkStart = true;
    this.needKeyframe();
  }

  private take(from: number, to: number): void {
    const pkts: RtpIn[] = [];
    for (let s = from; ; s = (s + 1) & 0xffff) {
      pkts.push(this.held.get(s)!.pkt);
      this.held.delete(s);
      if (s === to) break;
    }
    this.next = (to + 1) & 0xffff;
    // Padding-only packets (senders probe bandwidth with them, at the last frame's timestamp): no media.
    const first = pkts.find((p) => p.payload.length > 0);
    if (!first) return;
    const mustStart = this.checkStart;
    this.checkStart = false;
    if (mustStart && !this.format.beginsPicture(first.payload)) {
      this.stats.droppedUnits++;
      return;
    }
    const nalus = this.format.assemble(pkts);
    if (!nalus) {
      this.stats.droppedUnits++;
      this.checkStart = true;
      this.needKeyframe();
      return;
    }
    const keyframe = this.format.keyframe(nalus);
    if (this.waitKeyframe && !keyframe) {
      this.stats.droppedUnits++;
      return;
    }
    this.waitKeyframe = false;
    this.stats.accessUnits++;
    this.opts.onAccessUnit({ timestamp: first.timestamp, nalus, keyframe });
  }
}
