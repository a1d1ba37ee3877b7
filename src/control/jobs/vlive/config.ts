// Virtual live's config as SRS Stack stores it (SRS_VLIVE_CONFIG[<platform>]) and its sources (FFprobeSource):
// the platform names it accepts, the output URL it makes of server + secret, and the probe -> source shape.
import type { FfprobeResult, FfprobeStream } from '../../../servers/ffmpeg/ffprobe.js';

export type SourceType = 'upload' | 'file' | 'stream' | 'ytdl';

/** SRS Stack's FFprobeSource: a file or URL and what ffprobe found in it. */
export interface FFprobeSource {
  name: string;
  /** what the user gave: the file's name, the server path, the URL */
  path: string;
  size: number;
  uuid: string;
  /** where it is read from: upload/<uuid>.mp4 or vlive/<uuid>.mp4 (relative to DATA_DIR), an absolute server path, a URL */
  target: string;
  type: SourceType;
  format?: {
    start_time: string;
    duration: string;
    bit_rate: string;
    nb_streams: number;
    probe_score: number;
    has_video: boolean;
    has_audio: boolean;
    /** ours: ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    format_name?: string;
  };
  video?: {
    codec_type: string;
    codec_name: string;
    profile: string;
    width: number;
    height: number;
    pix_fmt: string;
    level: number;
    bit_rate: string;
    start_time: string;
    duration: string;
  } | null;
  audio?: {
    codec_type: string;
    codec_name: string;
    profile: string;
    sample_fmt: string;
    sample_rate: string;
    channels: number;
    channel_layout: string;
    bit_rate: string;
    start_time: string;
    duration: string;
  } | null;
}

/** SRS_VLIVE_CONFIG[<platform>]. */
export interface VliveConfig {
  platform: string;
  server: string;
  secret: string;
  enabled: boolean;
  custom: boolean;
  label: string;
  files: FFprobeSource[];
}

/** SRS Stack's platforms: the three presets, or any name with "vlive-" in it (the console's extra slots). */
export function platformError(p: string): string | null {
  if (!p) return 'no platform: give "platform", e.g. "vlive-1"';
  if (p.length > 64 || !/^[\w.-]+$/.test(p)) return `invalid platform ${JSON.stringify(p)}: use letters, digits, - _ .`;
  if (p === 'wx' || p === 'bilibili' || p === 'kuaishou' || p.includes('vlive-')) return null;
  return `invalid platform ${JSON.stringify(p)}: use wx, bilibili, kuaishou or a name containing "vlive-" (e.g. "vlive-1")`;
}

/** SRS Stack's output URL: server, a "/" when neither side has one (and there is a secret), then the secret. */
export function outputUrl(c: Pick<VliveConfig, 'server' | 'secret'>): string {
  const slash = c.secret && !c.server.endsWith('/') && !c.secret.startsWith('/') ? '/' : '';
  return `${c.server}${slash}${c.secret}`;
}

function s(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function n(v: unknown): number {
  const x = Number(v);
  return Number.isFinite(x) ? x : 0;
}

function videoOf(st: FfprobeStream | undefined): FFprobeSource['video'] {
  if (!st) return null;
  return {
    codec_type: 'video',
    codec_name: s(st.codec_name),
    profile: s(st.profile),
    width: n(st.width),
    height: n(st.height),
    pix_fmt: s(st.pix_fmt),
    level: n(st.level),
    bit_rate: s(st.bit_rate),
    start_time: s(st.start_time),
    duration: s(st.duration),
  };
}

function audioOf(st: FfprobeStream | undefined): FFprobeSource['audio'] {
  if (!st) return null;
  return {
    codec_type: 'audio',
    codec_name: s(st.codec_name),
    profile: s(st.profile),
    sample_fmt: s(st.sample_fmt),
    sample_rate: s(st.sample_rate),
    channels: n(st.channels),
    channel_layout: s(st.channel_layout),
    bit_rate: s(st.bit_rate),
    start_time: s(st.start_time),
    duration: s(st.duration),
  };
}

/** The probe fields of a source (format, first video, first audio). */
export function probeFields(p: FfprobeResult): Pick<FFprobeSource, 'format' | 'video' | 'audio'> {
  const v = p.streams.find((x) => x.codec_type === 'video' && x.codec_name !== 'mjpeg' && x.codec_name !== 'png');
  const a = p.streams.find((x) => x.codec_type === 'audio');
  return {
    format: {
      start_time: s(p.format.start_time),
      duration: s(p.format.duration),
      bit_rate: s(p.format.bit_rate),
      nb_streams: n(p.format.nb_streams),
      probe_score: n(p.format.probe_score),
      has_video: !!v,
      has_audio: !!a,
      format_name: s(p.format.format_name),
    },
    video: videoOf(v),
    audio: audioOf(a),
  };
}

const VIDEO_CODECS = new Set(['h264', 'hevc', 'h265']);
const AUDIO_CODECS = new Set(['aac', 'mp3']);

/**
 * Why a probed source cannot be looped without transcoding (null when it can): a video track must be H.264
 * or H.265, an audio track AAC or MP3, and there must be one of them; its bitrate within the limit (kbps).
 */
export function sourceError(name: string, p: Pick<FFprobeSource, 'format' | 'video' | 'audio'>, limitKbps: number): string | null {
  if (!p.video && !p.audio) return `${name} has no video or audio track ffprobe can read; use an MP4, FLV, MKV or TS file with H.264/H.265 video and AAC/MP3 audio`;
  if (p.video && !VIDEO_CODECS.has(p.video.codec_name)) {
    return `invalid video codec ${p.video.codec_name} in ${name}: only H.264 and H.265 are looped without transcoding; convert it first, e.g. ffmpeg -i IN -c:v libx264 -c:a aac OUT.mp4`;
  }
  if (p.audio && !AUDIO_CODECS.has(p.audio.codec_name)) {
    return `invalid audio codec ${p.audio.codec_name} in ${name}: only AAC and MP3 are looped without transcoding; convert it first, e.g. ffmpeg -i IN -c:v copy -c:a aac OUT.mp4`;
  }
  const kbps = Math.round(Number(p.format?.bit_rate ?? 0) / 1000);
  if (kbps > limitKbps) return `bitrate ${kbps}Kbps of ${name} is too large, exceed ${limitKbps}Kbps; raise the limit (mgmt/limits/update "vlive") or use a smaller file`;
  return null;
}

function asSource(v: unknown): FFprobeSource | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const type = o.type;
  if (type !== 'upload' && type !== 'file' && type !== 'stream' && type !== 'ytdl') return null;
  if (typeof o.target !== 'string' || !o.target) return null;
  return { ...(o as unknown as FFprobeSource), name: s(o.name), path: s(o.path), uuid: s(o.uuid), size: n(o.size), type, target: o.target };
}

/** A stored config (SRS Stack's or ours); null when it is not one. */
export function parseVliveConfig(text: string): VliveConfig | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.platform !== 'string' || platformError(o.platform)) return null;
  const files = Array.isArray(o.files) ? o.files.map(asSource).filter((f): f is FFprobeSource => f !== null) : [];
  return { platform: o.platform, server: s(o.server), secret: s(o.secret), enabled: o.enabled === true, custom: o.custom === true, label: s(o.label), files };
}
