// The recorder (SRS Stack's "record" scenario, in-process): follows the hub's publishes, starts a RecordTask for
// each stream the settings select (all on, and /app/stream matching a glob), hands a republish within the window
// to the same task, sends on_record_begin/on_record_end, runs the post-processing, finishes recordings left
// unfinished by a crash at start, and serves the record API's operations.
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import { MediaError } from '../../../core/errors.js';
import { fragmentedToProgressive, type ProgressiveResult } from '../../../codecs/mp4/progressive.js';
import type { Hub } from '../../../hub/hub.js';
import type { Stream } from '../../../hub/stream.js';
import { badRequest, errorMessage, notFound } from '../../errors.js';
import type { Callbacks } from '../../hooks/callbacks.js';
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
} from './artifact.js';
import { GlobFilter, globError } from './globs.js';
import { PostProcessor } from './post-process.js';
import {
  DEFAULT_SETTINGS,
  SECRET_MASK,
  loadSettings,
  maskS3,
  saveSettings,
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
  logger: Logger;
  options?: RecorderOptions;
}

/** What query answers: SRS Stack's fields (home, all, globs, postProcess, postCpDir) and our s3. */
export interface RecordQuery {
  all: boolean;
  home: string;
  globs: string[];
  postProcess: PostProcess;
  postCpDir: string;
  /** the S3 settings, with the secret masked */
  s3: S3Settings | null;
}

export interface PostProcessingUpdate {
  postProcess: PostProcess;
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
  private readonly background = new Set<Promise<unknown>>();
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
  }

  /** Loads the settings, follows the hub, and finishes what an earlier run left unfinished (in the background). */
  static async start(deps: RecorderDeps): Promise<Recorder> {
    const r = new Recorder(deps, await loadSettings(deps.store));
    r.off.push(deps.hub.published.on((s) => r.onPublished(s)));
    r.off.push(deps.hub.unpublished.on((s) => r.onUnpublished(s)));
    r.off.push(deps.store.onReconnect(() => r.track(r.restore())));
    r.track(r.recover());
    if (r.settings.all) r.log.info({ globs: r.settings.globs, postProcess: r.settings.postProcess }, 'recording is on');
    return r;
  }

  private track<T>(p: Promise<T>): void {
    const q = p.catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'record: background work failed'));
    this.background.add(q);
    void q.finally(() => this.background.delete(q));
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

  /** Finishes recordings an earlier run left unfinished, and resumes interrupted post-processing. */
  private async recover(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.recordDir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.log.error({ dir: this.recordDir, err: errorMessage(e) }, 'record: cannot read the record directory; make DATA_DIR/record a readable directory');
      }
      return;
    }
    const stored = await this.deps.store.hgetall(Keys.RECORD_M3U8_ARTIFACT).catch(() => ({}) as Record<string, string>);
    for (const name of names) {
      if (this.closed) return;
      if (!isUuid(name) || this.tasks.has(name)) continue;
      const paths = recordPaths(this.recordDir, name);
      const a = await readMeta(paths);
      if (!a) continue;
      if (a.state === 'recording' || a.state === 'waiting' || a.state === 'finalizing') {
        await this.finishOnDisk(a, paths);
        this.afterFinish(a, paths);
      } else if (a.state === 'done' && (a.post.state === 'pending' || a.post.state === 'running' || a.post.state === 'retrying')) {
        this.log.info({ uuid: a.uuid, post: a.post.kind }, 'record: resuming post-processing after a restart');
        this.track(this.post.run(a, paths, this.settings));
      } else if (!stored[name]) {
        await this.persist(a);
      }
    }
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
    return { all: s.all, home: this.recordDir, globs: [...s.globs], postProcess: s.postProcess, postCpDir: s.postCpDir, s3: maskS3(s.s3) };
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

  async setGlobs(globs: string[]): Promise<void> {
    const list = globs.map((g) => g.trim()).filter((g) => g !== '');
    for (const g of list) {
      const why = globError(g);
      if (why) throw badRequest(`${why}; e.g. {"globs":["/live/*"]}`);
    }
    await this.update({ ...this.settings, globs: list });
    this.log.info({ globs: list }, 'recording filters changed');
  }

  async setPostProcessing(u: PostProcessingUpdate): Promise<void> {
    const next: RecordSettings = { ...this.settings, postProcess: u.postProcess };
    if (u.postCpDir !== undefined) next.postCpDir = u.postCpDir.trim();
    if (u.postProcess === 'post-cp-file') {
      if (!next.postCpDir) throw badRequest('field "postCpDir" is required for post-cp-file: the directory to copy recordings to');
      const st = await stat(next.postCpDir).catch(() => null);
      if (!st?.isDirectory()) throw badRequest(`field "postCpDir": ${next.postCpDir} is not a directory on the server; create it first`);
    }
    if (u.s3) {
      const s3 = { ...u.s3 };
      if (s3.secretKey === SECRET_MASK) s3.secretKey = this.settings.s3?.secretKey ?? '';
      if (s3.endpoint) {
        try {
          const url = new URL(s3.endpoint);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
        } catch {
          throw badRequest(`field "s3.endpoint" must be an http:// or https:// URL, got ${JSON.stringify(s3.endpoint)}`);
        }
      }
      if (s3.accessKey && !s3.secretKey) throw badRequest('field "s3.secretKey" is required with "s3.accessKey"');
      next.s3 = s3;
    }
    if (u.postProcess === 's3' && !next.s3) {
      throw badRequest('field "s3" is required for postProcess "s3": {"endpoint","region","bucket","prefix","accessKey","secretKey","pathStyle"}');
    }
    await this.update(next);
    this.log.info({ postProcess: next.postProcess, postCpDir: next.postCpDir, bucket: next.s3?.bucket ?? '' }, 'recording post-processing changed');
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

  /** Ends a live recording now (it is finalized in the background). */
  end(uuid: string): void {
    const t = isUuid(uuid) ? this.tasks.get(uuid) : undefined;
    if (!t || !t.live) {
      throw notFound(`no recording in progress with uuid ${uuid}; list them with POST /terraform/v1/hooks/record/files`);
    }
    void t.end('ended by the API');
  }

  /** Deletes a recording: its files, its entry, and any recording or upload still running for it. */
  async remove(uuid: string): Promise<void> {
    if (!isUuid(uuid)) throw badRequest(`field "uuid" must be a recording id (a UUID), got ${JSON.stringify(uuid)}`);
    const paths = recordPaths(this.recordDir, uuid);
    const t = this.tasks.get(uuid);
    const known = t !== undefined || (await this.deps.store.hget(Keys.RECORD_M3U8_ARTIFACT, uuid)) !== null || (await stat(paths.dir).catch(() => null)) !== null;
    if (!known) throw notFound(`no recording with uuid ${uuid}; list them with POST /terraform/v1/hooks/record/files`);
    this.removed.add(uuid);
    if (t) {
      if (t.live) await t.suspend();
      else await t.end('removed');
      this.tasks.delete(uuid);
    }
    this.post.cancel(uuid);
    await this.chains.get(uuid);
    await rm(paths.dir, { recursive: true, force: true });
    await this.deps.store.hdel(Keys.RECORD_M3U8_ARTIFACT, uuid);
    this.log.info({ uuid }, 'recording removed');
  }

  /** The path of a finished recording's index.mp4, or an API error saying why there is none. */
  async mp4Path(uuid: string): Promise<{ path: string; size: number; mtimeMs: number }> {
    if (!isUuid(uuid)) throw notFound(`no recording ${JSON.stringify(uuid)}: the path is /terraform/v1/hooks/record/hls/<uuid>/index.mp4`);
    const t = this.tasks.get(uuid);
    if (t) throw notFound(`the recording ${uuid} is ${t.artifact.state}: index.mp4 is ready when it ends`);
    const paths = recordPaths(this.recordDir, uuid);
    const st = await stat(paths.mp4).catch(() => null);
    if (!st?.isFile()) throw notFound(`no index.mp4 for recording ${uuid}: it does not exist, failed, or is not finished`);
    return { path: paths.mp4, size: st.size, mtimeMs: st.mtimeMs };
  }

  /** Live task count and more, for logs and tests. */
  get stats(): { live: number; finishing: number; uploads: number } {
    return { live: this.live.size, finishing: this.tasks.size - this.live.size, uploads: this.post.active };
  }

  /** Shutdown: live recordings are written out and left for the next start to finish; uploads stop. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.off.splice(0)) f();
    const suspends = [...this.tasks.values()].filter((t) => t.live).map((t) => t.suspend());
    this.post.close();
    const settle = Promise.allSettled([...suspends, ...this.chains.values()]);
    await Promise.race([settle, new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
