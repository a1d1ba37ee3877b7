// FLV over a pipe -> Frames: the ingest adapter for what FFmpeg writes with `-f flv pipe:1` (WebRTC audio
// transcoding today; transcoding and virtual live next). Each run of the supervised FFmpeg starts a fresh FLV
// stream, so each gets a fresh demuxer (codecs/flv.ts); output that is not FLV kills that run, which the
// supervisor then restarts with backoff.
import type { Frame } from '../../core/frame.js';
import type { ProcessRun, ProcessSupervisor } from '../../core/process-supervisor.js';
import { FlvDemuxer } from '../../codecs/flv.js';
import { outputPipe } from './ffmpeg-supervisor.js';

export interface FlvPipeSourceOptions {
  /** every Frame of the current run, timestamps as FFmpeg wrote them (ms from the run's start) */
  onFrame: (frame: Frame, run: ProcessRun) => void;
  /** a new run started (before its first frame): reset per-run state here */
  onRun?: (run: ProcessRun) => void;
  /** refuse FLV tags larger than this (default codecs/flv's 16 MiB) */
  maxTagSize?: number;
  /** the fd FFmpeg writes this FLV to: 1 (stdout, the default) or an output pipe (ffmpegOutputFd) */
  fd?: number;
}

/** Reads the FLV stdout of every run of one supervised process as Frames. */
export class FlvPipeSource {
  /** frames, keyframes and stdout bytes read over all runs */
  frames = 0;
  keyframes = 0;
  bytes = 0;
  private readonly detach: () => void;
  private closed = false;

  constructor(
    private readonly proc: ProcessSupervisor,
    private readonly opts: FlvPipeSourceOptions,
  ) {
    this.detach = proc.spawned.on((run) => this.attach(run));
    const current = proc.run;
    if (current) this.attach(current);
  }

  /** Stops reading (the process itself is the caller's to stop). */
  close(): void {
    this.closed = true;
    this.detach();
  }

  private attach(run: ProcessRun): void {
    const fd = this.opts.fd ?? 1;
    const stdout = outputPipe(run, fd);
    if (!stdout) throw new Error(`FlvPipeSource needs a process started with its fd ${fd} as a pipe`);
    this.opts.onRun?.(run);
    const demuxer = new FlvDemuxer({
      maxTagSize: this.opts.maxTagSize,
      onFrame: (f) => {
        this.frames++;
        if (f.keyframe) this.keyframes++;
        this.opts.onFrame(f, run);
      },
    });
    let failed = false;
    stdout.on('data', (chunk: Buffer) => {
      if (failed || this.closed) return;
      this.bytes += chunk.length;
      try {
        demuxer.push(chunk);
      } catch (e) {
        failed = true;
        this.proc.kill(`the process wrote bad FLV (${(e as Error).message}); restarting it`);
      }
    });
  }
}
