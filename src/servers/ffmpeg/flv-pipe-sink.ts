// Frames -> FLV over a pipe: the output adapter that feeds a hub stream to a supervised process reading
// `-f flv -i pipe:0` (a transcoder). It is a FrameSink of the stream. Each run of the process gets a fresh FLV
// stream: the file header, the cached metadata and sequence headers, then media from a keyframe on, with
// timestamps from 0. When the child does not keep up (its stdin holds more than maxQueuedBytes unsent) frames
// are dropped up to the next keyframe and counted, so a stalled FFmpeg never grows our memory and never gets a
// broken reference chain.
import type { Frame } from '../../core/frame.js';
import type { ProcessRun, ProcessSupervisor } from '../../core/process-supervisor.js';
import { encodeFlvTag, flvFileHeader } from '../../codecs/flv.js';
import type { FrameSink } from '../../hub/stream.js';

export interface FlvPipeSinkOptions {
  /** unsent stdin bytes above which frames are dropped to the next keyframe (default 2 MiB) */
  maxQueuedBytes?: number;
}

interface RunState {
  run: ProcessRun;
  /** the file header and sequence headers went out */
  started: boolean;
  /** dropping until a video keyframe (start of the run, or after a backlog) */
  waitKey: boolean;
  /** source dts of the run's first media frame: the run's time 0 */
  base: number | null;
}

export class FlvPipeSink implements FrameSink {
  /** frames written, over all runs */
  frames = 0;
  /** media bytes written */
  bytes = 0;
  /** frames dropped because the child was not keeping up (or waiting for a keyframe) */
  drops = 0;
  private metadata: Frame | null = null;
  private videoHeader: Frame | null = null;
  private audioHeader: Frame | null = null;
  private current: RunState | null = null;
  private readonly maxQueued: number;
  private readonly detach: () => void;

  constructor(
    private readonly proc: ProcessSupervisor,
    opts: FlvPipeSinkOptions = {},
  ) {
    this.maxQueued = opts.maxQueuedBytes ?? 2 * 1024 * 1024;
    this.detach = proc.spawned.on((run) => {
      this.current = { run, started: false, waitKey: true, base: null };
    });
    const run = proc.run;
    if (run) this.current = { run, started: false, waitKey: true, base: null };
  }

  /** Stops writing (remove it from the stream too). */
  close(): void {
    this.detach();
    this.current = null;
  }

  onFrame(f: Frame): void {
    if (f.type === 'script') this.metadata = f;
    else if (f.header && f.type === 'video') this.videoHeader = f;
    else if (f.header) this.audioHeader = f;
    const st = this.current;
    const stdin = st?.run.stdin;
    if (!st || !stdin || stdin.destroyed || stdin.writableEnded) return;
    if (f.header || f.type === 'script') {
      // A new sequence header mid-run (a republish with other settings) goes out at once; FFmpeg reconfigures.
      if (st.started) this.write(st, { ...f, dts: this.rel(st, f.dts), pts: this.rel(st, f.dts) });
      return;
    }
    if (st.waitKey) {
      const resumes = f.type === 'video' ? f.keyframe : this.videoHeader === null;
      if (!resumes) {
        this.drops++;
        return;
      }
      st.waitKey = false;
    }
    if (stdin.writableLength > this.maxQueued) {
      st.waitKey = true;
      this.drops++;
      return;
    }
    if (!st.started) {
      st.started = true;
      st.base = f.dts;
      this.proc.write(flvFileHeader(this.videoHeader !== null, this.audioHeader !== null));
      for (const h of [this.metadata, this.videoHeader, this.audioHeader]) if (h) this.write(st, { ...h, dts: 0, pts: 0 });
    }
    const dts = this.rel(st, f.dts);
    this.write(st, { ...f, dts, pts: Math.max(0, dts + (f.pts - f.dts)) });
    this.frames++;
    this.bytes += f.data.length;
  }

  private rel(st: RunState, dts: number): number {
    return st.base === null ? 0 : Math.max(0, dts - st.base);
  }

  private write(_st: RunState, f: Frame): void {
    this.proc.write(encodeFlvTag(f));
  }
}
