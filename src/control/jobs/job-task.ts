// One task of a job kind: the supervision loop (attempt, and on failure retry after a growing delay), its state
// as a user reads it (state, reason, next retry, last log lines, frames, bytes, bitrate, uptime), and stop.
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { JobFailedError, type BackoffOptions, type JobKind, type JobRun, type JobState } from './job-kind.js';

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, factor: 2, maxMs: 30000, resetAfterMs: 30000 };

/** What the API and Redis (SRS_<KIND>_TASK) show of a task. */
export interface JobStatus {
  uuid: string;
  /** the config's field in SRS_<KIND>_CONFIG */
  id: string;
  kind: string;
  state: JobState;
  /** why it is retrying or failed, or why it stopped ('' when nothing went wrong) */
  reason: string;
  /** retrying: ms until the next attempt, from `update` */
  retryInMs: number;
  /** attempts since the task started or last ran healthily */
  attempts: number;
  /** RFC 3339 time the current attempt started running ('' when not running) */
  runningSince: string;
  /** seconds the current attempt has been running */
  uptime: number;
  frames: number;
  bytes: number;
  /** over the last sampling interval */
  kbps: number;
  /** the last log lines, oldest first */
  log: string[];
  /** RFC 3339 time of the last state change */
  update: string;
}

export function rfc3339(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface JobTaskDeps {
  logger: Logger;
  /** the last log lines kept */
  logLines: number;
  /** the state changed: persist it */
  changed(task: JobTask<unknown>): void;
  /** the loop ended by itself (finished or failed) */
  ended(task: JobTask<unknown>): void;
}

export class JobTask<C> {
  private _state: JobState = 'stopped';
  private reason = '';
  private retryInMs = 0;
  private attempts = 0;
  private _restarts = 0;
  private runningAt = 0;
  private updateAt = Date.now();
  private readonly lines: string[] = [];
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private stopping: string | null = null;
  private loop: Promise<void> | null = null;
  /** counters: totals and the sample the bitrate is computed from */
  private frames = 0;
  private bytes = 0;
  private sampleBytes = 0;
  private sampleAt = Date.now();
  private kbps = 0;
  private readonly backoff: BackoffOptions;
  private readonly log: Logger;

  constructor(
    readonly kind: JobKind<C>,
    readonly uuid: string,
    readonly id: string,
    public config: C,
    private readonly deps: JobTaskDeps,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...kind.backoff };
    this.log = deps.logger.child({ job: kind.name, uuid, id });
  }

  /** attempts after a failure, since this task was created (for the metrics) */
  get restarts(): number {
    return this._restarts;
  }

  get state(): JobState {
    return this._state;
  }

  /** Resolves when the loop has ended (stopped, finished or failed). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  get active(): boolean {
    return this.loop !== null;
  }

  /** Starts the supervision loop (no-op while it runs). */
  start(restored: boolean): void {
    if (this.loop) return;
    this.stopping = null;
    this.attempts = 0;
    const loop = this.supervise(restored).catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'job loop failed'));
    this.loop = loop;
    void loop.finally(() => {
      if (this.loop === loop) this.loop = null;
    });
  }

  /** Stops the current attempt (run() gets the abort) and waits for the loop, at most `timeoutMs`. */
  async stop(reason: string, timeoutMs = 5000): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.stopping = reason;
    this.abort?.abort(new Error(reason));
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)));
    const slow = await Promise.race([loop.then(() => false), late]);
    clearTimeout(timer);
    if (slow) this.log.warn({ timeoutMs }, `job did not stop within ${timeoutMs} ms; left to end by itself`);
  }

  addLog(line: string): void {
    const text = line.length > 500 ? `${line.slice(0, 500)}...` : line;
    this.lines.push(`${rfc3339()} ${text}`);
    if (this.lines.length > this.deps.logLines) this.lines.splice(0, this.lines.length - this.deps.logLines);
  }

  /** Updates the bitrate from the bytes counted since the last sample. */
  sample(now = Date.now()): void {
    const ms = now - this.sampleAt;
    if (ms <= 0) return;
    this.kbps = this._state === 'running' ? Math.round(((this.bytes - this.sampleBytes) * 8) / ms) : 0;
    this.sampleBytes = this.bytes;
    this.sampleAt = now;
  }

  status(now = Date.now()): JobStatus {
    return {
      uuid: this.uuid,
      id: this.id,
      kind: this.kind.name,
      state: this._state,
      reason: this.reason,
      retryInMs: this._state === 'retrying' ? Math.max(0, this.updateAt + this.retryInMs - now) : 0,
      attempts: this.attempts,
      runningSince: this.runningAt ? rfc3339(this.runningAt) : '',
      uptime: this.runningAt ? Math.round((now - this.runningAt) / 100) / 10 : 0,
      frames: this.frames,
      bytes: this.bytes,
      kbps: this.kbps,
      log: [...this.lines],
      update: rfc3339(this.updateAt),
    };
  }

  private set(state: JobState, reason = '', retryInMs = 0): void {
    this._state = state;
    this.reason = reason;
    this.retryInMs = retryInMs;
    this.updateAt = Date.now();
    if (state !== 'running') this.runningAt = 0;
    this.deps.changed(this as JobTask<unknown>);
  }

  private async supervise(restored: boolean): Promise<void> {
    let failures = 0;
    for (let attempt = 1; this.stopping === null; attempt++) {
      this.attempts = failures + 1;
      if (failures > 0) this._restarts++;
      this.set('starting');
      const ac = new AbortController();
      this.abort = ac;
      let ranAt = 0;
      const run: JobRun<C> = {
        uuid: this.uuid,
        id: this.id,
        config: this.config,
        attempt,
        restored: restored && attempt === 1,
        signal: ac.signal,
        logger: this.log,
        running: () => {
          if (ac.signal.aborted || this._state === 'running') return;
          ranAt = Date.now();
          this.runningAt = ranAt;
          this.set('running');
          this.addLog('running');
        },
        log: (line) => this.addLog(line),
        count: (frames, bytes) => {
          this.frames += frames;
          this.bytes += bytes;
        },
      };
      let failure: unknown = null;
      let finished = false;
      try {
        await this.kind.run(run);
        finished = true;
      } catch (e) {
        failure = e;
      }
      this.abort = null;
      if (this.stopping !== null) break;
      if (finished) {
        this.addLog('finished');
        this.set('stopped');
        this.deps.ended(this as JobTask<unknown>);
        return;
      }
      const why = errorMessage(failure);
      if (failure instanceof JobFailedError) {
        this.addLog(`failed: ${why}`);
        this.log.error({ reason: why }, 'job failed; it runs again when its config is updated');
        this.set('failed', why);
        this.deps.ended(this as JobTask<unknown>);
        return;
      }
      if (ranAt && Date.now() - ranAt >= this.backoff.resetAfterMs) failures = 0;
      const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** failures);
      failures++;
      this.addLog(`retrying in ${(delay / 1000).toFixed(1)} s: ${why}`);
      this.log.warn({ reason: why, delayMs: delay, attempt }, 'job attempt failed: retrying');
      this.set('retrying', why, delay);
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = null;
    }
    const why = this.stopping ?? '';
    this.addLog(`stopped: ${why}`);
    this.set('stopped', why);
  }
}
