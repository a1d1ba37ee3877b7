// A recording as it is stored and shown: the on-disk layout of DATA_DIR/record/<uuid>/, the metadata kept in
// task.json beside the media (so a restart can finish a recording even if Redis lost its data) and copied into
// SRS Stack's SRS_RECORD_M3U8_ARTIFACT hash, and the entries of the files API.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PostProcess } from './settings.js';

/**
 * - recording: a publisher is being recorded
 * - waiting: the publisher left; a republish within the window continues the file
 * - finalizing: the fragments are being turned into index.mp4
 * - done: index.mp4 is ready (post-processing has its own state)
 * - failed: nothing usable was recorded; `error` says why
 */
export type RecordState = 'recording' | 'waiting' | 'finalizing' | 'done' | 'failed';

/** pending: not started yet; retrying: the last attempt failed (reason) and another is scheduled. */
export type PostState = 'none' | 'pending' | 'running' | 'retrying' | 'done' | 'failed';

export interface PostStatus {
  kind: PostProcess;
  state: PostState;
  attempts: number;
  /** where the file goes: a file path or s3://bucket/key */
  target: string;
  /** why the last attempt failed ('' when it did not) */
  reason: string;
  /** RFC 3339 time of the last change */
  update: string;
}

/** artifact_code values of on_record_end (0 = fine). */
export enum ArtifactCode {
  Ok = 0,
  /** the recording could not be written (directory, disk full, disk too slow) */
  WriteError = 1,
  /** nothing was recorded (no media, or no keyframe) */
  Empty = 2,
  /** the fragments could not be turned into index.mp4 */
  ConvertError = 3,
}

export interface RecordArtifact {
  uuid: string;
  vhost: string;
  app: string;
  stream: string;
  state: RecordState;
  /** RFC 3339 */
  created: string;
  /** RFC 3339 time of the last change */
  update: string;
  /** publish sessions merged into this recording */
  nn: number;
  /** media duration, seconds */
  duration: number;
  /** bytes: the fragments while recording, index.mp4 when done */
  size: number;
  /** artifact_code: 0, or what went wrong */
  code: ArtifactCode;
  /** what went wrong ('' when nothing did) */
  error: string;
  post: PostStatus;
}

/** An entry of POST /terraform/v1/hooks/record/files: SRS Stack's fields first, then ours. */
export interface RecordFile {
  uuid: string;
  vhost: string;
  app: string;
  stream: string;
  /** SRS Stack's flag: still recording or being finalized */
  progress: boolean;
  update: string;
  nn: number;
  duration: number;
  size: number;
  /** where index.mp4 is served (with Range), once done */
  url: string;
  state: RecordState;
  code: number;
  error: string;
  post: PostStatus;
}

export function rfc3339(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID: the only names used under the record directory (no path tricks possible). */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function newArtifact(url: { vhost: string; app: string; stream: string }, post: PostProcess): RecordArtifact {
  const now = rfc3339();
  return {
    uuid: randomUUID(),
    vhost: url.vhost,
    app: url.app,
    stream: url.stream,
    state: 'recording',
    created: now,
    update: now,
    nn: 0,
    duration: 0,
    size: 0,
    code: ArtifactCode.Ok,
    error: '',
    post: { kind: post, state: post === 'none' ? 'none' : 'pending', attempts: 0, target: '', reason: '', update: now },
  };
}

/** The files of one recording. */
export interface RecordPaths {
  dir: string;
  /** the fragmented MP4 written while recording */
  fragments: string;
  /** the progressive MP4 with moov in front, when done */
  mp4: string;
  /** the metadata */
  meta: string;
  /** the fragments' boxes without their media, kept when done so the HLS view can rebuild them from index.mp4 */
  skeleton: string;
}

export function recordPaths(recordDir: string, uuid: string): RecordPaths {
  if (!isUuid(uuid)) throw new Error(`not a recording id: ${JSON.stringify(uuid)}`);
  const dir = join(recordDir, uuid);
  return { dir, fragments: join(dir, 'fragments.mp4'), mp4: join(dir, 'index.mp4'), meta: join(dir, 'task.json'), skeleton: join(dir, 'fragments.skel') };
}

/** The SRS Stack URL path of a recording's MP4. */
export function mp4UrlPath(uuid: string): string {
  return `/terraform/v1/hooks/record/hls/${uuid}/index.mp4`;
}

/** The SRS Stack URL path of a recording's HLS playlist (fMP4 byte ranges; plays while it records). */
export function hlsUrlPath(uuid: string): string {
  return `/terraform/v1/hooks/record/hls/${uuid}/index.m3u8`;
}

/** Writes task.json atomically (a temporary file renamed over it). */
export async function writeMeta(paths: RecordPaths, json: string): Promise<void> {
  const tmp = `${paths.meta}.tmp`;
  await writeFile(tmp, json);
  await rename(tmp, paths.meta);
}

export async function readMeta(paths: RecordPaths): Promise<RecordArtifact | null> {
  let text: string;
  try {
    text = await readFile(paths.meta, 'utf8');
  } catch {
    return null;
  }
  return parseArtifact(text);
}

const STATES: readonly RecordState[] = ['recording', 'waiting', 'finalizing', 'done', 'failed'];
const POST_STATES: readonly PostState[] = ['none', 'pending', 'running', 'retrying', 'done', 'failed'];

/**
 * Reads a stored recording: ours, or one written by SRS Stack (an HLS artifact with a list of .ts files,
 * shown with their summed duration and size).
 */
export function parseArtifact(text: string): RecordArtifact | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const uuid = str(o.uuid);
  if (!isUuid(uuid)) return null;
  let duration = num(o.duration);
  let size = num(o.size);
  let nn = num(o.nn);
  if (Array.isArray(o.files)) {
    // SRS Stack's M3u8VoDArtifact
    duration = 0;
    size = 0;
    for (const f of o.files as unknown[]) {
      if (f && typeof f === 'object') {
        duration += num((f as Record<string, unknown>).duration);
        size += num((f as Record<string, unknown>).size);
      }
    }
    nn = o.files.length;
  }
  const state = STATES.includes(o.state as RecordState) ? (o.state as RecordState) : o.processing === true ? 'finalizing' : 'done';
  const p = o.post && typeof o.post === 'object' ? (o.post as Record<string, unknown>) : {};
  const kind = p.kind === 'post-cp-file' || p.kind === 's3' ? p.kind : 'none';
  const update = str(o.update) || rfc3339();
  return {
    uuid,
    vhost: str(o.vhost),
    app: str(o.app),
    stream: str(o.stream),
    state,
    created: str(o.created) || update,
    update,
    nn,
    duration,
    size,
    code: num(o.code),
    error: str(o.error),
    post: {
      kind,
      state: POST_STATES.includes(p.state as PostState) ? (p.state as PostState) : 'none',
      attempts: num(p.attempts),
      target: str(p.target),
      reason: str(p.reason),
      update: str(p.update) || update,
    },
  };
}

export function toFile(a: RecordArtifact, base: string): RecordFile {
  return {
    uuid: a.uuid,
    vhost: a.vhost,
    app: a.app,
    stream: a.stream,
    progress: a.state === 'recording' || a.state === 'waiting' || a.state === 'finalizing',
    update: a.update,
    nn: a.nn,
    duration: Math.round(a.duration * 1000) / 1000,
    size: a.size,
    url: a.state === 'done' ? `${base}${mp4UrlPath(a.uuid)}` : '',
    state: a.state,
    code: a.code,
    error: a.error,
    post: { ...a.post },
  };
}
