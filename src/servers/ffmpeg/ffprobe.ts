// ffprobe through the one process supervisor (no orphan if we die, a clear error when it is not installed):
// `-of json -show_format -show_streams` of a file or URL, with a timeout.
import { ProcessSupervisor } from '../../core/process-supervisor.js';

export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  level?: number;
  bit_rate?: string;
  start_time?: string;
  duration?: string;
  sample_fmt?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
}

export interface FfprobeFormat {
  format_name?: string;
  start_time?: string;
  duration?: string;
  bit_rate?: string;
  nb_streams?: number;
  probe_score?: number;
  size?: string;
}

export interface FfprobeResult {
  format: FfprobeFormat;
  streams: FfprobeStream[];
}

export interface FfprobeOptions {
  timeoutMs?: number;
  ffprobePath?: string;
  /** options before -i (e.g. -rw_timeout for network inputs) */
  inputArgs?: string[];
}

/** Probes `target`; rejects with ffprobe's own message (not found, invalid data, timeout). */
export async function ffprobe(target: string, o: FfprobeOptions = {}): Promise<FfprobeResult> {
  const timeoutMs = o.timeoutMs ?? 15000;
  const proc = new ProcessSupervisor({
    command: o.ffprobePath ?? 'ffprobe',
    installHint: 'install FFmpeg (apt-get install ffmpeg), which brings ffprobe',
    args: ['-v', 'error', ...(o.inputArgs ?? []), '-of', 'json', '-show_format', '-show_streams', '-i', target],
    stdout: 'pipe',
    restart: false,
    retryFirstStart: false,
    stopSignal: 'SIGKILL',
  });
  const out: Buffer[] = [];
  let size = 0;
  proc.spawned.on((run) => {
    run.stdout?.on('data', (d: Buffer) => {
      size += d.length;
      if (size < 8 * 1024 * 1024) out.push(d);
    });
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop();
  }, timeoutMs);
  try {
    const exit = await new Promise<{ code: number | null; reason: string }>((resolve, reject) => {
      proc.exited.on((e) => resolve(e));
      proc.stateChanged.on((s) => {
        // not installed: no run, no exit; a run that failed has its exit reported first
        if (s.state === 'failed') setTimeout(() => reject(new Error(s.reason ?? 'ffprobe failed')), 50);
      });
      proc.start();
    });
    if (timedOut) throw new Error(`ffprobe of ${target} took longer than ${Math.round(timeoutMs / 1000)} s (is the source reachable and sending media?)`);
    if (exit.code !== 0) {
      const why = proc.log.join(' ').trim() || exit.reason;
      throw new Error(`ffprobe cannot read ${target}: ${why}`);
    }
    const j = JSON.parse(Buffer.concat(out).toString('utf8') || '{}') as Partial<FfprobeResult>;
    return { format: j.format ?? {}, streams: Array.isArray(j.streams) ? j.streams : [] };
  } finally {
    clearTimeout(timer);
    await proc.stop();
  }
}
