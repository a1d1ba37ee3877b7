// An IP camera task's config as SRS Stack stores it in SRS_CAMERA_CONFIG[<platform>] (SRS-STACK-API.md section 6):
// {platform, server, secret, enabled, custom, label, extraAudio, files:[FFprobeSource]}, plus our `transport`
// (how RTSP media comes: tcp, SRS Stack's choice, or udp). The output URL is SRS Stack's server + secret.

/** ffprobe's view of a source, as SRS Stack's console shows it (FFprobeSource). */
export interface ProbeFormat {
  start_time: string;
  duration: string;
  bit_rate: string;
  nb_streams: number;
  probe_score: number;
  has_video: boolean;
  has_audio: boolean;
}

export interface ProbeVideo {
  codec_type: 'video';
  codec_name: string;
  profile: string;
  width: number;
  height: number;
  pix_fmt: string;
  level: number;
  bit_rate: string;
  start_time: string;
  duration: string;
}

export interface ProbeAudio {
  codec_type: 'audio';
  codec_name: string;
  profile: string;
  sample_fmt: string;
  sample_rate: string;
  channels: number;
  channel_layout: string;
  bit_rate: string;
  start_time: string;
  duration: string;
}

export interface CameraFile {
  name: string;
  path: string;
  size: number;
  uuid: string;
  /** the camera's URL */
  target: string;
  /** always 'stream' for a camera */
  type: string;
  format?: ProbeFormat;
  video?: ProbeVideo | null;
  audio?: ProbeAudio | null;
}

export type CameraTransport = 'tcp' | 'udp';

export interface CameraConfig {
  platform: string;
  server: string;
  secret: string;
  enabled: boolean;
  custom: boolean;
  label: string;
  /** 'silent': the camera's audio is replaced by a silent AAC track; anything else: copied */
  extraAudio: string;
  files: CameraFile[];
  /** RTSP: how the media comes (default tcp) */
  transport: CameraTransport;
}

/** SRS Stack's camera platforms: the three presets, or a console slot `camera-<n>-<hex>`. */
export function validCameraPlatform(p: string): boolean {
  return p === 'wx' || p === 'bilibili' || p === 'kuaishou' || p.includes('camera-');
}

/** SRS Stack's output URL: server + "/" + secret (the slash only when neither has one and there is a secret). */
export function outputUrl(server: string, secret: string): string {
  if (!secret) return server;
  return server.endsWith('/') || secret.startsWith('/') ? server + secret : `${server}/${secret}`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A stored config (SRS Stack's or ours); null when it is not one. */
export function decodeCameraConfig(text: string): CameraConfig | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.platform !== 'string' || !o.platform) return null;
  return {
    platform: o.platform,
    server: str(o.server),
    secret: str(o.secret),
    enabled: o.enabled === true,
    custom: o.custom === true,
    label: str(o.label),
    extraAudio: str(o.extraAudio),
    files: Array.isArray(o.files) ? (o.files.filter((f) => f && typeof f === 'object' && typeof (f as CameraFile).target === 'string') as CameraFile[]) : [],
    transport: o.transport === 'udp' ? 'udp' : 'tcp',
  };
}
