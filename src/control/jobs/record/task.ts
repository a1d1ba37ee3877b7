// One recording: a FrameSink on a live stream that turns frames into fragmented MP4 (Fmp4Writer) and queues the
// bytes to an AppendFile, so the media path only does in-memory work. A republish within the window continues
// the same file with continuous timestamps; when the recording ends the fragments become index.mp4.
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { MediaError } from '../../../core/errors.js';
import type { Frame } from '../../../core/frame.js';
import { Fmp4Writer } from '../../../codecs/mp4/fmp4.js';
import type { ProgressiveResult } from '../../../codecs/mp4/progressive.js';
import type { FrameSink, Stream } from '../../../hub/stream.js';
import { streamKey } from '../../../hub/stream-url.js';
import { errorMessage } from '../../errors.js';
import { AppendFile } from './append-file.js';
import { ArtifactCode, newArtifact, recordPaths, rfc3339, type RecordArtifact, type RecordPaths } from './artifact.js';
import type { PostProcess } from './settings.js';

/** Where a republish continues: this long after the last frame of the previous session, ms. */
const REPUBLISH_GAP_MS = 20;

export interface TaskDeps {
  /** DATA_DIR/record */
  recordDir: string;
  logger: Logger;
  /** how long a stream may be gone and still continue this recording, ms */
  windowMs: number;
  /** most bytes waiting for the disk before the recording fails */
  queueBytes: number;
  /** fdatasync interval while recording, ms */
  syncIntervalMs: number;
  /** the task's metadata changed: persist it; `first` is awaited before the media file is created */
  changed(task: RecordTask): Promise<void>;
  /** the task no longer takes publishes (it is finalizing or was suspended) */
  ended(task: RecordTask): void;
  /** index.mp4 is ready, or the recording failed: send on_record_end, post-process */
  finished(task: RecordTask): void;
  /** fragments -> index.mp4 (the recorder bounds how many run at once) */
  convert(paths: RecordPaths): Promise<ProgressiveResult>;
}

export class RecordTask {
  readonly artifact: RecordArtifact;
  readonly paths: RecordPaths;
  /** vhost/app/stream */
  readonly key: string;
  private readonly writer: Fmp4Writer;
  private readonly file: AppendFile;
  private readonly log: Logger;
  private readonly sink: FrameSink;
  private stream: Stream | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastDts: number | null = null;
  private offset = 0;
  private rebase = false;
  private finishing: Promise<void> | null = null;
  private lastMediaAt = Date.now();
  private markFinished!: () => void;
  /** Resolves when the recording is finished: index.mp4 is ready or it failed (not on suspend). */
  readonly finished = new Promise<void>((r) => (this.markFinished = r));

  constructor(
    private readonly deps: TaskDeps,
    url: { vhost: string; app: string; stream: string },
    post: PostProcess,
  ) {
    this.artifact = newArtifact(url, post);
    this.paths = recordPaths(deps.recordDir, this.artifact.uuid);
    this.key = streamKey(url);
    this.log = deps.logger.child({ uuid: this.artifact.uuid, stream: this.key });
    // Fragments of 1 s at keyframes, and never longer than 3 s: a crash loses at most the last few seconds.
    this.writer = new Fmp4Writer({ fragmentMs: 1000, maxFragmentMs: 3000 });
    this.file = new AppendFile(
      this.paths.fragments,
      { maxQueueBytes: deps.queueBytes, syncIntervalMs: deps.syncIntervalMs },
      (e) => this.onWriteError(e),
      () => deps.changed(this),
    );
    this.sink = {
      onFrame: (f) => this.onFrame(f),
      onClose: () => this.onStreamClosed(),
    };
  }

  get uuid(): string {
    return this.artifact.uuid;
  }

  /** The stream being recorded (null while waiting for a republish). */
  get source(): Stream | null {
    return this.stream;
  }

  /** Recording or waiting for a republish: still takes a publish of its stream. */
  get live(): boolean {
    return this.finishing === null && (this.artifact.state === 'recording' || this.artifact.state === 'waiting');
  }

  /** Starts (or continues, after a republish) recording this stream. */
  attach(s: Stream): void {
    if (!this.live) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.stream && this.stream !== s) this.stream.removeSink(this.sink);
    this.artifact.nn++;
    this.artifact.state = 'recording';
    this.artifact.update = rfc3339();
    this.rebase = true;
    this.stream = s;
    s.addSink(this.sink);
    this.log.info({ session: this.artifact.nn, path: this.paths.dir }, this.artifact.nn === 1 ? 'record start' : 'record continues after a republish');
    void this.deps.changed(this);
  }

  /** The publisher left: keep the file open for a republish within the window. */
  detach(): void {
    if (!this.live || this.artifact.state !== 'recording') return;
    const s = this.stream;
    this.stream = null;
    s?.removeSink(this.sink);
    this.pause();
  }

  private onStreamClosed(): void {
    // The stream is being removed and drops its sinks itself.
    if (!this.live || this.artifact.state !== 'recording') return;
    this.stream = null;
    this.pause();
  }

  private pause(): void {
    this.artifact.state = 'waiting';
    this.artifact.update = rfc3339();
    this.writeTail();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.end(`no republish within ${Math.round(this.deps.windowMs / 1000)} s`);
    }, this.deps.windowMs);
    this.log.info({ windowMs: this.deps.windowMs }, 'record paused: waiting for a republish');
    void this.deps.changed(this);
  }

  /** The media path: in-memory muxing and a queue append; never throws, never touches the disk. */
  private onFrame(f: Frame): void {
    if (this.artifact.state !== 'recording' || this.finishing) return;
    try {
      let frame = f;
      if (!f.header && f.type !== 'script') {
        if (this.rebase) {
          // A new session starts where the last one ended, whatever its publisher's clock says.
          this.rebase = false;
          this.offset = this.lastDts === null ? 0 : this.lastDts + REPUBLISH_GAP_MS - f.dts;
        }
        if (this.offset !== 0) frame = { ...f, dts: f.dts + this.offset, pts: f.pts + this.offset };
        if (this.lastDts === null || frame.dts > this.lastDts) this.lastDts = frame.dts;
      }
      const out = this.writer.push(frame);
      if (out.length > 0) {
        this.lastMediaAt = Date.now();
        this.file.append(out);
      }
    } catch (e) {
      this.onWriteError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private writeTail(): void {
    if (this.file.error) return;
    try {
      const tail = this.writer.flush();
      if (tail.length > 0) this.file.append(tail);
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, 'record: could not close the last fragment');
    }
  }

  private onWriteError(e: Error): void {
    if (this.artifact.code === ArtifactCode.Ok) {
      this.artifact.code = ArtifactCode.WriteError;
      this.artifact.error =
        `cannot write the recording of ${this.key} to ${this.paths.fragments}: ${e.message}; ` +
        'check that DATA_DIR/record is a writable directory with free space';
    }
    this.log.error({ err: e.message, path: this.paths.fragments }, 'record failed: cannot write; live viewers are not affected');
    void this.end('write error');
  }

  /** Ends the recording now and turns it into index.mp4; resolves when that is done (never rejects). */
  end(reason: string): Promise<void> {
    this.finishing ??= this.finish(reason);
    return this.finishing;
  }

  /** Stops the window timer and leaves the stream: nothing more is recorded. */
  private stop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const s = this.stream;
    this.stream = null;
    s?.removeSink(this.sink);
  }

  private async finish(reason: string): Promise<void> {
    this.stop();
    if (this.artifact.state === 'recording') this.writeTail();
    this.artifact.state = 'finalizing';
    this.artifact.update = rfc3339();
    this.artifact.duration = this.writer.durationMs / 1000;
    this.artifact.size = this.file.written + this.file.pending;
    this.deps.ended(this);
    this.log.info({ reason, duration: this.artifact.duration }, 'record end: finalizing');
    void this.deps.changed(this);
    await this.file.close();
    const a = this.artifact;
    if (this.file.written === 0) {
      await unlink(this.paths.fragments).catch(() => undefined);
      a.state = 'failed';
      if (a.code === ArtifactCode.Ok) {
        a.code = ArtifactCode.Empty;
        a.error = `nothing was recorded from ${this.key}: no H.264/H.265 keyframe or AAC audio arrived` + this.notes();
      }
    } else {
      try {
        const r = await this.deps.convert(this.paths);
        a.state = 'done';
        a.duration = r.durationMs / 1000;
        a.size = r.bytes;
        this.log.info({ duration: a.duration, size: a.size, fragments: r.fragments, dropped: r.droppedBytes }, 'record done: index.mp4 ready');
      } catch (e) {
        a.state = 'failed';
        const empty = e instanceof MediaError && (e.code === 'MP4_EMPTY' || e.code === 'MP4_NO_INIT');
        if (a.code === ArtifactCode.Ok) a.code = empty ? ArtifactCode.Empty : ArtifactCode.ConvertError;
        const why = empty ? `nothing was recorded from ${this.key} (${errorMessage(e)})${this.notes()}` : `cannot make index.mp4: ${errorMessage(e)}`;
        a.error = a.error ? `${a.error}; ${why}` : why;
        this.log.error({ err: errorMessage(e) }, 'record failed');
      }
    }
    a.update = rfc3339();
    await this.deps.changed(this);
    this.deps.finished(this);
    this.markFinished();
  }

  private notes(): string {
    const n = this.writer.stats.notes;
    return n.length > 0 ? ` (${n.join('; ')})` : '';
  }

  /** Shutdown: write what is buffered and close the file; the next start finalizes it from the fragments. */
  async suspend(): Promise<void> {
    if (this.finishing) return;
    this.finishing = Promise.resolve();
    this.stop();
    this.writeTail();
    this.deps.ended(this);
    await this.file.close();
  }

  /** The metadata with live figures (duration and size so far). */
  snapshot(): RecordArtifact {
    const a = { ...this.artifact, post: { ...this.artifact.post } };
    if (this.live) {
      a.duration = this.writer.durationMs / 1000;
      a.size = this.file.written + this.file.pending;
      a.update = rfc3339(Math.max(Date.parse(a.update), this.lastMediaAt));
    }
    return a;
  }

  /** Counters for logs and the bench. */
  get stats(): { written: number; writes: number; fragments: number; dropped: number } {
    return { written: this.file.written, writes: this.file.writes, fragments: this.writer.stats.fragments, dropped: this.writer.stats.droppedFrames };
  }
}
