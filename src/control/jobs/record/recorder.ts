// The recorder (SRS Stack's "record" scenario, in-process) and the "record" job kind: follows the hub's publishes,
// starts a RecordTask for each stream the settings select (all on, and /app/stream matching a glob) as a task of
// the job manager (SRS_RECORD_CONFIG / SRS_RECORD_TASK: supervised, restored after a restart by finishing the
// file from its fragments), hands a republish within the window to the same task, sends on_record_begin and
// on_record_end, runs the post-processing, and does the record API's operations. It throws no HTTP errors: the
// API validates the requests and turns a null or a RecordSettingsError into its answer.
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import { MediaError } from '../../../core/errors.js';
import { fragmentedToProgressive, type ProgressiveResult } from '../../../codecs/mp4/progressive.js';
import type { Hub } from '../../../hub/hub.js';
import type { Stream } from '../../../hub/stream.js';
import { errorMessage } from '../../errors.js';
import type { Callbacks } from '../../hooks/callbacks.js';
import { JobFailedError, type JobKind, type JobRun } from '../job-kind.js';
import type { JobManager } from '../job-manager.js';
import { Keys } from '../../redis/keys.js';
import type { Store } from '../../redis/store.js';
import {
  ArtifactCode,
  isUuid,
  mp4UrlPath,
  parseArtifact,
  readMeta,
  recordPaths,
  rfc3339,
  toFile,
  writeMeta,
  type RecordArtifact,
  type RecordFile,
  type RecordPaths,
  type RecordState,
} from './artifact.js';
import { GlobFilter, globError } from '../../globs.js';
import { RecordHls, writeSkeleton } from './hls-view.js';
import { checkS3, type S3CheckResult } from './s3-check.js';
import { PostProcessor } from './post-process.js';
import {
  DEFAULT_SETTINGS,
  SECRET_MASK,
  loadSettings,
  maskS3,
  saveSettings,
  type RecordJobConfig,
  type PostProcess,
  type RecordSettings,
  type S3Settings,
} from './settings.js';
import { RecordTask, type TaskDeps } from './task.js';

export interface RecorderOptions {
  /** fdatasync interval of a recording file, ms (default 5000) */
  syncIntervalMs?: number;
  /** longest delay between post-processing attempts, ms (default 300000) */
  maxBackoffMs?: number;
  /** fragments -> index.mp4 conversions at once (default 2) */
  convertConcurrency?: number;
}

export interface RecorderDeps {
  config: Config;
  hub: Hub;
  store: Store;
  callbacks: Callbacks;
  jobs: JobManager;
  logger: Logger;
  options?: RecorderOptions;
}

/** A settings change the current settings do not allow (the API answers 400 with the message). */
export class RecordSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordSettingsError';
  }
}

/** What query answers: SRS Stack's fields (all, home, globs, processCpDir) and ours (postProcess, postCpDir, s3). */
export interface RecordQuery {
  all: boolean;
  home: string;
  globs: string[];
  /** SRS Stack's name of the copy directory */
  processCpDir: string;
  postProcess: PostProcess;
  postCpDir: string;
  /** the S3 settings, with the secret masked */
  s3: S3Settings | null;
}

export interface PostProcessingUpdate {
  postProcess: PostProcess;
  /** absolute (the API resolves relative paths against DATA_DIR); created when missing */
  postCpDir?: string;
  s3?: S3Settings;
}

/** Runs tasks one at a time up to a limit. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export class Recorder {
  readonly recordDir: string;
  /** the job kind of recordings: one task per recording, removed from Redis when it is finished */
  readonly kind: JobKind<RecordJobConfig>;
  /** the HLS view of each recording, in progress or finished */
  readonly hls: RecordHls;
  private settings: RecordSettings;
  private filter: GlobFilter;
  /** stream key -> the task that records it or waits for its republish */
  private readonly live = new Map<string, RecordTask>();
  /** uuid -> every task not finished yet (live or finalizing) */
  private readonly tasks = new Map<string, RecordTask>();
  private readonly byStream = new Map<Stream, RecordTask>();
  /** uuid -> the last metadata write, so writes land in order */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly removed = new Set<string>();
  private readonly off: (() => void)[] = [];
  private readonly post: PostProcessor;
  private readonly limiter: Limiter;
  private readonly taskDeps: TaskDeps;
  private readonly log: Logger;
  private closed = false;

  private constructor(
    private readonly deps: RecorderDeps,
    settings: RecordSettings,
  ) {
    const opts = deps.options ?? {};
    this.recordDir = join(deps.config.dataDir, 'record');
    this.settings = settings;
    this.filter = new GlobFilter(settings.globs.filter((g) => globError(g) === null));
    this.log = deps.logger.child({ module: 'record' });
    this.limiter = new Limiter(opts.convertConcurrency ?? 2);
    this.post = new PostProcessor({
      logger: this.log,
      retries: deps.config.recordUploadRetries,
      backoffMs: deps.config.recordUploadBackoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? 300000,
      changed: (a) => this.persist(a),
    });
    this.taskDeps = {
      recordDir: this.recordDir,
      logger: this.log,
      windowMs: deps.config.recordRepublishWindowMs,
      queueBytes: deps.config.recordQueueBytes,
      syncIntervalMs: opts.syncIntervalMs ?? 5000,
      changed: (t) => this.persist(t.snapshot()),
      ended: (t) => this.onTaskEnded(t),
      finished: (t) => this.onTaskFinished(t),
      convert: (p) => this.convert(p),
    };
    this.hls = new RecordHls(this.recordDir, (uuid) => this.stateOf(uuid));
    this.kind = {
      name: 'record',
      once: true,
      decode: (text) => parseJobConfig(text),
      describe: (c) => ({ vhost: c.vhost, app: c.app, stream: c.stream }),
      run: (job) => this.runJob(job),
      recover: (known) => this.recover(known),
    };
  }

  /**
   * Loads the settings, registers the record kind (the job manager restores the recordings an earlier run left
   * unfinished: they are finished from their fragments in the background), and follows the hub.
   */
  static async start(deps: RecorderDeps): Promise<Recorder> {
    const r = new Recorder(deps, await loadSettings(deps.store));
    await deps.jobs.register(r.kind);
    r.off.push(deps.hub.published.on((s) => r.onPublished(s)));
    r.off.push(deps.hub.unpublished.on((s) => r.onUnpublished(s)));
    r.off.push(deps.store.onReconnect(() => r.track(r.restore())));
    if (r.settings.all) r.log.info({ globs: r.settings.globs, postProcess: r.settings.postProcess }, 'recording is on');
    return r;
  }

  private track<T>(p: Promise<T>): void {
    this.deps.jobs.track(p, 'record: background work');
  }

  /**
   * One recording as a job: a live one runs until its RecordTask is finished (the recorder feeds it the
   * publishes); one restored after a restart is finished from what is on disk. Shutdown suspends it, and the
   * next start finishes it.
   */
  private async runJob(job: JobRun<RecordJobConfig>): Promise<void> {
    const task = this.tasks.get(job.uuid);
    if (!task) {
      const paths = recordPaths(this.recordDir, job.uuid);
      const a = await readMeta(paths);
      if (!a || !(a.state === 'recording' || a.state === 'waiting' || a.state === 'finalizing')) return;
      job.running();
      job.log('finishing a recording interrupted by a restart');
      await this.finishOnDisk(a, paths);
      this.afterFinish(a, paths);
      if ((a.state as string) === 'failed') throw new JobFailedError(a.error);
      return;
    }
    job.running();
    let counted = { writes: 0, written: 0 };
    const count = () => {
      const st = task.stats;
      job.count(st.fragments - counted.writes, st.written - counted.written);
      counted = { writes: st.fragments, written: st.written };
    };
    const iv = setInterval(count, 1000);
    try {
      const aborted = new Promise<'aborted'>((r) => {
        if (job.signal.aborted) r('aborted');
        job.signal.addEventListener('abort', () => r('aborted'), { once: true });
      });
      if ((await Promise.race([task.finished, aborted])) === 'aborted') {
        await task.suspend();
        return;
      }
    } finally {
      clearInterval(iv);
      count();
    }
    if (task.artifact.state === 'failed') throw new JobFailedError(task.artifact.error);
  }

  // ---- the hub ----

  private onPublished(s: Stream): void {
    if (this.closed || !this.settings.all) return;
    if (!this.filter.matches(s.path)) {
      this.log.debug({ stream: s.key, globs: this.settings.globs }, 'not recorded: no glob matches');
      return;
    }
    if (this.byStream.get(s)?.live) return;
    let task = this.live.get(s.key);
    if (!task) {
      task = new RecordTask(this.taskDeps, s.url, this.settings.postProcess);
      this.live.set(s.key, task);
      this.tasks.set(task.uuid, task);
      const uuid = task.uuid;
      const config: RecordJobConfig = { vhost: s.url.vhost, app: s.url.app, stream: s.url.stream, postProcess: this.settings.postProcess };
      this.track(this.deps.jobs.start(this.kind, config, { uuid }));
      this.track(
        this.deps.callbacks.send('on_record_begin', { ...s.url, param: '' }, { uuid }).then((r) => {
          if (!r.ok) this.log.warn({ uuid, reason: r.reason }, 'on_record_begin callback failed (ignored)');
        }),
      );
    }
    this.byStream.set(s, task);
    task.attach(s);
  }

  private onUnpublished(s: Stream): void {
    const task = this.byStream.get(s);
    if (!task) return;
    this.byStream.delete(s);
    task.detach();
  }

  private onTaskEnded(t: RecordTask): void {
    if (this.live.get(t.key) === t) this.live.delete(t.key);
    for (const [s, task] of this.byStream) if (task === t) this.byStream.delete(s);
  }

  private onTaskFinished(t: RecordTask): void {
    this.tasks.delete(t.uuid);
    if (this.closed || this.removed.has(t.uuid)) return;
    this.afterFinish(t.artifact, t.paths);
  }

  /** on_record_end, then post-processing of a good file. */
  private afterFinish(a: RecordArtifact, paths: RecordPaths): void {
    this.track(this.sendEnd(a, paths));
    if (a.state === 'done') this.track(this.post.run(a, paths, this.settings));
  }

  private async sendEnd(a: RecordArtifact, paths: RecordPaths): Promise<void> {
    const base = await this.baseUrl();
    const r = await this.deps.callbacks.send(
      'on_record_end',
      { vhost: a.vhost, app: a.app, stream: a.stream, param: '' },
      { uuid: a.uuid, artifact_code: a.code, artifact_path: paths.mp4, artifact_url: `${base}${mp4UrlPath(a.uuid)}` },
    );
    if (!r.ok) this.log.warn({ uuid: a.uuid, reason: r.reason }, 'on_record_end callback failed (ignored)');
  }

  /** The server's own base URL for links: the callbacks' host setting, else localhost and HTTP_PORT. */
  private async baseUrl(): Promise<string> {
    const host = (await this.deps.callbacks.config().catch(() => ({ host: '' }))).host;
    return host ? host.replace(/\/+$/, '') : `http://localhost:${this.deps.config.httpPort}`;
  }

  private async convert(paths: RecordPaths): Promise<ProgressiveResult> {
    return this.limiter.run(async () => {
      const r = await fragmentedToProgressive(paths.fragments, paths.mp4);
      await writeSkeleton(paths, this.log);
      await unlink(paths.fragments).catch(() => undefined);
      return r;
    });
  }

  // ---- persistence ----

  /** Writes the metadata to task.json and Redis, in order per recording; never rejects. */
  private persist(a: RecordArtifact): Promise<void> {
    if (this.removed.has(a.uuid)) return Promise.resolve();
    const json = JSON.stringify(a);
    const paths = recordPaths(this.recordDir, a.uuid);
    const next = (this.chains.get(a.uuid) ?? Promise.resolve()).then(async () => {
      if (this.removed.has(a.uuid)) return;
      await writeMeta(paths, json).catch((e: unknown) => this.log.debug({ uuid: a.uuid, err: errorMessage(e) }, 'record: could not write task.json'));
      await this.deps.store
        .hset(Keys.RECORD_M3U8_ARTIFACT, { [a.uuid]: json })
        .catch((e: unknown) => this.log.debug({ uuid: a.uuid, err: errorMessage(e) }, 'record: could not store the recording in Redis'));
    });
    this.chains.set(a.uuid, next);
    void next.finally(() => {
      if (this.chains.get(a.uuid) === next) this.chains.delete(a.uuid);
    });
    return next;
  }

  /** Redis came back, possibly empty: put the settings and the live recordings back. */
  private async restore(): Promise<void> {
    const h = await this.deps.store.hgetall(Keys.RECORD_PATTERNS);
    if (Object.keys(h).length === 0 && JSON.stringify(this.settings) !== JSON.stringify(DEFAULT_SETTINGS)) {
      await saveSettings(this.deps.store, this.settings);
      this.log.warn('Redis came back without the recording settings; restored the last known ones');
    }
    for (const t of this.tasks.values()) void this.persist(t.snapshot());
  }

  // ---- restart recovery ----

  /**
   * The record kind's recover: recordings an earlier run left unfinished that Redis does not list (task.json on
   * disk outlives a Redis that lost its data) become tasks to restore; interrupted post-processing resumes.
   */
  private async recover(known: ReadonlySet<string>): Promise<{ id: string; config: RecordJobConfig }[]> {
    const out: { id: string; config: RecordJobConfig }[] = [];
    let names: string[];
    try {
      names = await readdir(this.recordDir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.log.error({ dir: this.recordDir, err: errorMessage(e) }, 'record: cannot read the record directory; make DATA_DIR/record a readable directory');
      }
      return out;
    }
    const stored = await this.deps.store.hgetall(Keys.RECORD_M3U8_ARTIFACT).catch(() => ({}) as Record<string, string>);
    for (const name of names) {
      if (this.closed) return out;
      if (!isUuid(name) || this.tasks.has(name)) continue;
      const paths = recordPaths(this.recordDir, name);
      const a = await readMeta(paths);
      if (!a) continue;
      if (a.state === 'recording' || a.state === 'waiting' || a.state === 'finalizing') {
        if (!known.has(name)) out.push({ id: name, config: { vhost: a.vhost, app: a.app, stream: a.stream, postProcess: a.post.kind } });
      } else if (a.state === 'done' && (a.post.state === 'pending' || a.post.state === 'running' || a.post.state === 'retrying')) {
        this.log.info({ uuid: a.uuid, post: a.post.kind }, 'record: resuming post-processing after a restart');
        this.track(this.post.run(a, paths, this.settings));
      } else if (!stored[name]) {
        await this.persist(a);
      }
    }
    return out;
  }

  private async finishOnDisk(a: RecordArtifact, paths: RecordPaths): Promise<void> {
    const log = this.log.child({ uuid: a.uuid, stream: `${a.vhost}/${a.app}/${a.stream}` });
    a.state = 'finalizing';
    await this.persist(a);
    try {
      if (await stat(paths.fragments).catch(() => null)) {
        const r = await this.convert(paths);
        a.state = 'done';
        a.duration = r.durationMs / 1000;
        a.size = r.bytes;
        log.info({ duration: a.duration, size: a.size, droppedBytes: r.droppedBytes }, 'record recovered after a restart: index.mp4 ready');
      } else {
        const st = await stat(paths.mp4).catch(() => null);
        if (!st) throw new MediaError('MP4_EMPTY', 'no fragments were written before the restart');
        a.state = 'done';
        a.size = st.size;
      }
    } catch (e) {
      a.state = 'failed';
      const empty = e instanceof MediaError && (e.code === 'MP4_EMPTY' || e.code === 'MP4_NO_INIT');
      a.code = empty ? ArtifactCode.Empty : ArtifactCode.ConvertError;
      a.error = `the recording was interrupted by a restart and ${empty ? 'holds nothing' : 'could not be finished'}: ${errorMessage(e)}`;
      log.error({ err: errorMessage(e) }, 'record: could not recover after a restart');
    }
    a.update = rfc3339();
    await this.persist(a);
  }

  // ---- the API ----

  query(): RecordQuery {
    const s = this.settings;
    return {
      all: s.all,
      home: this.recordDir,
      globs: [...s.globs],
      processCpDir: s.postCpDir,
      postProcess: s.postProcess,
      postCpDir: s.postCpDir,
      s3: maskS3(s.s3),
    };
  }

  private async update(next: RecordSettings): Promise<void> {
    await saveSettings(this.deps.store, next);
    this.settings = next;
    this.filter = new GlobFilter(next.globs);
  }

  /** Turns recording on or off. Off ends the current recordings; on starts recording the live streams. */
  async apply(all: boolean): Promise<void> {
    await this.update({ ...this.settings, all });
    this.log.info({ all }, `recording turned ${all ? 'on' : 'off'}`);
    if (all) {
      for (const s of this.deps.hub.list()) if (s.active) this.onPublished(s);
    } else {
      for (const t of [...this.live.values()]) void t.end('recording turned off');
    }
  }

  /** Sets the stream filters (valid globs: the API checked them). */
  async setGlobs(globs: string[]): Promise<void> {
    const list = globs.map((g) => g.trim()).filter((g) => g !== '');
    await this.update({ ...this.settings, globs: list });
    this.log.info({ globs: list }, 'recording filters changed');
  }

  /**
   * Sets the post-processing (fields checked by the API). A copy directory under DATA_DIR is created when
   * missing; one elsewhere must exist. Throws RecordSettingsError when the settings do not allow it.
   */
  async setPostProcessing(u: PostProcessingUpdate): Promise<void> {
    const next: RecordSettings = { ...this.settings, postProcess: u.postProcess };
    if (u.postCpDir !== undefined) next.postCpDir = u.postCpDir;
    if (u.postProcess === 'post-cp-file') {
      if (!next.postCpDir) throw new RecordSettingsError('field "postCpDir" is required for post-cp-file: the directory to copy recordings to');
      const dataDir = resolve(this.deps.config.dataDir);
      const inside = next.postCpDir === dataDir || next.postCpDir.startsWith(dataDir + sep);
      if (inside) {
        await mkdir(next.postCpDir, { recursive: true }).catch((e: unknown) => {
          throw new RecordSettingsError(`field "postCpDir": cannot create ${next.postCpDir}: ${errorMessage(e)}`);
        });
      }
      const st = await stat(next.postCpDir).catch(() => null);
      if (!st?.isDirectory()) throw new RecordSettingsError(`field "postCpDir": ${next.postCpDir} is not a directory on the server; create it first`);
    }
    if (u.s3) {
      const s3 = { ...u.s3 };
      if (s3.secretKey === SECRET_MASK) s3.secretKey = this.settings.s3?.secretKey ?? '';
      if (s3.accessKey && !s3.secretKey) throw new RecordSettingsError('field "s3.secretKey" is required with "s3.accessKey"');
      next.s3 = s3;
    }
    if (u.postProcess === 's3' && !next.s3) {
      throw new RecordSettingsError('field "s3" is required for postProcess "s3": {"endpoint","region","bucket","prefix","accessKey","secretKey","pathStyle"}');
    }
    await this.update(next);
    this.log.info({ postProcess: next.postProcess, postCpDir: next.postCpDir, bucket: next.s3?.bucket ?? '' }, 'recording post-processing changed');
  }

  /**
   * Tries S3 settings (the given ones, else the stored ones; a masked secret means the stored secret) with a
   * small object. Throws RecordSettingsError when there are none to try.
   */
  async checkS3(given?: S3Settings): Promise<S3CheckResult> {
    const s3 = given ? { ...given } : this.settings.s3 ? { ...this.settings.s3 } : null;
    if (!s3) throw new RecordSettingsError('no S3 settings to test: send {"s3":{"endpoint","region","bucket","prefix","accessKey","secretKey","pathStyle"}} or save them first');
    if (s3.secretKey === SECRET_MASK) s3.secretKey = this.settings.s3?.secretKey ?? '';
    if (s3.accessKey && !s3.secretKey) throw new RecordSettingsError('field "s3.secretKey" is required with "s3.accessKey"');
    const r = await checkS3(s3);
    this.log.info({ bucket: s3.bucket, endpoint: s3.endpoint, ok: r.ok, kind: r.kind }, `S3 check: ${r.message}`);
    return r;
  }

  /** Every recording, newest first; live ones with their figures so far. */
  async files(base: string): Promise<RecordFile[]> {
    const h = await this.deps.store.hgetall(Keys.RECORD_M3U8_ARTIFACT);
    const all = new Map<string, RecordArtifact>();
    for (const [uuid, json] of Object.entries(h)) {
      const a = parseArtifact(json);
      if (a && a.uuid === uuid) all.set(uuid, a);
    }
    for (const t of this.tasks.values()) all.set(t.uuid, t.snapshot());
    return [...all.values()].sort((x, y) => (x.created < y.created ? 1 : x.created > y.created ? -1 : 0)).map((a) => toFile(a, base));
  }

  /** One recording, as the files API shows it. */
  async file(uuid: string, base: string): Promise<RecordFile | null> {
    const t = this.tasks.get(uuid);
    if (t) return toFile(t.snapshot(), base);
    const json = await this.deps.store.hget(Keys.RECORD_M3U8_ARTIFACT, uuid);
    const a = json ? parseArtifact(json) : await readMeta(recordPaths(this.recordDir, uuid));
    return a ? toFile(a, base) : null;
  }

  /** A recording's state, or null when there is no such recording. */
  private async stateOf(uuid: string): Promise<RecordState | null> {
    const t = this.tasks.get(uuid);
    if (t) return t.artifact.state;
    if (this.removed.has(uuid)) return null;
    const json = await this.deps.store.hget(Keys.RECORD_M3U8_ARTIFACT, uuid).catch(() => null);
    const a = json ? parseArtifact(json) : await readMeta(recordPaths(this.recordDir, uuid));
    return a?.state ?? null;
  }

  /**
   * Ends a live recording now (it is finalized in the background); false when none is live with that uuid. As
   * in SRS Stack, a stream still publishing starts a new recording (a new uuid) with its next frames.
   */
  end(uuid: string): boolean {
    const t = isUuid(uuid) ? this.tasks.get(uuid) : undefined;
    if (!t || !t.live) return false;
    const s = t.source;
    void t.end('ended by the API');
    if (s?.active) this.onPublished(s);
    return true;
  }

  /** Deletes a recording (the API checked the uuid): its files, entry, and any recording or upload of it; false when unknown. */
  async remove(uuid: string): Promise<boolean> {
    const paths = recordPaths(this.recordDir, uuid);
    const t = this.tasks.get(uuid);
    const known = t !== undefined || (await this.deps.store.hget(Keys.RECORD_M3U8_ARTIFACT, uuid)) !== null || (await stat(paths.dir).catch(() => null)) !== null;
    if (!known) return false;
    this.removed.add(uuid);
    if (t) {
      if (t.live) await t.suspend();
      else await t.end('removed');
      this.tasks.delete(uuid);
    }
    this.post.cancel(uuid);
    await this.chains.get(uuid);
    await rm(paths.dir, { recursive: true, force: true });
    this.hls.forget(uuid);
    await this.deps.store.hdel(Keys.RECORD_M3U8_ARTIFACT, uuid);
    this.log.info({ uuid }, 'recording removed');
    return true;
  }

  /** A finished recording's index.mp4, or why there is none (the API answers 404 with it). */
  async mp4Path(uuid: string): Promise<{ path: string; size: number; mtimeMs: number } | { missing: string }> {
    if (!isUuid(uuid)) return { missing: `no recording ${JSON.stringify(uuid)}: the path is /terraform/v1/hooks/record/hls/<uuid>/index.mp4` };
    const t = this.tasks.get(uuid);
    if (t) return { missing: `the recording ${uuid} is ${t.artifact.state}: index.mp4 is ready when it ends` };
    const paths = recordPaths(this.recordDir, uuid);
    const st = await stat(paths.mp4).catch(() => null);
    if (!st?.isFile()) return { missing: `no index.mp4 for recording ${uuid}: it does not exist, failed, or is not finished` };
    return { path: paths.mp4, size: st.size, mtimeMs: st.mtimeMs };
  }

  /** Live task count and more, for logs and tests. */
  get stats(): { live: number; finishing: number; uploads: number } {
    return { live: this.live.size, finishing: this.tasks.size - this.live.size, uploads: this.post.active };
  }

  /**
   * Graceful shutdown, before close: every live recording (recording, or waiting for a republish) ends now and
   * becomes index.mp4. Resolves when all are done; one still converting when close comes is suspended.
   */
  async finalizeAll(reason: string): Promise<number> {
    const live = [...this.live.values()];
    await Promise.all(live.map((t) => t.end(reason)));
    return live.length;
  }

  /**
   * Shutdown: stops following the hub and the uploads. The job manager's close suspends the live recordings
   * (written out and left for the next start to finish); call this first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.off.splice(0)) f();
    this.post.close();
    await Promise.allSettled([...this.chains.values()]);
  }
}

function parseJobConfig(text: string): RecordJobConfig | null {
  try {
    const v = JSON.parse(text) as Partial<RecordJobConfig>;
    if (typeof v.vhost !== 'string' || typeof v.app !== 'string' || typeof v.stream !== 'string') return null;
    const post = v.postProcess === 'post-cp-file' || v.postProcess === 's3' ? v.postProcess : 'none';
    return { vhost: v.vhost, app: v.app, stream: v.stream, postProcess: post };
  } catch {
    return null;
  }
}
