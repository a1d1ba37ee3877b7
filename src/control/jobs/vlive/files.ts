// Where virtual live's files may come from and go: uploads land in DATA_DIR/upload, bound sources move to
// DATA_DIR/vlive, and a file on the server is only read under DATA_DIR or a configured directory (VLIVE_FILE_DIRS):
// a path with "..", or one whose real path (symlinks followed) leaves those directories, is refused.
import { realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** SRS Stack's list of file types virtual live takes. */
export const FILE_EXTENSIONS = ['.mp4', '.flv', '.ts', '.mkv', '.mov', '.mp3', '.aac', '.m4a'];

/** A source the user gave cannot be used: the message says why and what to do (the API answers 400). */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

export function extensionError(name: string): string | null {
  const ext = extname(name).toLowerCase();
  if (FILE_EXTENSIONS.includes(ext)) return null;
  return `${JSON.stringify(basename(name))} is not a file virtual live takes: the name must end in ${FILE_EXTENSIONS.join(' ')}`;
}

function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/** The real paths of the directories files may be read from. */
async function roots(dataDir: string, extra: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of [dataDir, ...extra]) {
    try {
      out.push(await realpath(d));
    } catch {
      /* a configured directory that does not exist: nothing is under it */
    }
  }
  return out;
}

/**
 * A file on the server: absolute, or relative to DATA_DIR. Returns its real path and size, or throws
 * SourceError (a "..", outside the allowed directories, through a symlink that leaves them, not a file).
 */
export async function serverFile(raw: string, dataDir: string, extra: readonly string[]): Promise<{ path: string; size: number }> {
  const allowed = [dataDir, ...extra].join(', ');
  if (!raw.trim()) throw new SourceError('no file: give "file", an absolute path under DATA_DIR or VLIVE_FILE_DIRS');
  if (raw.includes('\0')) throw new SourceError('the file path has a NUL byte');
  if (raw.split(/[\\/]/).includes('..')) throw new SourceError(`refused ${JSON.stringify(raw)}: ".." is not allowed in a file path; give the absolute path of a file under ${allowed}`);
  const ext = extensionError(raw);
  if (ext) throw new SourceError(ext);
  const given = isAbsolute(raw) ? resolve(raw) : resolve(dataDir, raw);
  const dirs = await roots(dataDir, extra);
  if (!dirs.some((d) => inside(d, given)) && ![dataDir, ...extra].some((d) => inside(resolve(d), given))) {
    throw new SourceError(`refused ${JSON.stringify(raw)}: files are only read under ${allowed} (set VLIVE_FILE_DIRS to add a directory)`);
  }
  let real: string;
  try {
    real = await realpath(given);
  } catch {
    throw new SourceError(`no file ${JSON.stringify(raw)} on the server: check the path`);
  }
  if (!dirs.some((d) => inside(d, real))) {
    throw new SourceError(`refused ${JSON.stringify(raw)}: it is a symlink to ${real}, outside ${allowed}`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw new SourceError(`${JSON.stringify(raw)} is not a regular file`);
  return { path: real, size: st.size };
}

/** A target as stored (upload/x.mp4, vlive/x.mp4 relative to DATA_DIR, or absolute) -> the path to read. */
export function targetPath(dataDir: string, target: string): string {
  return isAbsolute(target) ? target : join(dataDir, target);
}

/** The target of an upload must be a file directly in DATA_DIR/upload (what the upload call answered). */
export function uploadTargetError(dataDir: string, target: string): string | null {
  const p = resolve(targetPath(dataDir, target));
  const dir = resolve(dataDir, 'upload');
  if (target.split(/[\\/]/).includes('..') || relative(dir, p).includes(sep) || relative(dir, p).startsWith('..') || relative(dir, p) === '') {
    return `invalid target ${JSON.stringify(target)}: an upload's target is the "target" the upload call answered (upload/<uuid>.<ext>)`;
  }
  return null;
}

const SCHEMES = new Set(['rtmp:', 'rtmps:', 'srt:', 'rtsp:', 'http:', 'https:']);

/** A stream URL virtual live can pull: rtmp(s), srt, rtsp, or http(s) ending in .flv, .m3u8 or .ts. */
export function streamUrlError(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `invalid url ${JSON.stringify(url)}: give a stream URL such as rtmp://host/live/stream or https://host/live/stream.m3u8`;
  }
  if (!SCHEMES.has(u.protocol)) return `invalid url scheme ${u.protocol.replace(':', '')}: use rtmp, rtmps, srt, rtsp, http or https`;
  if ((u.protocol === 'http:' || u.protocol === 'https:') && !/\.(flv|m3u8|ts)$/i.test(u.pathname)) {
    return `invalid url ${JSON.stringify(url)}: an HTTP stream must be HTTP-FLV (.flv), HLS (.m3u8) or HTTP-TS (.ts)`;
  }
  return null;
}
