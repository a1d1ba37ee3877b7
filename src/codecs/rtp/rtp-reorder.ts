// Puts RTP packets received over UDP back into sequence-number order (RFC 3550 A.1 wrap handling): a packet
// that comes early is held until the ones before it arrive, or until a gap has waited `windowMs` (or too many
// packets are held), when the gap is given up as lost. Duplicates and packets older than the output are
// dropped. Used in front of depacketizers that expect order (AAC); the video depacketizer reorders itself.
// Pure: packets and the arrival time in, packets in order out.
import { seqDiff } from './rtp-packet.js';

export interface RtpReorderStats {
  /** sequence numbers given up on */
  lost: number;
  /** duplicates and packets that came after their slot was given up */
  late: number;
}

/** A jump this far in sequence numbers is a restarted sender, not a loss. */
const RESET_DISTANCE = 3000;

export class RtpReorder<P extends { sequenceNumber: number }> {
  readonly stats: RtpReorderStats = { lost: 0, late: 0 };
  private readonly held = new Map<number, P>();
  private next: number | null = null;
  private stuckSince: number | null = null;

  /** `out` gets each packet in order; `lost` is true when packets before it were given up. */
  constructor(
    private readonly out: (p: P, lost: boolean) => void,
    private readonly windowMs = 100,
    private readonly maxHeld = 128,
  ) {}

  push(p: P, now: number): void {
    const seq = p.sequenceNumber & 0xffff;
    if (this.next === null) this.next = seq;
    const d = seqDiff(seq, this.next);
    if (Math.abs(d) > RESET_DISTANCE) {
      this.flush();
      this.next = seq;
    } else if (d < 0 || this.held.has(seq)) {
      this.stats.late++;
      return;
    }
    this.held.set(seq, p);
    this.drain(now);
  }

  /** Packets held now (for tests). */
  get size(): number {
    return this.held.size;
  }

  private drain(now: number): void {
    let lost = false;
    for (;;) {
      const p = this.held.get(this.next!);
      if (p) {
        this.held.delete(this.next!);
        this.next = (this.next! + 1) & 0xffff;
        this.stuckSince = null;
        this.out(p, lost);
        lost = false;
        continue;
      }
      if (this.held.size === 0) return;
      this.stuckSince ??= now;
      if (now - this.stuckSince < this.windowMs && this.held.size < this.maxHeld) return;
      // Give up on the gap: skip to the oldest packet held.
      let first: number | null = null;
      for (const s of this.held.keys()) if (first === null || seqDiff(s, first) < 0) first = s;
      this.stats.lost += seqDiff(first!, this.next!);
      this.next = first!;
      this.stuckSince = null;
      lost = true;
    }
  }

  /** Outputs everything held, in order (a reset, or the end). */
  flush(): void {
    const base = this.next;
    const pkts = [...this.held.values()];
    this.held.clear();
    this.next = null;
    this.stuckSince = null;
    if (pkts.length === 0 || base === null) return;
    pkts.sort((a, b) => seqDiff(a.sequenceNumber & 0xffff, base) - seqDiff(b.sequenceNumber & 0xffff, base));
    let expect = base;
    for (const p of pkts) {
      const gap = seqDiff(p.sequenceNumber & 0xffff, expect);
      this.stats.lost += Math.max(0, gap);
      this.out(p, gap > 0);
      expect = (p.sequenceNumber + 1) & 0xffff;
    }
  }
}
