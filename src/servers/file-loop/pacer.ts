// Real-time pacing of a file's frames: a frame whose timestamp is T ms after the first one is handed out T ms
// after the start by the wall clock (absolute, so no drift however many loops), a little early rather than late.
import { setTimeout as sleep } from 'node:timers/promises';

/** A frame may go out this much before its time (one timer per ~20 ms, not one per frame). */
const EARLY_MS = 20;

export class RealTimePacer {
  private startedAt = 0;
  private firstTs: number | null = null;

  constructor(private readonly signal: AbortSignal) {}

  /** Waits until the frame with timestamp `ts` (ms) is due; resolves false when aborted. */
  async wait(ts: number): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (this.firstTs === null) {
      this.firstTs = ts;
      this.startedAt = performance.now();
      return true;
    }
    const due = this.startedAt + (ts - this.firstTs);
    const ahead = due - performance.now();
    if (ahead > EARLY_MS) {
      try {
        await sleep(ahead - EARLY_MS / 2, undefined, { signal: this.signal });
      } catch {
        return false;
      }
    }
    return !this.signal.aborted;
  }
}
