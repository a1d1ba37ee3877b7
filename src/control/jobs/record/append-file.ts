// An append-only file written off the media path: append() only queues buffers (no syscall, no copy); a pump
// writes everything queued with one writev per batch, asynchronously. The queue is bounded: a disk that cannot
// keep up fails the file instead of growing memory. The first error is kept, reported once, and ends writing.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AppendFileOptions {
  /** most bytes waiting to be written; past this the file fails (the disk cannot keep up) */
  maxQueueBytes: number;
  /** fdatasync at most this often while writing, ms (0 = only at close): bounds what a power loss can take */
  syncIntervalMs: number;
}

/** Most buffers in one writev (IOV_MAX on Linux). */
const MAX_IOV = 1024;

export class AppendFile {
  private fh: FileHandle | null = null;
  private readonly opened: Promise<void>;
  private queue: Buffer[] = [];
  private queued = 0;
  private pumping = false;
  private closing: Promise<void> | null = null;
  private idle: (() => void)[] = [];
  private lastSync = Date.now();
  /** bytes on disk */
  written = 0;
  /** writev calls made (for stats and the bench) */
  writes = 0;
  /** the first error; nothing is written after it */
  error: Error | null = null;

  constructor(
    readonly path: string,
    private readonly opts: AppendFileOptions,
    private readonly onError: (e: Error) => void,
    /** runs after the directory is made and before the file is created (e.g. to write metadata first) */
    private readonly prepare?: () => Promise<void>,
  ) {
    this.opened = this.open();
  }

  private async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      if (this.prepare) await this.prepare();
      this.fh = await open(this.path, 'w');
    } catch (e) {
      this.fail(e);
    }
  }

  /** Bytes queued and not yet written. */
  get pending(): number {
    return this.queued;
  }

  /** Queues buffers to append; false when the file has failed (the buffers are dropped). Never blocks. */
  append(bufs: readonly Buffer[]): boolean {
    if (this.error || this.closing) return false;
    for (const b of bufs) {
      this.queue.push(b);
      this.queued += b.length;
    }
    if (this.queued > this.opts.maxQueueBytes) {
      this.fail(
        new Error(
          `the disk cannot keep up: ${Math.round(this.queued / 1048576)} MiB are waiting to be written to ${this.path} ` +
            '(raise RECORD_QUEUE_BYTES or use a faster disk)',
        ),
      );
      return false;
    }
    if (!this.pumping) void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      await this.opened;
      while (this.queue.length > 0 && !this.error && this.fh) {
        const batch = this.queue.length <= MAX_IOV ? this.queue : this.queue.slice(0, MAX_IOV);
        this.queue = this.queue.length <= MAX_IOV ? [] : this.queue.slice(MAX_IOV);
        let bytes = 0;
        for (const b of batch) bytes += b.length;
        await this.writeAll(this.fh, batch, bytes);
        this.queued -= bytes;
        this.written += bytes;
        if (this.opts.syncIntervalMs > 0 && Date.now() - this.lastSync >= this.opts.syncIntervalMs) {
          this.lastSync = Date.now();
          await this.fh.datasync();
        }
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.pumping = false;
      for (const f of this.idle.splice(0)) f();
    }
  }

  private async writeAll(fh: FileHandle, batch: Buffer[], bytes: number): Promise<void> {
    let left = batch;
    let remaining = bytes;
    while (remaining > 0) {
      this.writes++;
      const { bytesWritten } = await fh.writev(left);
      if (bytesWritten <= 0) throw new Error(`writing ${this.path} made no progress`);
      remaining -= bytesWritten;
      if (remaining <= 0) break;
      // A short write: continue from where it stopped.
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const b of left) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      left = rest;
    }
  }

  private fail(e: unknown): void {
    if (this.error) return;
    this.error = e instanceof Error ? e : new Error(String(e));
    this.queue = [];
    this.queued = 0;
    this.onError(this.error);
  }

  /** Resolves when everything queued so far is written (or the file failed). */
  async drain(): Promise<void> {
    await this.opened;
    while (this.pumping || (this.queue.length > 0 && !this.error)) {
      if (!this.pumping) void this.pump();
      await new Promise<void>((r) => this.idle.push(r));
    }
  }

  /** Writes what is queued, syncs and closes. Further appends are refused. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drain();
      const fh = this.fh;
      this.fh = null;
      if (!fh) return;
      try {
        if (!this.error) await fh.datasync();
      } catch (e) {
        this.fail(e);
      } finally {
        await fh.close().catch(() => undefined);
      }
    })();
    return this.closing;
  }
}
