// The JSON shapes of the calls the console makes (SRS Stack's /terraform/v1 and SRS's /api/v1).

export interface Versions { version: string }

/** mgmt/init without a password: whether the password is set, and (newer servers) whether a setup code is needed. */
export interface InitStatus { init: boolean; needSetupCode?: boolean }

export interface LoginResult { token: string; createAt: string; expireAt: string; bearer?: string }

export interface Envs {
  rtmpPort: string; httpPort: string; srtPort: string; rtcPort: string; candidate: boolean; forwardLimit?: number;
}

export interface PublishSecret { publish: string; pubNoAuth: boolean }

export interface Beian { icp?: string; title?: string; [k: string]: string | undefined }
export interface Limits { vlive: number; camera: number }
export interface OpenAiSettings { aiSecretKey: string; aiBaseURL: string; aiOrganization: string }

export interface HookTest { target: string; ok: boolean; reason?: string; request: string; status: number; response: string; error: string }
export interface HooksSettings { req: string; res: string; target: string; opaque: string; all: boolean; host: string }

export type PostProcess = 'none' | 'post-cp-file' | 's3';
export interface S3Settings {
  endpoint: string; region: string; bucket: string; prefix: string; accessKey: string; secretKey: string; pathStyle: boolean;
}
export interface RecordSettings {
  all: boolean; home?: string; globs?: string[]; postProcess?: PostProcess; postCpDir?: string; processCpDir?: string; s3?: S3Settings | null;
}
export type S3CheckKind = 'ok' | 'credentials' | 'denied' | 'no-bucket' | 'unreachable' | 'timeout' | 'error';
/** record/s3/check: what a test of the S3 settings found. */
export interface S3Check {
  ok: boolean; kind: S3CheckKind; message: string; target: string;
  steps: { step: string; ok: boolean; ms: number; kind: S3CheckKind; message: string }[];
}
export interface RecordPost { kind?: string; state?: string; attempts?: number; target?: string; reason?: string }
/** An entry of record/files; newer servers may add fields, older ones lack ours: read them defensively. */
export interface RecordFile {
  uuid: string; vhost?: string; app?: string; stream?: string; progress?: boolean; update?: string; nn?: number;
  duration?: number; size?: number; url?: string; state?: string; code?: number; error?: string; post?: RecordPost;
}

/** A forward target as SRS Stack stores it (forward/secret), plus ours: backup. */
export interface ForwardConfig {
  platform: string; server: string; secret: string; enabled: boolean; custom: boolean; label: string; stream: string; backup?: string;
}
/** An entry of forward/streams: SRS Stack's fields, then ours (read defensively: an older server lacks them). */
export interface ForwardStream {
  platform: string; enabled: boolean; custom: boolean; label: string;
  stream?: string; start?: string; ready?: string; frame?: { log: string; update: string };
  uuid?: string; input?: string; backup?: string; target?: string; state?: string; reason?: string; retryInMs?: number;
  attempts?: number; uptime?: number; frames?: number; bytes?: number; kbps?: number; drops?: number; switches?: number;
  switching?: string; log?: string[]; update?: string;
}

export interface SrsKbps { recv_30s: number; send_30s: number }
export interface SrsStream {
  id: string; name: string; vhost: string; app: string; tcUrl: string; url: string; live_ms: number; clients: number;
  frames: number; send_bytes: number; recv_bytes: number; kbps: SrsKbps;
  publish: { active: boolean; cid?: string };
  video: { codec: string; profile?: string; level?: string; width?: number; height?: number; fps?: number } | null;
  audio: { codec: string; sample_rate?: number; channel?: number; profile?: string } | null;
  drops?: number;
}
export interface SrsClient {
  id: string; vhost: string; stream: string; ip: string; url: string; name: string; type: string; publish: boolean;
  alive: number; send_bytes: number; recv_bytes: number; kbps: SrsKbps;
}
export interface SrsSummaries {
  data: {
    ok: boolean; now_ms: number;
    self: { version: string; pid: number; mem_kbyte: number; mem_percent: number; cpu_percent: number; srs_uptime: number };
    system: { cpu_percent: number; mem_ram_kbyte: number; mem_ram_percent: number; cpus: number; uptime: number; load_1m: number; conn_srs: number };
    kbps?: SrsKbps;
  };
}

export type CertSource = 'self-signed' | 'uploaded' | 'letsencrypt';
export type AcmeStep = 'account' | 'order' | 'challenge' | 'validating' | 'finalizing' | 'downloading' | '';
export type AcmeProblem = 'dns' | 'unreachable' | 'unauthorized' | 'rate-limited' | 'rejected' | 'acme-server' | 'other' | '';
/** mgmt/cert/query: SRS Stack's provider, domain, key, crt, and ours (source, certificate, acme). */
export interface CertQuery {
  provider: 'ssl' | 'lets'; domain: string; key: string; crt: string;
  source?: CertSource;
  certificate?: { subject: string; domains: string[]; issuer: string; notBefore: string; notAfter: string; fingerprint: string; serial: string; chainLength: number; selfIssued: boolean };
  acme?: { state: 'idle' | 'running' | 'ok' | 'failed'; domain: string; renewal: boolean; step: AcmeStep; startedAt: string; finishedAt: string; error: string; problem: AcmeProblem; directoryUrl: string };
  renewBeforeDays?: number;
}

/** SRS Stack's global transcode config. */
export interface GlobalTranscode {
  all: boolean; vcodec: string; acodec: string; vbitrate: number; abitrate: number; vprofile: string; vpreset: string;
  achannels: number; server: string; secret: string;
}
export interface TranscodeProfile {
  name: string; vcodec: string; vprofile: string; vpreset: string; vbitrate: number; fps: number; size: string;
  acodec: string; abitrate: number; achannels: number; target: string;
}
export interface JobStatus {
  uuid: string; id: string; state: 'starting' | 'running' | 'retrying' | 'stopped' | 'failed'; reason: string; retryInMs: number;
  attempts: number; runningSince: string; uptime: number; frames: number; bytes: number; kbps: number; log: string[]; update: string;
}
export interface FfmpegProgress {
  frame: number; fps: number | null; bitrateKbps: number | null; totalSize: number | null; outTimeMs: number | null; speed: number | null;
  dupFrames: number; dropFrames: number;
}
export interface TranscodeLive {
  input: string; waiting: string; pid: number | null; progress: FfmpegProgress | null; progressAt: string; drops: number;
  renditions: { name: string; output: string; local: boolean; frames: number; bytes: number; kbps: number; width: number; height: number }[];
}
export interface GlobalTranscodeTask {
  uuid: string; enabled: boolean; input: string; output: string; frame: { log: string; update: string };
  status: JobStatus | null; live: TranscodeLive;
}
export interface StreamTranscode {
  id: string; stream: string; enabled: boolean; label: string; profiles: TranscodeProfile[]; abr: string; status: JobStatus; live: TranscodeLive;
}

/** ffprobe's view of a camera (SRS Stack's FFprobeSource), as camera/source answers it. */
export interface CameraFile {
  name: string; path?: string; size: number; uuid: string; target: string; type: string;
  format?: { bit_rate?: string; has_video?: boolean; has_audio?: boolean };
  video?: { codec_name: string; profile?: string; width?: number; height?: number } | null;
  audio?: { codec_name: string; profile?: string; sample_rate?: string; channels?: number } | null;
}
export interface CameraConfig {
  platform: string; server: string; secret: string; enabled: boolean; custom: boolean; label: string;
  extraAudio: string; files: CameraFile[]; transport: 'tcp' | 'udp';
}
/** An entry of camera/streams: SRS Stack's fields, then ours (input, output, task). */
export interface CameraStream {
  platform: string; enabled: boolean; custom: boolean; label: string; extraAudio: string; transport?: string;
  files: CameraFile[]; input?: string; output?: string; task?: JobStatus | null;
}
/** A live room (SRS Stack's fields; playAuth and viewers are ours). */
export interface LiveRoom {
  uuid: string; title: string; stream: string; secret: string; roomToken: string; created_at: string;
  playAuth?: boolean; viewers?: number; [k: string]: unknown;
}
/** What the public room page may know. */
export interface PublicRoom { uuid: string; title: string; app: string; stream: string; playAuth: boolean }
export interface PlayAuthSettings { all: boolean; apps: string[]; rooms: string[] }
export interface PlayToken { token: string; streams: string; exp: number; expireAt: string; ip?: string }

/** Virtual live: a source as SRS Stack's FFprobeSource (file, upload or stream URL, and what ffprobe found). */
export interface VliveSource {
  name: string; path: string; size: number; uuid: string; target: string; type: 'upload' | 'file' | 'stream' | 'ytdl';
  format?: { start_time: string; duration: string; bit_rate: string; nb_streams: number; probe_score: number; has_video: boolean; has_audio: boolean; format_name?: string };
  video?: { codec_name: string; profile: string; width: number; height: number; pix_fmt: string; level: number; bit_rate: string } | null;
  audio?: { codec_name: string; profile: string; sample_rate: string; channels: number; channel_layout: string; bit_rate: string } | null;
}
export interface VliveConfig { platform: string; server: string; secret: string; enabled: boolean; custom: boolean; label: string; files: VliveSource[] }
export interface VliveStream {
  platform: string; enabled: boolean; custom: boolean; label: string; files: VliveSource[];
  source?: string; start?: string; ready?: string; frame?: { log: string; update: string }; mode?: string; output: string; task: JobStatus | null;
}
