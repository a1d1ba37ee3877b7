// Transcode configs and the FFmpeg command line they make. Two shapes share SRS_TRANSCODE_CONFIG:
// - field `global`: SRS Stack's one global task {all, vcodec, acodec, vbitrate, abitrate, vprofile, vpreset,
//   achannels, server, secret}, whose input is the most recently published stream;
// - field <uuid>: ours, a transcode of one named stream into several renditions (profiles), each to a stream of
//   ours `app/<stream>_<profile>` or to a target URL; two or more renditions of ours make an ABR group.
// One FFmpeg decodes the input once and encodes every rendition (one output per rendition). Keyframes are
// forced at the same times in every rendition (a fixed frame rate, a GOP of GOP_SECONDS, no scene-cut
// keyframes), so HLS segments line up and a player can switch between renditions at any segment.

/** SRS Stack's global transcode config, stored verbatim (bitrates in kbps). */
export interface GlobalTranscodeConfig {
  all: boolean;
  vcodec: string;
  acodec: string;
  vbitrate: number;
  abitrate: number;
  vprofile: string;
  vpreset: string;
  achannels: number;
  server: string;
  secret: string;
}

/** One rendition. */
export interface TranscodeProfile {
  /** letters, digits, - and _: the output stream is `<stream>_<name>` */
  name: string;
  /** an FFmpeg video encoder, e.g. libx264 */
  vcodec: string;
  /** baseline, main, high, ... ('' = the encoder's default) */
  vprofile: string;
  /** ultrafast ... veryslow ('' = the encoder's default) */
  vpreset: string;
  /** kbps */
  vbitrate: number;
  /** frames per second (0 = 25, as SRS Stack) */
  fps: number;
  /** '' keeps the input's size; "1280x720" or a height "720" (the width keeps the aspect ratio) */
  size: string;
  /** an FFmpeg audio encoder, e.g. aac */
  acodec: string;
  /** kbps */
  abitrate: number;
  /** 0 keeps the input's channels */
  achannels: number;
  /** '' = a stream of ours (app/<stream>_<name>); else an rtmp:// or rtmps:// URL to push to */
  target: string;
}

/** Our per-stream transcode. */
export interface StreamTranscodeConfig {
  /** the input, app/stream (e.g. live/livestream) */
  stream: string;
  enabled: boolean;
  label: string;
  profiles: TranscodeProfile[];
}

export type TranscodeConfig = { kind: 'global'; global: GlobalTranscodeConfig } | { kind: 'stream'; stream: StreamTranscodeConfig };

/** The config field of SRS Stack's global task. */
export const GLOBAL_ID = 'global';

/** the GOP, seconds: every rendition has a keyframe at each multiple of it */
export const GOP_SECONDS = 2;

export const EMPTY_GLOBAL: GlobalTranscodeConfig = {
  all: false,
  vcodec: '',
  acodec: '',
  vbitrate: 0,
  abitrate: 0,
  vprofile: '',
  vpreset: '',
  achannels: 0,
  server: '',
  secret: '',
};

export const DEFAULT_PROFILE: TranscodeProfile = {
  name: '720p',
  vcodec: 'libx264',
  vprofile: 'main',
  vpreset: 'veryfast',
  vbitrate: 1200,
  fps: 25,
  size: '720',
  acodec: 'aac',
  abitrate: 64,
  achannels: 0,
  target: '',
};

/** Profile names: they become part of a stream name. */
export const PROFILE_NAME_RE = /^[A-Za-z0-9_-]{1,32}$/;
/** FFmpeg encoder, profile and preset names. */
export const CODEC_NAME_RE = /^[A-Za-z0-9_.-]{0,64}$/;
/** A size: WxH, or a height. */
export const SIZE_RE = /^(?:(\d{2,5})x(\d{2,5})|(\d{2,5})p?)?$/;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function profileOf(v: unknown): TranscodeProfile | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const p: TranscodeProfile = {
    name: str(o.name),
    vcodec: str(o.vcodec),
    vprofile: str(o.vprofile),
    vpreset: str(o.vpreset),
    vbitrate: num(o.vbitrate),
    fps: num(o.fps),
    size: str(o.size),
    acodec: str(o.acodec),
    abitrate: num(o.abitrate),
    achannels: num(o.achannels),
    target: str(o.target),
  };
  return PROFILE_NAME_RE.test(p.name) ? p : null;
}

/** A stored config (either shape); null when it cannot be used. */
export function decodeTranscodeConfig(text: string): TranscodeConfig | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.profiles)) {
    const profiles = o.profiles.map(profileOf);
    if (profiles.some((p) => p === null) || typeof o.stream !== 'string') return null;
    return { kind: 'stream', stream: { stream: o.stream, enabled: o.enabled === true, label: str(o.label), profiles: profiles as TranscodeProfile[] } };
  }
  const g: GlobalTranscodeConfig = {
    all: o.all === true,
    vcodec: str(o.vcodec),
    acodec: str(o.acodec),
    vbitrate: num(o.vbitrate),
    abitrate: num(o.abitrate),
    vprofile: str(o.vprofile),
    vpreset: str(o.vpreset),
    achannels: num(o.achannels),
    server: str(o.server),
    secret: str(o.secret),
  };
  return { kind: 'global', global: g };
}

/** What is stored: SRS Stack's JSON for the global task, ours for the others. */
export function encodeTranscodeConfig(c: TranscodeConfig): string {
  return JSON.stringify(c.kind === 'global' ? c.global : c.stream);
}

/** SRS Stack's output URL: server + "/" + secret (the slash only when neither has one there). */
export function joinOutputUrl(server: string, secret: string): string {
  if (!secret) return server;
  return server.endsWith('/') || secret.startsWith('/') ? server + secret : `${server}/${secret}`;
}

/** The global task as one rendition (SRS Stack's command: -r 25 -g 50 -bf 0, -tune zerolatency). */
export function globalProfile(g: GlobalTranscodeConfig): TranscodeProfile {
  return {
    name: 'global',
    vcodec: g.vcodec || 'libx264',
    vprofile: g.vprofile,
    vpreset: g.vpreset,
    vbitrate: g.vbitrate > 0 ? g.vbitrate : 1200,
    fps: 25,
    size: '',
    acodec: g.acodec || 'aac',
    abitrate: g.abitrate > 0 ? g.abitrate : 64,
    achannels: g.achannels,
    target: joinOutputUrl(g.server, g.secret),
  };
}

/** The scale filter of a size, or null to keep the input's. Even sizes: H.264 in 4:2:0 needs them. */
export function scaleFilter(size: string): string | null {
  const m = SIZE_RE.exec(size.trim());
  if (!m || size.trim() === '') return null;
  if (m[1] && m[2]) return `scale=${Number(m[1]) & ~1}:${Number(m[2]) & ~1}`;
  return `scale=-2:${Number(m[3]) & ~1}`;
}

/** Encoders whose -tune zerolatency SRS Stack passes (others do not know it). */
const ZEROLATENCY = new Set(['libx264', 'libx265']);

/** The options of one rendition's output (after the input), ending with its FLV output on fd `fd`. */
export function profileOutputArgs(p: TranscodeProfile, fd: number): string[] {
  const fps = p.fps > 0 ? p.fps : 25;
  const gop = Math.max(1, Math.round(fps * GOP_SECONDS));
  const a = ['-map', '0:v?', '-map', '0:a?', '-c:v', p.vcodec];
  if (p.vprofile) a.push('-profile:v', p.vprofile);
  if (p.vpreset) a.push('-preset:v', p.vpreset);
  if (ZEROLATENCY.has(p.vcodec)) a.push('-tune', 'zerolatency');
  // A bitrate held close to the target (VBV at 1x, a 2 s buffer): what the platforms and ABR players expect.
  a.push('-b:v', `${p.vbitrate}k`, '-maxrate', `${p.vbitrate}k`, '-bufsize', `${p.vbitrate * 2}k`);
  a.push('-r', String(fps), '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0');
  a.push('-force_key_frames', `expr:gte(t,n_forced*${GOP_SECONDS})`, '-pix_fmt', 'yuv420p');
  const scale = scaleFilter(p.size);
  if (scale) a.push('-vf', scale);
  a.push('-c:a', p.acodec, '-b:a', `${p.abitrate}k`);
  if (p.achannels > 0) a.push('-ac', String(p.achannels));
  a.push('-flvflags', 'no_duration_filesize', '-flush_packets', '1', '-f', 'flv', `pipe:${fd}`);
  return a;
}

/** The whole command: FLV from stdin, one output per rendition on the given fds. */
export function transcodeArgs(profiles: TranscodeProfile[], fds: number[]): string[] {
  const a = ['-hide_banner', '-loglevel', 'error', '-fflags', '+genpts', '-f', 'flv', '-i', 'pipe:0'];
  profiles.forEach((p, i) => a.push(...profileOutputArgs(p, fds[i]!)));
  return a;
}

/** FFmpeg's words for a command line it cannot run: retrying the same profile cannot help. */
const CONFIG_ERROR_RE =
  /Unknown encoder|Encoder \S+ not found|Error setting profile|Unable to parse option|Error (while opening|initializing) (encoder|output stream)|Unrecognized option|Option \S+ not found|Invalid (argument|value)|Possible profiles|does not support|doesn't support/i;

/** The line of FFmpeg's log that says the command itself is wrong, or null. */
export function configErrorOf(log: readonly string[]): string | null {
  for (const l of log) if (CONFIG_ERROR_RE.test(l)) return l;
  return null;
}
