// One supervised child process (MediaMTX's externalcmd idea), written once for FFmpeg, redis-server and any
// other helper binary: spawn with stdin/stdout as streams, a tail of its last log lines, restart with a
// growing delay (capped, reset after a healthy run), a state a caller can read, stop and await (a gentle
// signal, then SIGKILL after a grace period), and no orphan when this process dies. A SIGKILLed Node runs no
// exit handler, so the child is started through util-linux `setpriv --pdeathsig`, which has the kernel send
// it a signal when we die; an exit handler covers normal exits (and hosts without setpriv).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { TypedEvent } from './event.js';

/** What a supervised process is doing; `retrying` and `failed` come with a reason. */
export type ProcessStateName = 'idle' | 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped' | 'failed';

export interface ProcessState {
  state: ProcessStateName;
  /** why it is retrying, failed or stopped (the exit and the last log line); null when nothing went wrong */
  reason: string | null;
  /** epoch ms of the next start while retrying */
  retryAt: number | null;
}

export interface RestartPolicy {
  /** delay before the first restart after a failure (ms) */
  initialDelayMs: number;
  /** the delay doubles with each consecutive failure up to this (ms) */
  maxDelayMs: number;
  /** a run that lasted this long was healthy: the failure count (and so the delay) starts again from zero */
  healthyAfterMs: number;
  /** consecutive failures after which it gives up in state `failed` (Infinity: never) */
  maxFailures: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  healthyAfterMs: 10_000,
  maxFailures: Infinity,
};

export interface ProcessSupervisorOptions {
  /** the executable: a path, or a name looked up on PATH */
  command: string;
  /** its arguments, asked for again before every start */
  args: string[] | (() => string[]);
  /** what a user should do when the command is missing, e.g. "install ffmpeg (apt-get install ffmpeg)" */
  installHint?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** a pipe to the child's stdin (default false: /dev/null) */
  stdin?: boolean;
  /** stdout: a stream for the caller, lines for the log tail (like stderr), or ignored (default) */
  stdout?: 'pipe' | 'log' | 'ignore';
  /** how many extra pipes the child gets at fd 3, 4, ... (readable by the caller; e.g. FFmpeg's -progress) */
  extraPipes?: number;
  /** restart policy (merged over DEFAULT_RESTART_POLICY), or false to run once */
  restart?: Partial<RestartPolicy> | false;
  /** when the very first run fails before it is running: retry (default) or go straight to `failed` */
  retryFirstStart?: boolean;
  /**
   * Resolves when a new run is usable (e.g. a server accepts connections); until then the state is
   * `starting`. A rejection or the timeout kills the run and counts as a failure.
   */
  ready?: (run: ProcessRun) => Promise<void>;
  /** ms the ready check may take (default 10000) */
  readyTimeoutMs?: number;
  /** the signal that asks it to stop (default SIGTERM); SIGKILL for children whose output no longer matters */
  stopSignal?: NodeJS.Signals;
  /** ms between the stop signal and SIGKILL (default 5000) */
  stopGraceMs?: number;
  /** the signal the kernel sends the child when this process dies (default SIGKILL; SIGTERM to let it flush) */
  deathSignal?: NodeJS.Signals;
  /** log lines kept (default 50) */
  logLines?: number;
  /** unsent stdin bytes above this mean the child is not keeping up: writes are dropped (default 512 KiB) */
  maxPendingInput?: number;
}

/** One run (one spawned child) of a supervised process. */
export interface ProcessRun {
  /** 1 for the first run, +1 for each restart */
  readonly generation: number;
  readonly pid: number;
  /** epoch ms */
  readonly startedAt: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  /** the pipes at fd 3, 4, ... (see extraPipes) */
  readonly pipes: readonly Readable[];
  /** resolves when this run has exited */
  readonly exited: Promise<ProcessExit>;
}

export interface ProcessExit {
  generation: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** how long it ran (ms) */
  ranMs: number;
  /** what happened, for a log line or the API, e.g. "exited with code 1: pipe:0: Invalid data found" */
  reason: string;
  /** true when we asked for it (stop, restartNow) */
  requested: boolean;
}

/** A small view of a supervised process for the API and the console. */
export interface ProcessSummary {
  state: ProcessStateName;
  reason: string | null;
  /** ms until the next start while retrying */
  retryInMs: number | null;
  pid: number | null;
  /** ms the current run has been running */
  uptimeMs: number | null;
  /** runs started after the first */
  restarts: number;
  /** consecutive failed runs */
  failures: number;
  /** stdin writes dropped because the child was not running or not keeping up */
  dropped: number;
  /** the last log lines (stderr, and stdout when it is logged), oldest first */
  log: string[];
}

const MAX_LINE = 2000;
/** after 'exit', how long to wait for the last stderr bytes before handling the exit anyway */
const STDIO_DRAIN_MS = 300;

// ---------------------------------------------------------------------------------------------------------
// No orphans

/** every child alive, for the exit handler (a module-level set, so a supervisor holds no process listener) */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
}

const executableCache = new Map<string, string | null>();

/** The absolute path of `command` (looked up on PATH when it has no slash), or null when it is not there. */
export function findExecutable(command: string): string | null {
  const cached = executableCache.get(command);
  if (cached !== undefined) return cached;
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  let found: string | null = null;
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      found = c;
      break;
    } catch {
      /* next */
    }
  }
  if (command.includes('/')) return found; // a path may appear later: do not cache
  executableCache.set(command, found);
  return found;
}

let setprivPath: string | null | undefined;

/** setpriv with --pdeathsig (util-linux >= 2.33), checked once; null when this host has none. */
function pdeathsigWrapper(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  const p = findExecutable('setpriv');
  setprivPath = p !== null && spawnSync(p, ['--pdeathsig', 'SIGKILL', 'true'], { stdio: 'ignore' }).status === 0 ? p : null;
  return setprivPath;
}

/** How children are kept from outliving this process on this host. */
export function orphanGuard(): 'pdeathsig' | 'exit-handler' {
  return pdeathsigWrapper() ? 'pdeathsig' : 'exit-handler';
}

// ---------------------------------------------------------------------------------------------------------

interface LiveRun extends ProcessRun {
  child: ChildProcess;
  /** set when we asked it to end (stop or restartNow): its exit is not a failure */
  requested: boolean;
  /** the reason kill() gave, which beats the exit status in the report */
  killReason: string | null;
  ended: boolean;
}

/** Runs one command, keeps it running, and stops it on request. Not reusable after stop(). */
export class ProcessSupervisor {
  /** every state change */
  readonly stateChanged = new TypedEvent<[ProcessState]>();
  /** a new run was spawned: attach to its stdout and pipes here (nothing has been read from them yet) */
  readonly spawned = new TypedEvent<[ProcessRun]>();
  /** a run ended */
  readonly exited = new TypedEvent<[ProcessExit]>();
  /** a log line (stderr, and stdout when it is logged) */
  readonly line = new TypedEvent<[string]>();
  /** stdin writes dropped because the child was not running or not keeping up */
  dropped = 0;

  private st: ProcessState = { state: 'idle', reason: null, retryAt: null };
  private current: LiveRun | null = null;
  private generation = 0;
  private failures = 0;
  private everRunning = false;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly tail: string[] = [];
  /** runs not yet exited (a run replaced by restartNow() may still be on its way out) */
  private readonly exiting = new Set<Promise<ProcessExit>>();
  private readonly policy: RestartPolicy | null;
  private readonly maxPending: number;

  constructor(protected readonly opts: ProcessSupervisorOptions) {
    this.policy = opts.restart === false ? null : { ...DEFAULT_RESTART_POLICY, ...opts.restart };
    this.maxPending = opts.maxPendingInput ?? 512 * 1024;
  }

  get state(): ProcessState {
    return this.st;
  }

  /** The current run (starting or running), or null. */
  get run(): ProcessRun | null {
    return this.current && !this.current.ended ? this.current : null;
  }

  /** True while a run is `running` (spawned and, with a ready check, ready). */
  get running(): boolean {
    return this.st.state === 'running';
  }

  /** The last log lines, oldest first. */
  get log(): readonly string[] {
    return this.tail;
  }

  /** Starts the first run (no-op when already started; a stopped supervisor stays stopped). */
  start(): void {
    if (this.st.state !== 'idle') return;
    this.spawnRun();
  }

  /** Resolves once a run is `running`; rejects with the reason when it is `failed` or `stopped` first. */
  whenRunning(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (s: ProcessState): boolean => {
        if (s.state === 'running') resolve();
        else if (s.state === 'failed' || s.state === 'stopped') reject(new Error(s.reason ?? `the process is ${s.state}`));
        else return false;
        return true;
      };
      if (check(this.st)) return;
      const off = this.stateChanged.on((s) => {
        if (check(s)) off();
      });
    });
  }

  /**
   * Writes to the child's stdin; false (and counted in `dropped`) when it is not running or has more than
   * maxPendingInput bytes unsent: a stalled child loses input rather than growing our memory.
   */
  write(buf: Buffer): boolean {
    const r = this.current;
    const stdin = r && !r.ended ? r.stdin : null;
    if (!stdin || stdin.destroyed || stdin.writableEnded || stdin.writableLength > this.maxPending) {
      this.dropped++;
      return false;
    }
    stdin.write(buf);
    return true;
  }

  /** Kills the current run as a failure with this reason (bad output, a stall): it is restarted with backoff. */
  kill(reason: string): void {
    const r = this.current;
    if (!r || r.ended || r.requested) return;
    r.killReason ??= reason;
    r.child.kill('SIGKILL');
  }

  /** Replaces the current run by a fresh one now (new input parameters); not counted as a failure. */
  restartNow(): void {
    if (this.stopping || this.st.state === 'failed' || this.st.state === 'idle') return;
    this.clearRetry();
    const r = this.current;
    if (r && !r.ended) {
      r.requested = true;
      r.child.kill('SIGKILL');
      r.ended = true; // the next run owns `current` from now on; this one's exit only gets reported
    }
    this.spawnRun();
  }

  /**
   * Stops for good and resolves once the child has exited: stdin is ended, the stop signal sent, and SIGKILL
   * follows after the grace period.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearRetry();
    const r = this.current;
    if (!r || r.ended) {
      if (this.st.state !== 'failed' && this.st.state !== 'stopped') this.setState('stopped', null);
      await Promise.all(this.exiting);
      return;
    }
    this.setState('stopping', null);
    r.requested = true;
    const signal = this.opts.stopSignal ?? 'SIGTERM';
    const grace = this.opts.stopGraceMs ?? 5000;
    let timer: NodeJS.Timeout | null = null;
    if (signal === 'SIGKILL' || grace <= 0) {
      r.stdin?.destroy();
      r.child.kill('SIGKILL');
    } else {
      r.stdin?.end();
      r.child.kill(signal);
      timer = setTimeout(() => r.child.kill('SIGKILL'), grace);
    }
    await Promise.all(this.exiting);
    if (timer) clearTimeout(timer);
  }

  summary(): ProcessSummary {
    const r = this.run;
    return {
      state: this.st.state,
      reason: this.st.reason,
      retryInMs: this.st.retryAt === null ? null : Math.max(0, this.st.retryAt - Date.now()),
      pid: r?.pid ?? null,
      uptimeMs: r && this.st.state === 'running' ? Date.now() - r.startedAt : null,
      restarts: Math.max(0, this.generation - 1),
      failures: this.failures,
      dropped: this.dropped,
      log: this.tail.slice(),
    };
  }

  private setState(state: ProcessStateName, reason: string | null, retryAt: number | null = null): void {
    this.st = { state, reason, retryAt };
    this.stateChanged.emit(this.st);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private pushLine(line: string): void {
    const l = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}...` : line;
    this.tail.push(l);
    if (this.tail.length > (this.opts.logLines ?? 50)) this.tail.shift();
    this.line.emit(l);
  }

  /** Splits a stream into log lines (\n, \r\n, and the \r FFmpeg ends its stats lines with). */
  private logLinesOf(stream: Readable): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      const parts = (rest + s).split(/\r\n|\r|\n/);
      rest = parts.pop() ?? '';
      if (rest.length > MAX_LINE) {
        parts.push(rest);
        rest = '';
      }
      for (const p of parts) if (p.trim()) this.pushLine(p.trimEnd());
    });
    stream.on('end', () => {
      if (rest.trim()) this.pushLine(rest.trimEnd());
      rest = '';
    });
  }

  private spawnRun(): void {
    this.setState('starting', null);
    const exe = findExecutable(this.opts.command);
    if (exe === null) {
      const hint = this.opts.installHint ? `; ${this.opts.installHint}` : '';
      this.setState('failed', `cannot run ${this.opts.command}: it is not installed (not found${this.opts.command.includes('/') ? '' : ' on PATH'})${hint}`);
      return;
    }
    const args = typeof this.opts.args === 'function' ? this.opts.args() : this.opts.args;
    const wrapper = pdeathsigWrapper();
    const [file, argv] = wrapper ? [wrapper, ['--pdeathsig', this.opts.deathSignal ?? 'SIGKILL', exe, ...args]] : [exe, args];
    const stdio: ('pipe' | 'ignore')[] = [
      this.opts.stdin ? 'pipe' : 'ignore',
      this.opts.stdout === 'pipe' || this.opts.stdout === 'log' ? 'pipe' : 'ignore',
      'pipe',
    ];
    for (let i = 0; i < (this.opts.extraPipes ?? 0); i++) stdio.push('pipe');
    let child: ChildProcess;
    try {
      child = spawn(file, argv, { stdio, env: this.opts.env, cwd: this.opts.cwd });
    } catch (e) {
      this.onRunEnded(null, `cannot start ${this.opts.command}: ${(e as Error).message}`);
      return;
    }
    if (child.pid === undefined) {
      // spawn() failed asynchronously (EAGAIN, EACCES...): 'error' follows, there is no process
      child.once('error', (e) => this.onRunEnded(null, `cannot start ${this.opts.command}: ${e.message}`));
      return;
    }
    trackChild(child);
    const gen = ++this.generation;
    let resolveExit!: (e: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((r) => (resolveExit = r));
    this.exiting.add(exited);
    void exited.then(() => this.exiting.delete(exited));
    const run: LiveRun = {
      generation: gen,
      pid: child.pid,
      startedAt: Date.now(),
      stdin: child.stdin,
      stdout: this.opts.stdout === 'pipe' ? child.stdout : null,
      pipes: child.stdio.slice(3).filter((s): s is Readable => s !== null && s !== undefined) as Readable[],
      exited,
      child,
      requested: false,
      killReason: null,
      ended: false,
    };
    this.current = run;
    child.stdin?.on('error', () => {}); // EPIPE when the child exits: handled by 'exit'
    for (const p of run.pipes) p.on('error', () => {});
    child.stderr!.on('error', () => {});
    this.logLinesOf(child.stderr!);
    if (this.opts.stdout === 'log') this.logLinesOf(child.stdout!);
    child.on('error', () => {}); // a kill() of an exited child; the exit is what counts

    let exitSeen = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exitSeen) return;
      exitSeen = true;
      liveChildren.delete(child);
      const ranMs = Date.now() - run.startedAt;
      const status = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const last = this.tail.at(-1);
      const reason = run.killReason ?? `${this.opts.command} ${status}${last ? `: ${last}` : ''}`;
      const exit: ProcessExit = { generation: gen, pid: run.pid, code, signal, ranMs, reason, requested: run.requested };
      const wasCurrent = this.current === run && !run.ended;
      run.ended = true;
      this.exited.emit(exit);
      resolveExit(exit);
      if (!wasCurrent) return; // replaced by restartNow(): the new run carries on
      if (this.stopping) {
        this.setState('stopped', null);
        return;
      }
      this.onRunEnded(exit);
    };
    // Handle the exit once stderr is drained, so the reason holds the child's last words.
    child.once('exit', (code, signal) => {
      const t = setTimeout(() => onExit(code, signal), STDIO_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(t);
        onExit(code, signal);
      });
    });
    this.spawned.emit(run);
    if (!this.opts.ready) {
      this.becameRunning();
      return;
    }
    const timeoutMs = this.opts.readyTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.opts.command} did not become ready within ${timeoutMs} ms`)), timeoutMs);
    });
    const ready = this.opts.ready(run).catch((e: Error) => {
      throw new Error(`${this.opts.command} is not ready: ${e.message}`);
    });
    Promise.race([ready, timeout, exited.then((e) => Promise.reject(new Error(e.reason)))]).then(
      () => {
        if (timer) clearTimeout(timer);
        if (this.current === run && !run.ended && !this.stopping) this.becameRunning();
      },
      (e: Error) => {
        if (timer) clearTimeout(timer);
        if (this.current === run && !run.ended) this.kill(e.message);
      },
    );
  }

  private becameRunning(): void {
    this.everRunning = true;
    this.setState('running', null);
  }

  /**
   * A run ended without being asked to (or could not start): restart with backoff, or give up. Without a
   * restart policy it ran once: exit code 0 is `stopped`, anything else `failed`.
   */
  private onRunEnded(exit: ProcessExit | null, startError = ''): void {
    const reason = exit?.reason ?? startError;
    if (this.stopping) {
      this.setState('stopped', null);
      return;
    }
    const policy = this.policy;
    if (!policy && exit?.code === 0 && !this.current?.killReason) {
      this.setState('stopped', reason);
      return;
    }
    if (exit && policy && exit.ranMs >= policy.healthyAfterMs) this.failures = 0;
    this.failures++;
    if (!policy || (!this.everRunning && this.opts.retryFirstStart === false)) {
      this.setState('failed', reason);
      return;
    }
    if (this.failures > policy.maxFailures) {
      this.setState('failed', `${reason} (gave up after ${policy.maxFailures} failures in a row)`);
      return;
    }
    const delay = Math.min(policy.initialDelayMs * 2 ** (this.failures - 1), policy.maxDelayMs);
    this.setState('retrying', reason, Date.now() + delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopping) this.spawnRun();
    }, delay);
    this.retryTimer.unref();
  }
}
