// The embedded Redis: when REDIS_URL is unset the server runs Debian's redis-server itself, with its data in
// DATA_DIR/redis (append-only file on), listening only on a unix socket there (no TCP port, nothing exposed),
// watches it, restarts it with a log line when it dies, and stops it on close.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
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
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private lastStart = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly logTail: string[] = [];
  private readonly binary: string;
  private readonly pidFile: string;
  private readonly onProcessExit = () => this.child?.kill('SIGKILL');

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
    return this.child?.pid ?? null;
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
    this.stopping = false;
    process.on('exit', this.onProcessExit);
    await this.spawnAndWait();
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

  private spawnChild(): ChildProcess {
    const child = spawn(this.binary, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.lastStart = Date.now();
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        this.logTail.push(line.trim());
        if (this.logTail.length > 30) this.logTail.shift();
        this.opts.logger.debug({ redis: line.trim() }, 'redis-server');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.child = child;
    return child;
  }

  private async spawnAndWait(): Promise<void> {
    const child = this.spawnChild();
    const timeoutMs = this.opts.startTimeoutMs ?? 10000;
    let exited: string | null = null;
    const onExit = (code: number | null, signal: string | null) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
    };
    child.once('exit', onExit);
    child.once('error', (e) => {
      exited = `could not be started: ${e.message}`;
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await this.ping())) {
      if (exited || Date.now() > deadline) {
        child.kill('SIGKILL');
        const why = exited ?? `did not accept connections within ${timeoutMs} ms`;
        throw new ControlPlaneError(
          `the embedded redis-server ${why}; its last log lines: ${this.logTail.slice(-5).join(' | ') || '(none)'}; ` +
            `check that ${this.opts.dir} is writable, or set REDIS_URL to use another Redis`,
        );
      }
      await sleep(50);
    }
    child.off('exit', onExit);
    child.once('exit', (code, signal) => this.onUnexpectedExit(child, code, signal));
    this.opts.logger.info({ pid: child.pid, socket: this.socketPath, dir: this.opts.dir }, 'embedded redis-server started');
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

  private onUnexpectedExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.child === child) this.child = null;
    if (this.stopping) return;
    if (Date.now() - this.lastStart > 60000) this.restarts = 0;
    this.restarts++;
    const delay = Math.min(250 * 2 ** (this.restarts - 1), 10000);
    this.opts.logger.error(
      { pid: child.pid, code, signal, restarts: this.restarts },
      `the embedded redis-server (pid ${child.pid}) died (${signal ?? `exit code ${code}`}); restarting it in ${delay} ms; ` +
        `the API answers 503 meanwhile, media keeps flowing; last log: ${this.logTail.slice(-3).join(' | ')}`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.spawnAndWait().then(
        () => this.opts.logger.info({ pid: this.child?.pid }, 'the embedded redis-server is running again'),
        (e: Error) => {
          this.opts.logger.error({ err: e.message }, `restarting the embedded redis-server failed: ${e.message}`);
          // Try again later, with a longer delay.
          if (!this.stopping) this.onUnexpectedExit(this.child ?? child, null, 'start failure');
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  /** Stops redis-server (SIGTERM: it flushes the AOF; SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    process.off('exit', this.onProcessExit);
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    if (this.socketPath.startsWith(tmpdir())) rmSync(this.socketPath, { force: true });
    this.opts.logger.info({ pid: child.pid }, 'embedded redis-server stopped');
  }
}
