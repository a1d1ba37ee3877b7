// What the virtual-live tests share: media files made by ffmpeg, uploads, the processes reading a file
// (from /proc), and ffprobe's packet timestamps of a live stream.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, withTimeout } from './helpers.js';

/** ffmpeg makes a test file: 320x240 25 fps H.264 (2 s GOP) + AAC, `seconds` long, container by extension. */
export async function makeMedia(path: string, seconds: number, extra: string[] = []): Promise<void> {
  const p = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-b:v', '300k',
    '-c:a', 'aac', '-b:a', '48k', ...extra, path,
  ]);
  const code = await withTimeout(p.exited, 60000, () => p.kill());
  if (code !== 0) throw new Error(`ffmpeg could not make ${path}: ${p.stderr()}`);
}

/** Pids of processes whose command line mentions `needle` (an FFmpeg reading that file). */
export function processesWith(needle: string, name = 'ffmpeg'): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(join('/proc', d, 'cmdline'), 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith(name) || a === name) && cmd.some((a) => a.includes(needle))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export interface Packet {
  codec_type: string;
  dts_time?: string;
  pts_time?: string;
}

/** ffprobe reads `seconds` of a live URL: its packets (with timestamps). */
export async function packets(url: string, seconds: number): Promise<Packet[]> {
  const p = run('ffprobe', ['-v', 'error', '-rw_timeout', '15000000', '-read_intervals', `%+${seconds}`, '-show_entries', 'packet=codec_type,dts_time,pts_time', '-of', 'json', url]);
  const code = await withTimeout(p.exited, (seconds + 30) * 1000, () => p.kill());
  if (code !== 0) throw new Error(`ffprobe ${url} failed (${code}): ${p.stderr()}`);
  return ((JSON.parse(p.stdout().toString() || '{}') as { packets?: Packet[] }).packets ?? []);
}

/**
 * Timestamps of each track only go forward, with no jump larger than `maxGapS` (a loop restarting at 0, or a
 * pause); returns the span of video dts seen, seconds.
 */
export function checkContinuous(pk: Packet[], maxGapS = 0.5): { videoSpan: number; firstVideoDts: number; videos: number; audios: number } {
  const last: Record<string, number> = {};
  let first = NaN;
  let lastV = NaN;
  const count: Record<string, number> = { video: 0, audio: 0 };
  for (const p of pk) {
    const t = Number(p.dts_time);
    if (!Number.isFinite(t)) continue;
    count[p.codec_type] = (count[p.codec_type] ?? 0) + 1;
    const prev = last[p.codec_type];
    if (prev !== undefined) {
      if (t < prev) throw new Error(`${p.codec_type} dts went back from ${prev} to ${t}`);
      if (t - prev > maxGapS) throw new Error(`${p.codec_type} dts jumped from ${prev} to ${t}`);
    }
    last[p.codec_type] = t;
    if (p.codec_type === 'video') {
      if (Number.isNaN(first)) first = t;
      lastV = t;
    }
  }
  return { videoSpan: lastV - first, firstVideoDts: first, videos: count.video, audios: count.audio };
}

/** A multipart body with one file part, as a browser's FormData sends it. */
export function multipart(filename: string, data: Buffer, boundary = `----vlive${Math.random().toString(16).slice(2)}`): { body: Buffer; type: string } {
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, data, tail]), type: `multipart/form-data; boundary=${boundary}` };
}
