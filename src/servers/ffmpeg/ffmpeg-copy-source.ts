// A FrameSource that FFmpeg remuxes for us: `ffmpeg <input args> -c copy -f flv pipe:1`, read by FlvPipeSource.
// For what we do not read in-process yet (MKV/TS/... files looped with -stream_loop -1, HLS, HTTP-TS, SRT
// and RTSP URLs). No decoding, no encoding. One run: when FFmpeg exits, `ended` fires with its last stderr
// lines, and the job that owns the source decides about retrying.
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import type { FrameSource } from '../frame-source.js';
import { FfmpegSupervisor } from './ffmpeg-supervisor.js';
import { FlvPipeSource } from './flv-pipe-source.js';

export interface FfmpegCopySourceOptions {
  /** what the API shows (a file name, a URL without credentials) */
  label: string;
  /** the input part of the command line, e.g. ['-re', '-stream_loop', '-1', '-i', file] */
  inputArgs: string[];
  ffmpegPath?: string;
  /** ms to wait for the first frame before start() rejects (default 20000) */
  firstFrameTimeoutMs?: number;
}

export class FfmpegCopySource implements FrameSource {
  readonly ended = new TypedEvent<[string]>();
  readonly label: string;
  readonly ffmpeg: FfmpegSupervisor;
  private pipe: FlvPipeSource | null = null;
  private stopped = false;

  constructor(private readonly o: FfmpegCopySourceOptions) {
    this.label = o.label;
    this.ffmpeg = new FfmpegSupervisor({
      args: ['-hide_banner', '-loglevel', 'error', ...o.inputArgs, '-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv', 'pipe:1'],
      ffmpegPath: o.ffmpegPath,
      stdout: true,
      restart: false,
      stopSignal: 'SIGKILL',
    });
  }

  /** the FFmpeg process id while it runs */
  get pid(): number | null {
    return this.ffmpeg.run?.pid ?? null;
  }

  async start(onFrame: (f: Frame) => void): Promise<void> {
    let first: () => void = () => undefined;
    const gotFrame = new Promise<void>((r) => (first = r));
    this.pipe = new FlvPipeSource(this.ffmpeg, {
      onFrame: (f) => {
        first();
        onFrame(f);
      },
    });
    const why = () => {
      const tail = this.ffmpeg.log.slice(-3).join(' / ').trim();
      return tail || this.ffmpeg.state.reason || 'FFmpeg ended';
    };
    let ended = false;
    const gone = new Promise<never>((_, reject) => {
      this.ffmpeg.stateChanged.on((s) => {
        if ((s.state === 'failed' || s.state === 'stopped') && !ended) {
          ended = true;
          // let the last stderr lines arrive in the log first
          setTimeout(() => {
            const reason = `FFmpeg reading ${this.label} ended: ${why()}`;
            reject(new Error(reason));
            if (!this.stopped) this.ended.emit(reason);
          }, 20);
        }
      });
    });
    gone.catch(() => undefined);
    this.ffmpeg.start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`FFmpeg got no media from ${this.label} within ${Math.round((this.o.firstFrameTimeoutMs ?? 20000) / 1000)} s: ${why()}`)), this.o.firstFrameTimeoutMs ?? 20000);
    });
    try {
      await Promise.race([gotFrame, gone, late]);
    } catch (e) {
      await this.stop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pipe?.close();
    await this.ffmpeg.stop();
  }
}
