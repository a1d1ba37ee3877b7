// Virtual live (SRS Stack's "vlive" scenario) as a job kind: a file looped forever at real-time pace, or a
// stream URL pulled, published to an output URL (server + secret: a target platform, or a stream of ours so it
// is also recorded, forwarded and watched here). MP4 and FLV files are read in-process, other containers by
// FFmpeg -c copy; RTMP URLs in-process, others by FFmpeg. Config in SRS_VLIVE_CONFIG[<platform>], state in
// SRS_VLIVE_TASK; restored after a restart. The operations the API calls (upload, server file, stream URL,
// bind sources, update, list, remove) live here; they throw SourceError for what the user must fix.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import type { Frame } from '../../../core/frame.js';
import type { Hub } from '../../../hub/hub.js';
import { ffprobe } from '../../../servers/ffmpeg/ffprobe.js';
import { FfmpegCopySource } from '../../../servers/ffmpeg/ffmpeg-copy-source.js';
import { openFileLoop, type FileLoopMode } from '../../../servers/file-loop/index.js';
import type { FrameSource } from '../../../servers/frame-source.js';
import type { MediaHooks } from '../../../servers/ports.js';
import { StreamOutput, type LocalPorts } from '../../../servers/stream-output.js';
import { redactUrl, urlSource } from '../../../servers/url-source.js';
import { errorMessage } from '../../errors.js';
import { Keys } from '../../redis/keys.js';
import type { Store } from '../../redis/store.js';
import { JobFailedError, JobRefusedError, type JobKind, type JobRun } from '../job-kind.js';
import type { JobManager } from '../job-manager.js';
import { rfc3339, type JobStatus } from '../job-task.js';
import { outputUrl, parseVliveConfig, platformError, probeFields, sourceError, type FFprobeSource, type VliveConfig } from './config.js';
import { SourceError, extensionError, serverFile, streamUrlError, targetPath, uploadTargetError } from './files.js';

export { SourceError } from './files.js';

/** SRS Stack's default bitrate limit of a virtual-live source, kbps (SRS_SYS_LIMITS.vlive). */
const DEFAULT_LIMIT_KBPS = 5000;
/** A source that sends nothing this long is restarted, ms (SRS Stack: 10 s without FFmpeg progress). */
const STALL_MS = 10000;
/** An upload not bound to a task within this long is deleted (SRS Stack: 2 h). */
const UPLOAD_TTL_MS = 2 * 3600 * 1000;

export interface VirtualLiveDeps {
  config: Config;
  hub: Hub;
  hooks: MediaHooks;
  store: Store;
  jobs: JobManager;
  logger: Logger;
  /** our RTMP and SRT ports now (an output to one of them is a stream of ours) */
  ports(): LocalPorts;
}

/** How the current attempt of a task reads its source, for the API and the console. */
interface Live {
  mode: FileLoopMode | 'rtmp';
  start: string;
  ready: string;
  frameAt: number;
  frames: number;
  /** FFmpeg's pid when FFmpeg reads the source */
  pid: number;
}

/** One entry of vlive/streams: SRS Stack's fields, then ours (the task's state). */
export interface VliveStream extends Omit<VliveConfig, 'server' | 'secret'> {
  source?: string;
  start?: string;
  ready?: string;
  frame?: { log: string; update: string };
  /** ours: how the source is read (mp4, flv: in-process; ffmpeg; rtmp: in-process pull) */
  mode?: string;
  /** ours: the output URL, the secret part hidden */
  output: string;
  /** ours: the task's state (starting, running, retrying with the reason, stopped, failed) */
  task: JobStatus | null;
}

/** An upload done: what the console sends back in vlive/source. */
export interface UploadResult extends FFprobeSource {
  /** SRS Stack answers {uuid, target}; the rest is ours */
  uuid: string;
  target: string;
}

export class UploadTooLargeError extends SourceError {
  constructor(limit: number) {
    super(`the upload is larger than ${Math.round(limit / 1024 / 1024)} MB, the limit (VLIVE_UPLOAD_MAX_MB); upload a smaller file, or raise the limit`);
    this.name = 'UploadTooLargeError';
  }
}

export class VirtualLive {
  readonly kind: JobKind<VliveConfig>;
  readonly uploadDir: string;
  readonly vliveDir: string;
  private readonly live = new Map<string, Live>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly log: Logger;

  private constructor(private readonly deps: VirtualLiveDeps) {
    this.uploadDir = join(deps.config.dataDir, 'upload');
    this.vliveDir = join(deps.config.dataDir, 'vlive');
    this.log = deps.logger.child({ module: 'vlive' });
    this.kind = {
      name: 'vlive',
      limit: deps.config.vliveLimit,
      decode: parseVliveConfig,
      runs: (c) => c.enabled && c.files.length > 0 && c.server !== '',
      describe: (c) => ({ platform: c.platform, input: c.files[0]?.target ?? '', output: redactOutput(outputUrl(c)), pid: 0 }),
      run: (job) => this.run(job),
      backoff: { initialMs: 1000, maxMs: 30000 },
    };
  }

  static async start(deps: VirtualLiveDeps): Promise<VirtualLive> {
    const v = new VirtualLive(deps);
    await mkdir(v.uploadDir, { recursive: true });
    await mkdir(v.vliveDir, { recursive: true });
    await v.sweepUploads();
    return v;
  }

  private registered: Promise<unknown> | null = null;

  /**
   * Registers the kind, which restores the stored tasks: called once the servers listen, so that an output
   * to our own RTMP port is known as a stream of ours from the first attempt.
   */
  register(): Promise<unknown> {
    this.registered ??= this.deps.jobs.register(this.kind).catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'vlive: cannot restore the tasks'));
    return this.registered;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  // ---- the job ----

  private async run(job: JobRun<VliveConfig>): Promise<void> {
    const c = job.config;
    const file = c.files[0];
    if (!file) throw new JobFailedError('no source: bind a file or a stream URL first (vlive/source)');
    const url = outputUrl(c);
    let source: FrameSource;
    let mode: Live['mode'];
    if (file.type === 'stream') {
      source = urlSource(file.target);
      mode = /^rtmps?:\/\//i.test(file.target) ? 'rtmp' : 'ffmpeg';
    } else {
      const path = targetPath(this.deps.config.dataDir, file.target);
      try {
        await stat(path);
      } catch {
        throw new JobFailedError(`the file ${file.name || file.target} is gone (${path}); bind another source`);
      }
      const loop = await openFileLoop(path);
      source = loop.source;
      mode = loop.mode;
      if (loop.why) job.log(`FFmpeg reads ${file.name || basename(path)} (${loop.why})`);
    }
    let output: StreamOutput;
    try {
      output = new StreamOutput(url, file.type === 'stream' ? 'pull-publish' : 'file-publish', source.label, {
        hub: this.deps.hub,
        hooks: this.deps.hooks,
        logger: job.logger,
        ports: () => this.deps.ports(),
        streamOptions: { ...this.deps.hub.opts, gopCache: true },
      });
    } catch (e) {
      await source.stop();
      throw new JobFailedError(errorMessage(e));
    }
    const live: Live = { mode, start: rfc3339(), ready: '', frameAt: 0, frames: 0, pid: 0 };
    this.live.set(job.uuid, live);
    job.log(`${mode === 'ffmpeg' ? 'FFmpeg reads' : mode === 'rtmp' ? 'pulling' : `looping (in-process ${mode})`} ${file.type === 'stream' ? source.label : file.name || source.label} -> ${redactOutput(url)}`);
    let done: (reason: string) => void = () => undefined;
    const ended = new Promise<string>((r) => (done = r));
    const offs = [source.ended.on((r) => done(r)), output.ended.on((r) => done(`the output ended: ${r}`))];
    const onAbort = () => done('');
    job.signal.addEventListener('abort', onAbort);
    let watchdog: NodeJS.Timeout | undefined;
    try {
      await output.open();
      await source.start((f: Frame) => {
        output.push(f);
        job.count(1, f.data.length);
        live.frames++;
        live.frameAt = Date.now();
        if (!live.ready) {
          live.ready = rfc3339();
          job.running();
        }
      });
      if (source instanceof FfmpegCopySource) live.pid = source.pid ?? 0;
      // SRS Stack's watchdog: a source that stops sending (a stalled server, a hung FFmpeg) is restarted
      const began = Date.now();
      watchdog = setInterval(() => {
        const idle = Date.now() - (live.frameAt || began);
        if (idle > STALL_MS) done(`no media from ${source.label} for ${Math.round(idle / 1000)} s`);
      }, 1000);
      const reason = await ended;
      if (job.signal.aborted) return;
      throw new Error(reason);
    } finally {
      clearInterval(watchdog);
      job.signal.removeEventListener('abort', onAbort);
      for (const off of offs) off();
      this.live.delete(job.uuid);
      await source.stop().catch(() => undefined);
      await output.close().catch(() => undefined);
    }
  }

  // ---- sources ----

  private async limitKbps(): Promise<number> {
    const h = await this.deps.store.hgetall(Keys.SYS_LIMITS);
    const n = Number(h.vlive);
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_LIMIT_KBPS;
  }

  /** ffprobe a source and check it can be looped; throws SourceError with the reason. */
  private async probe(src: FFprobeSource, limitKbps: number): Promise<FFprobeSource> {
    const target = src.type === 'stream' ? src.target : targetPath(this.deps.config.dataDir, src.target);
    let p;
    try {
      p = await ffprobe(target, { timeoutMs: 15000, inputArgs: src.type === 'stream' && /^https?:/i.test(target) ? ['-rw_timeout', '10000000'] : [] });
    } catch (e) {
      throw new SourceError(`${src.name || redactUrl(src.target)}: ${errorMessage(e).replace(target, src.name || redactUrl(src.target))}`);
    }
    const fields = probeFields(p);
    const why = sourceError(src.name || redactUrl(src.target), fields, limitKbps);
    if (why) throw new SourceError(why);
    return { ...src, ...fields };
  }

  /**
   * A multipart upload (streamed to DATA_DIR/upload, never held in memory): `file` is the part's stream.
   * The caller stops the request at `limit`; here the file is written, probed and kept 2 h unless bound.
   */
  async upload(name: string, file: Readable, truncated: () => boolean): Promise<UploadResult> {
    const ext = extensionError(name);
    if (ext) {
      file.resume();
      throw new SourceError(ext);
    }
    const uuid = randomUUID();
    const rel = `upload/${uuid}${extname(name).toLowerCase()}`;
    const path = join(this.deps.config.dataDir, rel);
    try {
      await pipeline(file, createWriteStream(path, { flags: 'wx' }));
      if (truncated()) throw new UploadTooLargeError(this.deps.config.vliveUploadMaxBytes);
      const size = (await stat(path)).size;
      if (size === 0) throw new SourceError(`the upload of ${name} is empty`);
      const probed = await this.probe({ name, path: name, size, uuid, target: rel, type: 'upload' }, Number.MAX_SAFE_INTEGER);
      this.expire(uuid, path);
      this.log.info({ name, size, target: rel }, 'vlive upload done');
      return probed as UploadResult;
    } catch (e) {
      await unlink(path).catch(() => undefined);
      throw e;
    }
  }

  /** Deletes an unbound upload after 2 h. */
  private expire(uuid: string, path: string): void {
    const t = setTimeout(() => {
      this.timers.delete(uuid);
      void unlink(path).catch(() => undefined);
    }, UPLOAD_TTL_MS);
    t.unref();
    this.timers.set(uuid, t);
  }

  /** Uploads left from before a restart, older than 2 h: deleted. */
  private async sweepUploads(): Promise<void> {
    for (const n of await readdir(this.uploadDir).catch(() => [] as string[])) {
      const p = join(this.uploadDir, n);
      const st = await stat(p).catch(() => null);
      if (!st) continue;
      const left = UPLOAD_TTL_MS - (Date.now() - st.mtimeMs);
      if (left <= 0) await unlink(p).catch(() => undefined);
      else {
        const t = setTimeout(() => void unlink(p).catch(() => undefined), left);
        t.unref();
        this.timers.set(n, t);
      }
    }
  }

  /** vlive/server: a file on the server (under DATA_DIR or VLIVE_FILE_DIRS), read where it is. */
  async serverFile(raw: string): Promise<FFprobeSource> {
    const f = await serverFile(raw, this.deps.config.dataDir, this.deps.config.vliveFileDirs);
    return { name: basename(f.path), path: raw, size: f.size, uuid: randomUUID(), target: f.path, type: 'file' };
  }

  /** vlive/stream-url. */
  streamUrl(url: string): FFprobeSource {
    const why = streamUrlError(url);
    if (why) throw new SourceError(why);
    const u = new URL(url);
    return { name: basename(u.pathname) || u.host, path: url, size: 0, uuid: randomUUID(), target: url, type: 'stream' };
  }

  /** vlive/source: checks and probes the sources, moves uploads to DATA_DIR/vlive, binds them to the platform. */
  async bind(platform: string, files: FFprobeSource[]): Promise<{ platform: string; files: FFprobeSource[] }> {
    const pe = platformError(platform);
    if (pe) throw new SourceError(pe);
    if (files.length === 0) throw new SourceError('no files: give at least one source, as the upload, server or stream-url call answered it');
    const limit = await this.limitKbps();
    const out: FFprobeSource[] = [];
    for (const f of files) {
      if (!f.target) throw new SourceError('no target: give each file the "target" the upload, server or stream-url call answered');
      if (f.type === 'upload') {
        const why = uploadTargetError(this.deps.config.dataDir, f.target);
        if (why) throw new SourceError(why);
      } else if (f.type === 'file') {
        f.target = (await serverFile(f.target, this.deps.config.dataDir, this.deps.config.vliveFileDirs)).path;
      } else if (f.type === 'stream') {
        const why = streamUrlError(f.target);
        if (why) throw new SourceError(why);
      } else throw new SourceError(`invalid target ${f.target} type ${f.type}: use upload, file or stream (ytdl is not built here)`);
      out.push(await this.probe(f, limit));
    }
    for (const f of out) {
      if (f.type !== 'upload') continue;
      const from = targetPath(this.deps.config.dataDir, f.target);
      const rel = `vlive/${basename(from)}`;
      await rename(from, join(this.deps.config.dataDir, rel));
      const t = this.timers.get(f.uuid);
      if (t) clearTimeout(t);
      this.timers.delete(f.uuid);
      f.target = rel;
    }
    const task = this.task(platform);
    const old = task?.config ?? { platform, server: '', secret: '', enabled: false, custom: false, label: '', files: [] };
    await this.save({ ...old, files: out });
    await this.dropFiles(old.files, out);
    return { platform, files: out };
  }

  // ---- configs ----

  private task(platform: string) {
    return this.deps.jobs.list(this.kind).find((t) => t.id === platform);
  }

  /** Stores a config (new or changed) and starts, restarts or stops its task. */
  async save(c: VliveConfig): Promise<void> {
    await this.register();
    const t = this.task(c.platform);
    if (!t) {
      await this.deps.jobs.start(this.kind, c, { id: c.platform });
      return;
    }
    const runs = this.kind.runs?.(c) ?? true;
    const others = this.deps.jobs.list(this.kind).filter((x) => x !== t && x.active).length;
    if (runs && !t.active && others >= this.deps.config.vliveLimit) {
      throw new JobRefusedError(`at most ${this.deps.config.vliveLimit} virtual live tasks can run at once (SRS_VLIVE_LIMIT); disable one first`);
    }
    await this.deps.jobs.update(this.kind, t.uuid, c);
  }

  /** vlive/secret with action update: every field replaced (SRS Stack), files as vlive/source answered them. */
  async update(c: VliveConfig): Promise<void> {
    const pe = platformError(c.platform);
    if (pe) throw new SourceError(pe);
    if (!c.server) throw new SourceError('no server: give the output "server", e.g. rtmp://localhost/live (a stream of ours) or the platform\'s RTMP URL');
    if (c.files.length === 0) throw new SourceError('no files: bind a source first (vlive/source) and send its files');
    const url = outputUrl(c);
    if (!/^rtmps?:\/\//i.test(url) && !/^srt:\/\//i.test(url)) throw new SourceError(`invalid output ${JSON.stringify(redactOutput(url))}: give an rtmp:// or rtmps:// server`);
    const old = this.task(c.platform)?.config;
    await this.save(c);
    if (old) await this.dropFiles(old.files, c.files);
  }

  /** Deletes the files of DATA_DIR/vlive a config no longer uses. */
  private async dropFiles(before: FFprobeSource[], after: FFprobeSource[]): Promise<void> {
    const kept = new Set(after.map((f) => f.target));
    for (const f of before) {
      if (f.type === 'upload' && f.target.startsWith('vlive/') && !kept.has(f.target)) {
        await unlink(targetPath(this.deps.config.dataDir, f.target)).catch(() => undefined);
      }
    }
  }

  /** vlive/secret without an action: every config by platform. */
  configs(): Record<string, VliveConfig> {
    const out: Record<string, VliveConfig> = {};
    for (const t of this.deps.jobs.list(this.kind)) out[t.id] = t.config;
    return out;
  }

  /** vlive/streams: sorted by platform. */
  streams(): VliveStream[] {
    return this.deps.jobs
      .list(this.kind)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((t) => {
        const c = t.config;
        const l = this.live.get(t.uuid);
        const status = t.status();
        const s: VliveStream = {
          platform: c.platform,
          enabled: c.enabled,
          custom: c.custom,
          label: c.label,
          files: c.files,
          output: redactOutput(outputUrl(c)),
          task: status,
        };
        if (l) {
          s.source = c.files[0]?.uuid ?? '';
          s.start = l.start;
          s.ready = l.ready;
          s.mode = l.mode;
          const line = `frames=${status.frames} kbps=${status.kbps} uptime=${status.uptime}s`;
          s.frame = { log: line, update: l.frameAt ? rfc3339(l.frameAt) : '' };
        }
        return s;
      });
  }

  /** Ours: removes a platform's task, its config and its uploaded files. */
  async remove(platform: string): Promise<boolean> {
    const t = this.task(platform);
    if (!t) return false;
    const files = t.config.files;
    await this.deps.jobs.remove(this.kind, t.uuid);
    await this.dropFiles(files, []);
    return true;
  }
}

/** The output URL for the API: the stream key's query (?secret=...) is hidden. */
export function redactOutput(url: string): string {
  return redactUrl(url).replace(/([?&](secret|key|token|passphrase)=)[^&]*/gi, '$1***');
}
