// The job manager: every long-running task of the server (a recording, a forward, a virtual live, a camera pull,
// a transcode) is a task of a registered kind. The manager keeps each task's config in SRS_<KIND>_CONFIG and its
// state in SRS_<KIND>_TASK, supervises it (job-task.ts: retry with growing delay), restores the tasks after a
// restart (a new manager on the same Redis) and after Redis comes back empty, samples the counters, tracks
// background work, and stops everything cleanly on shutdown.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { jobKeys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';
import { JobRefusedError, type JobKind } from './job-kind.js';
import { JobTask, type JobStatus } from './job-task.js';

export interface JobManagerOptions {
  /** how often the bitrate is sampled and running tasks' state is written to Redis, ms (default 5000) */
  sampleMs?: number;
  /** log lines kept per task (default 50) */
  logLines?: number;
  /** how long shutdown waits for a task to stop, ms (default 5000) */
  stopTimeoutMs?: number;
}

export interface JobManagerDeps {
  store: Store;
  logger: Logger;
  options?: JobManagerOptions;
}

interface Registered {
  kind: JobKind<unknown>;
  keys: { config: string; task: string };
}

export class JobManager {
  private readonly kinds = new Map<string, Registered>();
  /** uuid -> task */
  private readonly tasks = new Map<string, JobTask<unknown>>();
  /** uuid -> the last Redis write of that task, so writes land in order */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly timer: NodeJS.Timeout;
  private readonly offReconnect: () => void;
  private readonly log: Logger;
  private readonly opts: Required<JobManagerOptions>;
  private closed = false;

  constructor(private readonly deps: JobManagerDeps) {
    this.opts = { sampleMs: 5000, logLines: 50, stopTimeoutMs: 5000, ...deps.options };
    this.log = deps.logger.child({ module: 'jobs' });
    this.timer = setInterval(() => this.sample(), this.opts.sampleMs);
    this.timer.unref();
    this.offReconnect = deps.store.onReconnect(() => this.track(this.rewrite(), 'put the jobs back into Redis'));
  }

  /** Registers a kind and restores its stored tasks (those whose config runs start again). */
  async register<C>(kind: JobKind<C>): Promise<JobTask<C>[]> {
    if (this.kinds.has(kind.name)) throw new JobRefusedError(`job kind ${kind.name} is registered twice`);
    const keys = kind.keys ?? jobKeys(kind.name);
    this.kinds.set(kind.name, { kind: kind as JobKind<unknown>, keys });
    let configs: Record<string, string> = {};
    let states: Record<string, string> = {};
    try {
      [configs, states] = await Promise.all([this.deps.store.hgetall(keys.config), this.deps.store.hgetall(keys.task)]);
    } catch (e) {
      this.log.error({ kind: kind.name, err: errorMessage(e) }, `cannot read ${keys.config} from Redis: stored ${kind.name} tasks are not restored`);
    }
    // The uuid a config had before the restart, from its stored state.
    const uuidOf = new Map<string, string>();
    const stale: string[] = [];
    for (const [uuid, text] of Object.entries(states)) {
      const id = parseId(text);
      if (id !== null && configs[id] !== undefined && !uuidOf.has(id)) uuidOf.set(id, uuid);
      else stale.push(uuid);
    }
    if (stale.length > 0) await this.deps.store.hdel(keys.task, ...stale).catch(() => undefined);
    const found: { id: string; config: C; stored: boolean }[] = [];
    for (const [id, text] of Object.entries(configs)) {
      const config = kind.decode(text);
      if (config === null) {
        this.log.warn({ kind: kind.name, id }, `${keys.config} field ${id} is not a usable ${kind.name} config; skipped`);
        continue;
      }
      found.push({ id, config, stored: true });
    }
    if (kind.recover) {
      const known = new Set(found.map((f) => f.id));
      for (const r of await kind.recover(known)) if (!known.has(r.id)) found.push({ ...r, stored: false });
    }
    const out: JobTask<C>[] = [];
    for (const f of found) {
      const task = this.add(kind, uuidOf.get(f.id) ?? (UUID_RE.test(f.id) ? f.id : randomUUID()), f.id, f.config);
      if (!f.stored) this.writeConfig(task);
      if (kind.runs?.(f.config) ?? true) {
        this.log.info({ kind: kind.name, uuid: task.uuid, id: task.id }, `restoring a ${kind.name} task after a restart`);
        task.start(true);
      } else this.persist(task);
      out.push(task);
    }
    return out;
  }

  /** A new task: its config is stored, and it starts if the config runs. `id` defaults to the uuid. */
  async start<C>(kind: JobKind<C>, config: C, o: { id?: string; uuid?: string } = {}): Promise<JobTask<C>> {
    if (this.closed) throw new JobRefusedError('the server is shutting down: no new tasks');
    if (!this.kinds.has(kind.name)) throw new JobRefusedError(`job kind ${kind.name} is not registered`);
    const all = this.list(kind);
    const runs = kind.runs?.(config) ?? true;
    if (runs && kind.limit !== undefined && all.filter((t) => t.active).length >= kind.limit) {
      throw new JobRefusedError(`at most ${kind.limit} ${kind.name} tasks can run at once; stop or remove one first`);
    }
    const uuid = o.uuid ?? randomUUID();
    const id = o.id ?? uuid;
    if (all.some((t) => t.id === id) || this.tasks.has(uuid)) throw new JobRefusedError(`a ${kind.name} task ${id} exists already; update it instead`);
    const task = this.add(kind, uuid, id, config);
    await this.writeConfig(task);
    if (runs) task.start(false);
    else await this.persist(task);
    return task;
  }

  /** Stores a new config for a task and restarts it (or stops it, if the config does not run). */
  async update<C>(kind: JobKind<C>, uuid: string, config: C): Promise<void> {
    const task = this.need(kind, uuid);
    task.config = config;
    await this.writeConfig(task);
    await task.stop('the config changed', this.opts.stopTimeoutMs);
    if (!this.closed && (kind.runs?.(config) ?? true)) task.start(false);
  }

  /** Stops a task (it stays stored and starts again on update or restart). */
  async stop<C>(kind: JobKind<C>, uuid: string, reason = 'stopped'): Promise<void> {
    await this.need(kind, uuid).stop(reason, this.opts.stopTimeoutMs);
  }

  /** Stops a task and deletes its config and state. */
  async remove<C>(kind: JobKind<C>, uuid: string): Promise<void> {
    const task = this.need(kind, uuid);
    await task.stop('removed', this.opts.stopTimeoutMs);
    await this.drop(task);
  }

  get<C>(kind: JobKind<C>, uuid: string): JobTask<C> | undefined {
    const t = this.tasks.get(uuid);
    return t && t.kind.name === kind.name ? (t as JobTask<C>) : undefined;
  }

  list<C>(kind: JobKind<C>): JobTask<C>[] {
    return [...this.tasks.values()].filter((t) => t.kind.name === kind.name) as JobTask<C>[];
  }

  /** Every task of every kind (for the metrics). */
  all(): JobTask<unknown>[] {
    return [...this.tasks.values()];
  }

  /** Work that runs beside the tasks (a callback, an upload): shutdown waits for it; a failure is logged. */
  track(p: Promise<unknown>, what: string): void {
    const q = p.catch((e: unknown) => this.log.error({ err: errorMessage(e) }, `${what}: failed`));
    this.background.add(q);
    void q.finally(() => this.background.delete(q));
  }

  /** Background work still running (for tests and shutdown). */
  get pending(): number {
    return this.background.size;
  }

  /** Shutdown: every task is stopped (configs stay, so the next start restores them); waits for background work. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.offReconnect();
    await Promise.all([...this.tasks.values()].map((t) => t.stop('the server is shutting down', this.opts.stopTimeoutMs)));
    const rest = Promise.allSettled([...this.writes.values(), ...this.background]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([rest, new Promise((r) => (timer = setTimeout(r, this.opts.stopTimeoutMs)))]);
    clearTimeout(timer);
  }

  // ---- internals ----

  private add<C>(kind: JobKind<C>, uuid: string, id: string, config: C): JobTask<C> {
    const task = new JobTask(kind, uuid, id, config, {
      logger: this.log,
      logLines: this.opts.logLines,
      changed: (t) => this.persist(t),
      ended: (t) => {
        if (t.kind.once) this.track(this.drop(t), `remove the finished ${t.kind.name} task ${t.uuid}`);
      },
    });
    this.tasks.set(uuid, task as JobTask<unknown>);
    return task;
  }

  private need<C>(kind: JobKind<C>, uuid: string): JobTask<C> {
    const t = this.get(kind, uuid);
    if (!t) throw new JobRefusedError(`no ${kind.name} task ${uuid}`);
    return t;
  }

  private keys(t: JobTask<unknown>): { config: string; task: string } {
    return this.kinds.get(t.kind.name)?.keys ?? jobKeys(t.kind.name);
  }

  /** The stored state: the kind's SRS Stack fields, then ours. */
  stored(t: JobTask<unknown>): Record<string, unknown> & JobStatus {
    return { ...(t.kind.describe?.(t.config) ?? {}), ...t.status() };
  }

  private writeConfig(t: JobTask<unknown>): Promise<void> {
    const text = t.kind.encode ? t.kind.encode(t.config) : JSON.stringify(t.config);
    return this.chain(t, () => this.deps.store.hset(this.keys(t).config, { [t.id]: text }));
  }

  /** Writes the task's state to Redis, in order; never rejects (Redis down: written again when it is back). */
  private persist(t: JobTask<unknown>): Promise<void> {
    return this.chain(t, () => this.deps.store.hset(this.keys(t).task, { [t.uuid]: JSON.stringify(this.stored(t)) }));
  }

  private chain(t: JobTask<unknown>, write: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(t.uuid) ?? Promise.resolve()).then(async () => {
      if (!this.tasks.has(t.uuid)) return;
      await write().catch((e: unknown) => this.log.debug({ uuid: t.uuid, err: errorMessage(e) }, 'jobs: could not write to Redis'));
    });
    this.writes.set(t.uuid, next);
    void next.finally(() => {
      if (this.writes.get(t.uuid) === next) this.writes.delete(t.uuid);
    });
    return next;
  }

  private async drop(t: JobTask<unknown>): Promise<void> {
    await this.writes.get(t.uuid);
    this.tasks.delete(t.uuid);
    const keys = this.keys(t);
    await Promise.all([this.deps.store.hdel(keys.config, t.id), this.deps.store.hdel(keys.task, t.uuid)]).catch((e: unknown) =>
      this.log.debug({ uuid: t.uuid, err: errorMessage(e) }, 'jobs: could not delete a task from Redis'),
    );
  }

  private sample(): void {
    const now = Date.now();
    for (const t of this.tasks.values()) {
      t.sample(now);
      if (t.state === 'running') void this.persist(t);
    }
  }

  /** Redis came back, possibly without our data: write every config and state again. */
  private async rewrite(): Promise<void> {
    await Promise.all([...this.tasks.values()].flatMap((t) => [this.writeConfig(t), this.persist(t)]));
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseId(text: string): string | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  } catch {
    /* not ours */
  }
  return null;
}
