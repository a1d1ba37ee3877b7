// The benchmark's fixed source: an H.264 + AAC FLV file made once with ffmpeg (1280x720, 25 fps, 1 Mbps video
// with a 1 Mbps VBV, 2 s GOP, 96 kbps AAC: about 1.1 Mbps in all) and described by a scan of its tags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORK_DIR } from './common.js';
import { scanTags } from './flv-file.js';

export interface SourceInfo {
  path: string;
  /** media duration of one loop, ms */
  durationMs: number;
  /** FLV tag body bytes of media (what a viewer's payload counters see) per loop */
  payloadBytes: number;
  /** payload bitrate, kbit/s */
  kbps: number;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  fps: number;
}

/** Bump when the ffmpeg recipe changes, so an old file is not reused. */
const RECIPE = 1;
const SECONDS = 20;

export function ensureSource(log: (m: string) => void): SourceInfo {
  mkdirSync(WORK_DIR, { recursive: true });
  const path = join(WORK_DIR, `source-v${RECIPE}.flv`);
  const infoPath = `${path}.json`;
  if (existsSync(path) && existsSync(infoPath)) return JSON.parse(readFileSync(infoPath, 'utf8')) as SourceInfo;
  log(`making the source file ${path} (${SECONDS} s, once)`);
  const tmp = `${path}.tmp.flv`;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-b:v', '1000k', '-maxrate', '1000k', '-bufsize', '1000k',
    '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-ar', '48000',
    '-f', 'flv', tmp,
  ];
  const r = spawnSync('ffmpeg', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`ffmpeg could not make the source file (exit ${r.status}); is ffmpeg with libx264 installed?`);
  const info = scan(tmp);
  renameSync(tmp, path);
  info.path = path;
  writeFileSync(infoPath, JSON.stringify(info, null, 2));
  return info;
}

function scan(path: string): SourceInfo {
  const f = scanTags(readFileSync(path));
  return {
    path,
    durationMs: f.loopMs,
    payloadBytes: f.payloadBytes,
    kbps: (f.payloadBytes * 8) / f.loopMs,
    videoFrames: f.videoFrames,
    audioFrames: f.audioFrames,
    keyframes: f.keyframes,
    fps: (f.videoFrames * 1000) / f.loopMs,
  };
}
