// The one supervisor of FFmpeg processes: every FFmpeg the server runs (WebRTC audio transcoding, and the
// transcoding, file looping and probing to come) goes through it. It is the generic ProcessSupervisor
// (restart with backoff, stop and await, no orphan, stderr tail) plus what is FFmpeg's own: the progress
// reports FFmpeg writes on a dedicated pipe (`-progress pipe:3`), and an error a user can act on when FFmpeg
// is not installed.
import {
  ProcessSupervisor,
  type ProcessRun,
  type ProcessSummary,
  type RestartPolicy,
} from '../../core/process-supervisor.js';
import type { Readable } from 'node:stream';
import { TypedEvent } from '../../core/event.js';
import { FfmpegProgressParser, type FfmpegProgress } from './progress.js';

export interface FfmpegOptions {
  /** FFmpeg's arguments (inputs, filters, outputs), asked for again before every start */
  args: string[] | (() => string[]);
  /** the ffmpeg executable (default "ffmpeg" on PATH) */
  ffmpegPath?: string;
  /** a pipe to FFmpeg's stdin (`-i pipe:0`); writes beyond maxPendingInput unsent bytes are dropped */
  stdin?: boolean;
  /** FFmpeg's stdout as a stream (`pipe:1`) on each run (see `spawned`) */
  stdout?: boolean;
  /**
   * more output pipes beside stdout, for one FFmpeg writing several outputs (renditions): FFmpeg writes them
   * to `pipe:4`, `pipe:5`, ... (see ffmpegOutputFd); read them with outputPipe(run, fd)
   */
  outputPipes?: number;
  /** restart policy over the defaults (1 s doubling to 30 s, reset after 10 s of running), or false */
  restart?: Partial<RestartPolicy> | false;
  /** SIGTERM (default: FFmpeg finishes its outputs) or SIGKILL (the output no longer matters) */
  stopSignal?: 'SIGTERM' | 'SIGKILL';
  /** ms between the stop signal and SIGKILL (default 5000) */
  stopGraceMs?: number;
  /** stderr lines kept (default 50) */
  logLines?: number;
  /** default 512 KiB */
  maxPendingInput?: number;
}

/** The summary of one FFmpeg for the API and the console. */
export interface FfmpegSummary extends ProcessSummary {
  /** the last progress report of the current (or last) run */
  progress: FfmpegProgress | null;
}

/** fd of the progress pipe: stdin, stdout, stderr are 0..2 */
const PROGRESS_FD = 3;

/** The fd FFmpeg writes output `i` of a multi-output run to: stdout for the first, then 4, 5, ... (3 is progress). */
export function ffmpegOutputFd(i: number): number {
  return i === 0 ? 1 : PROGRESS_FD + i;
}

/** The stream of output fd `fd` (1 = stdout, 4.. = the outputPipes) of a run, or null when it has none. */
export function outputPipe(run: ProcessRun, fd: number): Readable | null {
  if (fd === 1) return run.stdout;
  return run.pipes[fd - PROGRESS_FD] ?? null;
}

/** One supervised FFmpeg command line. */
export class FfmpegSupervisor extends ProcessSupervisor {
  /** each progress report (about twice a second while FFmpeg runs) */
  readonly progressed = new TypedEvent<[FfmpegProgress]>();
  /** the last progress report, or null before the first */
  lastProgress: FfmpegProgress | null = null;

  constructor(ffmpeg: FfmpegOptions) {
    const userArgs = ffmpeg.args;
    super({
      command: ffmpeg.ffmpegPath ?? 'ffmpeg',
      installHint: 'install FFmpeg (apt-get install ffmpeg) or give the path of the ffmpeg executable',
      // Global options first: progress on its own pipe, and stderr kept for messages (no stats lines).
      args: () => ['-nostats', '-progress', `pipe:${PROGRESS_FD}`, ...(typeof userArgs === 'function' ? userArgs() : userArgs)],
      stdin: ffmpeg.stdin ?? false,
      stdout: ffmpeg.stdout ? 'pipe' : 'ignore',
      extraPipes: 1 + (ffmpeg.outputPipes ?? 0),
      restart: ffmpeg.restart,
      stopSignal: ffmpeg.stopSignal ?? 'SIGTERM',
      stopGraceMs: ffmpeg.stopGraceMs,
      logLines: ffmpeg.logLines,
      maxPendingInput: ffmpeg.maxPendingInput,
    });
    this.spawned.on((run) => this.readProgress(run));
  }

  override summary(): FfmpegSummary {
    return { ...super.summary(), progress: this.lastProgress };
  }

  private readProgress(run: ProcessRun): void {
    this.lastProgress = null;
    const parser = new FfmpegProgressParser((p) => {
      this.lastProgress = p;
      this.progressed.emit(p);
    });
    run.pipes[0]?.on('data', (d: Buffer) => parser.push(d));
  }
}
