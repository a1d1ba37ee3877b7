// Configuration from environment variables, validated: a bad value names the variable and what it expects.
import { resolve } from 'node:path';

export interface Config {
  host: string;
  httpPort: number;
  httpsPort: number;
  rtmpPort: number;
  /** RTMP over TLS (rtmps://), with the HTTPS certificate; null = off (RTMPS_PORT=off) */
  rtmpsPort: number | null;
  rtcPort: number;
  srtPort: number;
  dataDir: string;
  redisUrl: string | null;
  platformSecret: string | null;
  mgmtPassword: string | null;
  candidate: string | null;
  logLevel: string;
  /** GOP cache: a new viewer starts at the last keyframe at once */
  gopCache: boolean;
  /** merged writes: each viewer is written once per this many ms (0 = every frame at once) */
  mwLatencyMs: number;
  /** unsent bytes per viewer before it is moved to the next keyframe */
  viewerQueueBytes: number;
  /** HLS segment target duration, seconds (SRS hls_fragment); null: from the hlsll setting (10 s, 2 s with LL) */
  hlsFragment: number | null;
  /** HLS segments in the playlist (sliding window); null: from the hlsll setting (60 s, 16 s with LL) */
  hlsWindow: number | null;
  /** HLS in fragmented MP4: auto (for codecs other than H.264), on (every stream), off (MPEG-TS only) */
  hlsFmp4: 'auto' | 'on' | 'off';
  /** low-latency HLS parts: from the hlsll setting, always, or never */
  hlsLowLatency: 'setting' | 'on' | 'off';
  /** low-latency HLS part target, ms */
  hlsPartMs: number;
  /** ms that viewers of a stream wait for its publisher to come back */
  republishGraceMs: number;
  /** largest RTMP message accepted, bytes */
  rtmpMaxMessage: number;
  /** an RTMP connection that sends nothing this long before it plays is closed (handshake, connect, publish), ms */
  rtmpIdleTimeoutMs: number;
  /** seconds an on_publish/other HTTP callback may take */
  hookTimeoutMs: number;
  /** SRT latency (SRTO_LATENCY), ms */
  srtLatencyMs: number;
  /** SRT passphrase (SRTO_PASSPHRASE, 10-79 characters), or null for no encryption */
  srtPassphrase: string | null;
  /** SRT max bandwidth (SRTO_MAXBW), bytes/s; -1 = unlimited */
  srtMaxBw: number;
  /** a republish within this many ms continues the same recording; after it the recording ends */
  recordRepublishWindowMs: number;
  /** bytes of a recording waiting for the disk before the recording fails (the disk cannot keep up) */
  recordQueueBytes: number;
  /** retries of a failed post-processing (copy or S3 upload) after the first attempt */
  recordUploadRetries: number;
  /** ms before the first retry of a failed post-processing; doubled each retry */
  recordUploadBackoffMs: number;
  /** a WebRTC session whose peer sends nothing (media, RTCP or ICE consent checks) this long is ended, ms */
  rtcSessionTimeoutMs: number;
  /** slots the console shows for restream, virtual live and IP camera targets (SRS Stack's SRS_*_LIMIT) */
  forwardLimit: number;
  vliveLimit: number;
  cameraLimit: number;
  /** most transcodes running at once (the global one and the per-stream ones; ours, SRS Stack has one) */
  transcodeLimit: number;
  /** largest virtual-live upload, bytes (VLIVE_UPLOAD_MAX_MB) */
  vliveUploadMaxBytes: number;
  /** directories besides DATA_DIR whose files virtual live may loop (VLIVE_FILE_DIRS, absolute, ':'-separated) */
  vliveFileDirs: string[];
  /** PLATFORM_DOCKER: whether we run in a container (null: find out, /.dockerenv) */
  platformDocker: boolean | null;
  /** the ACME directory (Let's Encrypt, its staging, or any ACME server) */
  acmeDirectoryUrl: string;
  /** contact e-mail given to the ACME CA ('' = none) */
  acmeEmail: string;
  /** a CA bundle (PEM file) to trust for the ACME server's own HTTPS (a private ACME server), or null */
  acmeCaFile: string | null;
  /** an extra plain-HTTP port that answers ACME challenges only (80 when the server may bind it), 0 = none */
  acmeHttpPort: number;
  /** a Let's Encrypt certificate is renewed this many days before it expires */
  certRenewDays: number;
  /** how often the certificate's expiry is checked, ms (also once at start) */
  certCheckIntervalMs: number;
  /** a WHIP publisher is asked for a keyframe (PLI) this often, so RTMP/FLV/HLS get GOPs; 0 = only on need (SRS pli_for_rtmp) */
  rtcPliIntervalMs: number;
  /** /metrics without the API secret (METRICS_PUBLIC=on), for a Prometheus on a private network */
  metricsPublic: boolean;
  /** on SIGTERM: at most this long for publishers to end, recordings to finalize and uploads to checkpoint, ms */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function num(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected a number from ${min} to ${max}`);
  }
  return n;
}

function port(env: Env, name: string, def: number): number {
  return int(env, name, def, 0, 65535);
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected on or off (true/false, 1/0)`);
}

function choice<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '') return def;
  const v = values.find((x) => x === raw);
  if (v === undefined) throw new ConfigError(`${name}=${JSON.stringify(env[name])} is invalid: expected one of ${values.join(', ')}`);
  return v;
}

/** An optional override: null when the variable is unset or empty. */
function optional<T>(env: Env, name: string, parse: () => T): T | null {
  const raw = env[name];
  return raw === undefined || raw === '' ? null : parse();
}

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v === '' ? null : v;
}

function srtPassphrase(env: Env): string | null {
  const v = str(env, 'SRT_PASSPHRASE');
  if (v !== null && (v.length < 10 || v.length > 79)) {
    throw new ConfigError(`SRT_PASSPHRASE is invalid: expected 10 to 79 characters, got ${v.length}`);
  }
  return v;
}

const ACME_DIRECTORIES: Record<string, string> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/** ACME_DIRECTORY_URL: a URL, or letsencrypt (the default) / letsencrypt-staging. */
function acmeDirectory(env: Env): string {
  const v = str(env, 'ACME_DIRECTORY_URL') ?? 'letsencrypt';
  const named = ACME_DIRECTORIES[v.toLowerCase()];
  if (named) return named;
  if (!/^https?:\/\/[^/]+/.test(v)) {
    throw new ConfigError(`ACME_DIRECTORY_URL=${JSON.stringify(v)} is invalid: expected letsencrypt, letsencrypt-staging or the https:// URL of an ACME directory`);
  }
  return v;
}

function dirList(env: Env, name: string): string[] {
  const raw = str(env, name);
  if (raw === null) return [];
  const dirs = raw.split(':').map((d) => d.trim()).filter(Boolean);
  for (const d of dirs) {
    if (!d.startsWith('/')) throw new ConfigError(`${name} is invalid: ${JSON.stringify(d)} is not an absolute directory (give absolute paths separated by ':')`);
  }
  return dirs.map((d) => resolve(d));
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is invalid: expected one of ${LEVELS.join(', ')}`);
  }
  const redisUrl = str(env, 'REDIS_URL');
  if (redisUrl && !/^(redis|rediss|unix):\/\//.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL=${JSON.stringify(redisUrl)} is invalid: expected redis://host:port[/db] or unix:///path`);
  }
  const candidate = str(env, 'CANDIDATE');
  return {
    host: env.HOST || '0.0.0.0',
    httpPort: port(env, 'HTTP_PORT', 2022),
    httpsPort: port(env, 'HTTPS_PORT', 2443),
    rtmpPort: port(env, 'RTMP_PORT', 1935),
    rtmpsPort: (env.RTMPS_PORT ?? '').toLowerCase() === 'off' ? null : port(env, 'RTMPS_PORT', 1936),
    rtcPort: port(env, 'RTC_PORT', 8000),
    srtPort: port(env, 'SRT_PORT', 10080),
    dataDir: resolve(env.DATA_DIR || './data'),
    redisUrl,
    platformSecret: str(env, 'SRS_PLATFORM_SECRET'),
    mgmtPassword: str(env, 'MGMT_PASSWORD'),
    candidate: candidate === 'auto' ? null : candidate,
    logLevel,
    gopCache: bool(env, 'GOP_CACHE', true),
    mwLatencyMs: int(env, 'MW_LATENCY', 350, 0, 5000),
    viewerQueueBytes: int(env, 'VIEWER_QUEUE_BYTES', 2 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    hlsFragment: optional(env, 'HLS_FRAGMENT', () => num(env, 'HLS_FRAGMENT', 0, 0.5, 60)),
    hlsWindow: optional(env, 'HLS_WINDOW', () => int(env, 'HLS_WINDOW', 0, 2, 100)),
    hlsFmp4: choice(env, 'HLS_FMP4', ['auto', 'on', 'off'] as const, 'auto'),
    hlsLowLatency: choice(env, 'HLS_LL', ['setting', 'on', 'off'] as const, 'setting'),
    hlsPartMs: int(env, 'HLS_PART_MS', 300, 100, 2000),
    republishGraceMs: int(env, 'REPUBLISH_GRACE_MS', 10000, 0, 3600000),
    rtmpMaxMessage: int(env, 'RTMP_MAX_MESSAGE', 8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    rtmpIdleTimeoutMs: int(env, 'RTMP_IDLE_TIMEOUT_MS', 20000, 500, 600000),
    hookTimeoutMs: int(env, 'HOOK_TIMEOUT_MS', 5000, 100, 60000),
    srtLatencyMs: int(env, 'SRT_LATENCY', 120, 20, 8000),
    srtPassphrase: srtPassphrase(env),
    srtMaxBw: int(env, 'SRT_MAXBW', -1, -1, 1_000_000_000),
    recordRepublishWindowMs: int(env, 'RECORD_REPUBLISH_WINDOW_MS', 30000, 0, 86400000),
    recordQueueBytes: int(env, 'RECORD_QUEUE_BYTES', 64 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024),
    recordUploadRetries: int(env, 'RECORD_UPLOAD_RETRIES', 10, 0, 1000),
    recordUploadBackoffMs: int(env, 'RECORD_UPLOAD_BACKOFF_MS', 2000, 10, 3600000),
    rtcSessionTimeoutMs: int(env, 'RTC_SESSION_TIMEOUT_MS', 30000, 1000, 600000),
    acmeDirectoryUrl: acmeDirectory(env),
    acmeEmail: env.ACME_EMAIL ?? '',
    acmeCaFile: str(env, 'ACME_CA_FILE'),
    acmeHttpPort: port(env, 'ACME_HTTP_PORT', 0),
    certRenewDays: int(env, 'CERT_RENEW_DAYS', 30, 1, 365),
    certCheckIntervalMs: int(env, 'CERT_CHECK_INTERVAL_MS', 86400_000, 1000, 30 * 86400_000),
    rtcPliIntervalMs: int(env, 'RTC_PLI_INTERVAL_MS', 2000, 0, 600000),
    forwardLimit: int(env, 'SRS_FORWARD_LIMIT', 10, 0, 1000),
    vliveLimit: int(env, 'SRS_VLIVE_LIMIT', 10, 0, 1000),
    cameraLimit: int(env, 'SRS_CAMERA_LIMIT', 10, 0, 1000),
    transcodeLimit: int(env, 'SRS_TRANSCODE_LIMIT', 10, 0, 1000),
    vliveUploadMaxBytes: int(env, 'VLIVE_UPLOAD_MAX_MB', 4096, 1, 1024 * 1024) * 1024 * 1024,
    vliveFileDirs: dirList(env, 'VLIVE_FILE_DIRS'),
    metricsPublic: bool(env, 'METRICS_PUBLIC', false),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 500, 600000),
    platformDocker: env.PLATFORM_DOCKER === undefined || env.PLATFORM_DOCKER === '' ? null : bool(env, 'PLATFORM_DOCKER', false),
  };
}
