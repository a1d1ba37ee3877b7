// The embedded Redis: when REDIS_URL is unset the server runs Debian's redis-server itself, with its data in
// DATA_DIR/redis (append-only file on), listening only on a unix socket there (no TCP port, nothing exposed),
// watches it, restarts it with a log line when it dies, and stops it on close; core's ProcessSupervisor does
// the spawning, backoff and stopping, and has the kernel SIGTERM it (so it flushes its AOF) if we die.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ProcessSupervisor, type ProcessExit, type ProcessRun } from '../../core/process-supervisor.js';
import { ControlPlaneError } from '../errors.js';

export interface EmbeddedRedisOptions {
  /** directory for the AOF/RDB files, the pid file and (usually) the socket: DATA_DIR/redis */
  dir: string;
  logger: Logger;
  /** the redis-server binary (default /usr/bin/redis-server) */
  binary?: string;
  /** ms to wait for redis-server to accept connections (default 10000) */
  startTimeoutMs?: number;
}

const MAX_SOCKET_PATH = 100; // sun_path is 108 bytes on Linux; keep a margin

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A redis-server child process owned by this server. */
export class EmbeddedRedis {
  readonly socketPath: string;
  private sup: ProcessSupervisor | null = null;
  private readonly binary: string;
  private readonly pidFile: string;

  constructor(private readonly opts: EmbeddedRedisOptions) {
    this.binary = opts.binary ?? '/usr/bin/redis-server';
    this.pidFile = join(opts.dir, 'redis.pid');
    const inDir = join(opts.dir, 'redis.sock');
    this.socketPath =
      inDir.length <= MAX_SOCKET_PATH
        ? inDir
        : join(tmpdir(), `srs-node-redis-${createHash('sha1').update(opts.dir).digest('hex').slice(0, 16)}.sock`);
  }

  /** The running redis-server's pid, or null. */
  get pid(): number | null {
    return this.sup?.run?.pid ?? null;
  }

  get url(): string {
    return `unix://${this.socketPath}`;
  }

  /** Starts redis-server and resolves once it accepts connections on its socket. */
  async start(): Promise<void> {
    if (!existsSync(this.binary)) {
      throw new ControlPlaneError(
        `cannot run the embedded Redis: ${this.binary} does not exist; install redis-server (apt-get install redis-server) or set REDIS_URL`,
      );
    }
    mkdirSync(this.opts.dir, { recursive: true });
    await this.killStale();
    const log = this.opts.logger;
    const sup = new ProcessSupervisor({
      command: this.binary,
      args: this.args(),
      stdout: 'log', // --logfile '' logs to stdout
      restart: { initialDelayMs: 250, maxDelayMs: 10_000, healthyAfterMs: 60_000 },
      retryFirstStart: false, // a first start that fails is a configuration problem: say so at once
      ready: (run) => this.waitForPing(run),
      readyTimeoutMs: this.opts.startTimeoutMs ?? 10_000,
      stopSignal: 'SIGTERM', // it flushes the AOF
      stopGraceMs: 5000,
      deathSignal: 'SIGTERM',
      logLines: 30,
    });
    this.sup = sup;
    sup.line.on((line) => log.debug({ redis: line }, 'redis-server'));
    let died: ProcessExit | null = null;
    let startedOnce = false;
    sup.exited.on((e) => {
      if (!e.requested) died = e;
    });
    sup.stateChanged.on((s) => {
      if (s.state === 'running') {
        const pid = sup.run?.pid;
        if (startedOnce) log.info({ pid }, 'the embedded redis-server is running again');
        else log.info({ pid, socket: this.socketPath, dir: this.opts.dir }, 'embedded redis-server started');
        startedOnce = true;
      } else if (s.state === 'retrying' && died) {
        const d: ProcessExit = died;
        log.error(
          { pid: d.pid, code: d.code, signal: d.signal, restarts: sup.summary().restarts },
          `the embedded redis-server (pid ${d.pid}) died (${d.signal ?? `exit code ${d.code}`}); restarting it in ${Math.max(0, (s.retryAt ?? 0) - Date.now())} ms; ` +
            `the API answers 503 meanwhile, media keeps flowing; ${s.reason}; last log: ${sup.log.slice(-3).join(' | ')}`,
        );
      }
    });
    sup.start();
    try {
      await sup.whenRunning();
    } catch (e) {
      throw new ControlPlaneError(
        `the embedded redis-server could not be started (${(e as Error).message}); its last log lines: ${sup.log.slice(-5).join(' | ') || '(none)'}; ` +
          `check that ${this.opts.dir} is writable, or set REDIS_URL to use another Redis`,
      );
    }
  }

  /** A redis-server left over from a previous run that was killed hard would keep our AOF open: end it. */
  private async killStale(): Promise<void> {
    let pid = 0;
    try {
      pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return;
    }
    // The pid file is in our own data directory, so a live redis-server under that pid is ours.
    if (!cmdline.includes('redis-server')) return;
    this.opts.logger.warn({ pid }, `stopping a redis-server left over from a previous run (pid ${pid}) before starting ours`);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  private args(): string[] {
    return [
      '--port', '0',
      '--unixsocket', this.socketPath,
      '--unixsocketperm', '700',
      '--dir', this.opts.dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--pidfile', this.pidFile,
      '--daemonize', 'no',
      '--logfile', '',
    ];
  }

  /** Resolves once redis-server answers PING on its socket (the supervisor bounds the wait). */
  private async waitForPing(run: ProcessRun): Promise<void> {
    let gone = false;
    void run.exited.then(() => (gone = true));
    while (!gone && !(await this.ping())) await sleep(50); // an exit is reported by the supervisor
  }

  /** True when redis-server answers PING on the socket (a raw RESP exchange, no client library). */
  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const sock = createConnection(this.socketPath);
      const done = (ok: boolean) => {
        sock.destroy();
        resolve(ok);
      };
      sock.setTimeout(500, () => done(false));
      sock.once('error', () => done(false));
      sock.once('connect', () => sock.write('PING\r\n'));
      sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  }

  /** Stops redis-server (SIGTERM: it flushes the AOF; SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const sup = this.sup;
    if (!sup) return;
    const pid = sup.run?.pid;
    await sup.stop();
    if (this.socketPath.startsWith(tmpdir())) rmSync(this.socketPath, { force: true });
    if (pid !== undefined) this.opts.logger.info({ pid }, 'embedded redis-server stopped');
  }
}
