// What a job kind gives the job manager (record, forward, vlive, camera, transcode, ...), and what one attempt
// of a task is given: its config, an abort signal, and ways to report (running, log lines, counters).
import type { Logger } from 'pino';

/**
 * - starting: an attempt is starting (connecting, opening)
 * - running: the kind said it is doing its work
 * - retrying: the last attempt failed (`reason`); the next starts in `retryInMs`
 * - stopped: not running (stopped, the server shut down, or the task finished)
 * - failed: the kind gave up (`reason`); only a config update starts it again
 */
export type JobState = 'starting' | 'running' | 'retrying' | 'stopped' | 'failed';

/** Thrown by a kind's run() when retrying cannot help (bad input file, missing codec): the task fails. */
export class JobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailedError';
  }
}

/** A task could not be created or changed: the kind's limit is reached, its id is taken, it does not exist. */
export class JobRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobRefusedError';
  }
}

/** One attempt of a task, as the kind's run() sees it. */
export interface JobRun<C> {
  readonly uuid: string;
  /** the config's field in SRS_<KIND>_CONFIG (the platform for forward; the uuid when not given) */
  readonly id: string;
  readonly config: C;
  /** 1 for the first attempt, +1 for each retry */
  readonly attempt: number;
  /** this attempt resumes a task that was running when the server (or its Redis) stopped */
  readonly restored: boolean;
  /** aborted when the task is stopped, updated or removed, and on shutdown: run() should then return */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** the task is doing its work now (connected, first frame): state running, uptime starts */
  running(): void;
  /** a line for the task's log (the API shows the last ones) */
  log(line: string): void;
  /** media handled: the counters and the bitrate come from these */
  count(frames: number, bytes: number): void;
}

export interface BackoffOptions {
  /** the first retry's delay, ms (default 1000) */
  initialMs: number;
  /** each further failure multiplies the delay by this (default 2) */
  factor: number;
  /** the longest delay, ms (default 30000) */
  maxMs: number;
  /** an attempt that ran this long counts as healthy: the next failure starts from initialMs again (default 30000) */
  resetAfterMs: number;
}

export interface JobKind<C> {
  /** lower case, e.g. "forward": the Redis keys are SRS_FORWARD_CONFIG / SRS_FORWARD_TASK unless `keys` says */
  readonly name: string;
  readonly keys?: { config: string; task: string };
  /** the config as stored in SRS_<KIND>_CONFIG (default JSON) */
  encode?(config: C): string;
  /** a stored config; null when it cannot be used (skipped with a warning) */
  decode(text: string): C | null;
  /** whether a stored config should run (e.g. its `enabled`); default true */
  runs?(config: C): boolean;
  /** One attempt. Resolves: the task is finished (stopped). Rejects: retried with backoff, or failed on JobFailedError. */
  run(job: JobRun<C>): Promise<void>;
  /** SRS Stack's fields of the stored task state besides ours, e.g. {platform, input, output} */
  describe?(config: C): Record<string, unknown>;
  /** tasks to restore found outside Redis (recording: task.json on disk, kept even if Redis lost its data) */
  recover?(known: ReadonlySet<string>): Promise<{ id: string; config: C }[]>;
  /** a task that finishes is removed from Redis (a recording; its result is kept elsewhere) */
  readonly once?: boolean;
  /** most tasks of this kind at once (default unlimited) */
  readonly limit?: number;
  readonly backoff?: Partial<BackoffOptions>;
}
