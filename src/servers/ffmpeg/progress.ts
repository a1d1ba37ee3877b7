// FFmpeg's machine-readable progress (`-progress pipe:N`, fftools/ffmpeg.c print_report): blocks of
// key=value lines, each block ended by `progress=continue` (or `progress=end` for the last one).

/** One progress report of an FFmpeg run; a value FFmpeg reports as N/A is null. */
export interface FfmpegProgress {
  /** frames output so far (video; 0 for audio-only) */
  frame: number;
  fps: number | null;
  /** output bitrate in kbit/s */
  bitrateKbps: number | null;
  /** bytes written so far */
  totalSize: number | null;
  /** output timestamp reached, ms */
  outTimeMs: number | null;
  /** processing speed relative to real time (1 = real time) */
  speed: number | null;
  dupFrames: number;
  dropFrames: number;
  /** true for the last report (FFmpeg is ending) */
  end: boolean;
}

function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number.parseFloat(v.trim());
  return Number.isFinite(n) ? n : null;
}

/** Turns the bytes of a -progress pipe into FfmpegProgress reports; chunks may split anywhere. */
export class FfmpegProgressParser {
  private rest = '';
  private fields = new Map<string, string>();

  constructor(private readonly onProgress: (p: FfmpegProgress) => void) {}

  push(chunk: Buffer | string): void {
    const lines = (this.rest + chunk.toString()).split('\n');
    this.rest = lines.pop() ?? '';
    if (this.rest.length > 4096) this.rest = ''; // not a progress stream: do not grow
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key !== 'progress') {
        if (this.fields.size < 256) this.fields.set(key, value);
        continue;
      }
      this.onProgress(this.report(value === 'end'));
      this.fields.clear();
    }
  }

  private report(end: boolean): FfmpegProgress {
    const f = this.fields;
    const outUs = num(f.get('out_time_us')) ?? num(f.get('out_time_ms')); // out_time_ms is in µs too (FFmpeg bug)
    return {
      frame: num(f.get('frame')) ?? 0,
      fps: num(f.get('fps')),
      bitrateKbps: num(f.get('bitrate')), // "123.4kbits/s"
      totalSize: num(f.get('total_size')),
      outTimeMs: outUs === null || outUs < 0 ? null : outUs / 1000, // negative before the first packet
      speed: num(f.get('speed')), // " 1.01x", "4e+04x"
      dupFrames: num(f.get('dup_frames')) ?? 0,
      dropFrames: num(f.get('drop_frames')) ?? 0,
      end,
    };
  }
}
