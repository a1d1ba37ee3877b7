// Recording settings, kept in SRS Stack's SRS_RECORD_PATTERNS hash: all ("true"/"false"), globs (a JSON array),
// post-cp-file (the copy directory, SRS Stack's field), and ours: postProcess ("none" | "post-cp-file" | "s3")
// and s3 (a JSON object). Read once at start and cached: a publish never waits for Redis.
import { Keys } from '../../redis/keys.js';
import type { Store } from '../../redis/store.js';

export type PostProcess = 'none' | 'post-cp-file' | 's3';

export const POST_PROCESSES: readonly PostProcess[] = ['none', 'post-cp-file', 's3'];

/** Where finished recordings are uploaded: any S3-compatible storage. */
export interface S3Settings {
  /** e.g. https://s3.us-east-1.amazonaws.com or http://127.0.0.1:9000; empty = AWS by region */
  endpoint: string;
  region: string;
  bucket: string;
  /** key prefix, e.g. "records/"; the object key is <prefix><uuid>.mp4 */
  prefix: string;
  accessKey: string;
  secretKey: string;
  /** path-style URLs (http://host/bucket/key), which MinIO and most S3-compatible servers need */
  pathStyle: boolean;
}

export interface RecordSettings {
  /** recording on */
  all: boolean;
  /** record only streams whose /app/stream matches one of these; empty = every stream */
  globs: string[];
  postProcess: PostProcess;
  /** the directory post-cp-file copies to */
  postCpDir: string;
  s3: S3Settings | null;
}

/** A recording as a job (SRS_RECORD_CONFIG[uuid]): which stream, and what to do with the file. */
export interface RecordJobConfig {
  vhost: string;
  app: string;
  stream: string;
  postProcess: PostProcess;
}

export const DEFAULT_SETTINGS: RecordSettings = { all: false, globs: [], postProcess: 'none', postCpDir: '', s3: null };

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asS3(v: unknown): S3Settings | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (!s('bucket')) return null;
  return {
    endpoint: s('endpoint'),
    region: s('region'),
    bucket: s('bucket'),
    prefix: s('prefix'),
    accessKey: s('accessKey'),
    secretKey: s('secretKey'),
    pathStyle: o.pathStyle === true,
  };
}

/** Reads the settings from the SRS_RECORD_PATTERNS hash (missing or broken fields get their defaults). */
export function parseSettings(h: Record<string, string>): RecordSettings {
  const globsRaw = parseJson(h.globs);
  const globs = Array.isArray(globsRaw) ? globsRaw.filter((g): g is string => typeof g === 'string' && g !== '') : [];
  const postCpDir = h['post-cp-file'] ?? '';
  let postProcess: PostProcess;
  if (POST_PROCESSES.includes(h.postProcess as PostProcess)) postProcess = h.postProcess as PostProcess;
  else postProcess = postCpDir ? 'post-cp-file' : 'none'; // written by SRS Stack, which only knew post-cp-file
  return { all: h.all === 'true', globs, postProcess, postCpDir, s3: asS3(parseJson(h.s3)) };
}

/** The hash fields for the settings. */
export function settingsFields(s: RecordSettings): Record<string, string> {
  return {
    all: String(s.all),
    globs: JSON.stringify(s.globs),
    postProcess: s.postProcess,
    'post-cp-file': s.postCpDir,
    s3: s.s3 ? JSON.stringify(s.s3) : '',
  };
}

export async function loadSettings(store: Store): Promise<RecordSettings> {
  return parseSettings(await store.hgetall(Keys.RECORD_PATTERNS));
}

export async function saveSettings(store: Store, s: RecordSettings): Promise<void> {
  await store.hset(Keys.RECORD_PATTERNS, settingsFields(s));
}

/** The S3 settings as the API shows them: the secret is never sent back, only whether one is set. */
export function maskS3(s: S3Settings | null): S3Settings | null {
  if (!s) return null;
  return { ...s, secretKey: s.secretKey ? SECRET_MASK : '' };
}

/** What query shows instead of a stored secret; sending it back in apply keeps the stored one. */
export const SECRET_MASK = '******';
