// Child processes of the benchmark: the server under test (ours, node-media-server or the ideal fan-out),
// pinned to its own core; the bench publisher; the load clients. Every child is ended by its pid.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, track } from '../test/support.js';
import { DIST_BENCH, ROOT, WORK_DIR, sleep, type ClientCommand, type ClientReply, type KeysMessage, type Target } from './common.js';

export type ServerKind = 'ours' | 'nms' | 'floor';

export { freePort };

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitPorts(ports: number[], child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20000;
  for (const p of ports) {
    while (!(await canConnect(p))) {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before listening; see its log in bench/work/logs`);
      if (Date.now() > deadline) throw new Error(`${what} did not listen on ${p} within 20 s`);
      await sleep(100);
    }
  }
}

/** Ends a child by its pid: SIGINT (so --cpu-prof writes its profile), then SIGKILL after `graceMs`. */
export async function stopChild(c: ChildProcess, graceMs = 8000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  try {
    process.kill(c.pid, 'SIGINT');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      if (c.pid) process.kill(c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await done;
  clearTimeout(t);
}

export interface ServerUnderTest {
  kind: ServerKind;
  pid: number;
  child: ChildProcess;
  httpPort: number;
  rtmpPort: number;
  dataDir: string;
  /** what a publish URL needs after the stream name (our server's publish secret) */
  publishQuery: string;
  /** our server's API bearer secret ('' for the others) */
  apiSecret: string;
  /** keyframe table of the ideal fan-out (it is its own source) */
  keys?: () => Promise<[number, number][]>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  kind: ServerKind;
  cpu: string;
  /** ours: MW_LATENCY; floor: write interval */
  mwMs?: number;
  source: string;
  profileDir?: string;
  logName: string;
}

export async function startServer(o: ServerOptions): Promise<ServerUnderTest> {
  const httpPort = await freePort();
  const rtmpPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'srs-node-bench-'));
  mkdirSync(join(WORK_DIR, 'logs'), { recursive: true });
  const logFd = openSync(join(WORK_DIR, 'logs', `${o.logName}.log`), 'w');
  const node = process.execPath;
  let args: string[];
  let env: NodeJS.ProcessEnv = { ...process.env };
  const apiSecret = randomBytes(16).toString('hex');
  if (o.kind === 'ours') {
    const prof = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
    args = [...prof, join(ROOT, 'dist/src/main.js')];
    env = {
      ...env,
      HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      RTMP_PORT: String(rtmpPort),
      HTTPS_PORT: String(await freePort()),
      RTMPS_PORT: '0',
      RTC_PORT: String(await freePort()),
      SRT_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      MW_LATENCY: String(o.mwMs ?? 350),
      LOG_LEVEL: 'info',
      SRS_PLATFORM_SECRET: apiSecret,
    };
    delete env.REDIS_URL; // the server starts its own Redis in DATA_DIR
  } else if (o.kind === 'nms') {
    args = [join(DIST_BENCH, 'nms.js'), String(rtmpPort), String(httpPort), dataDir];
  } else {
    args = [join(DIST_BENCH, 'ideal.js'), String(httpPort), o.source, String(o.mwMs ?? 350)];
  }
  // taskset execs node: the pid we get is the server's, and the IPC channel (fd 3) is inherited.
  const child = track(spawn('taskset', ['-c', o.cpu, node, ...args], { cwd: ROOT, env, stdio: ['ignore', logFd, logFd, 'ipc'] }));
  closeSync(logFd);
  child.on('error', () => {});
  const what = o.kind === 'ours' ? 'this server' : o.kind === 'nms' ? 'node-media-server' : 'the ideal fan-out';
  await waitPorts(o.kind === 'floor' ? [httpPort] : [httpPort, rtmpPort], child, what);
  const publishQuery = o.kind === 'ours' ? `?secret=${await publishSecret(httpPort, apiSecret)}` : '';
  const s: ServerUnderTest = {
    kind: o.kind,
    publishQuery,
    apiSecret: o.kind === 'ours' ? apiSecret : '',
    pid: child.pid!,
    child,
    httpPort,
    rtmpPort,
    dataDir,
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (o.kind === 'floor') s.keys = () => askKeys(child);
  return s;
}

/** Our server's publish secret, from its API (SRS Stack's hooks/srs/secret/query). */
async function publishSecret(port: number, apiSecret: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/terraform/v1/hooks/srs/secret/query`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiSecret}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  const j = (await r.json()) as { code?: number; data?: { publish?: string } };
  if (!r.ok || !j.data?.publish) throw new Error(`cannot read the publish secret from the API: HTTP ${r.status} ${JSON.stringify(j)}`);
  return j.data.publish;
}

function askKeys(c: ChildProcess): Promise<[number, number][]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no keyframe table from the publisher within 5 s')), 5000);
    const on = (m: KeysMessage) => {
      if (m.type !== 'keys') return;
      clearTimeout(t);
      c.off('message', on);
      resolve(m.keys);
    };
    c.on('message', on);
    c.send({ cmd: 'keys' });
  });
}

export interface Publisher {
  child: ChildProcess;
  keys(): Promise<[number, number][]>;
  stop(): Promise<void>;
}

/** Starts the bench publisher; resolves once its first keyframe is out. */
export async function startPublisher(rtmpUrl: string, source: string): Promise<Publisher> {
  const child = track(fork(join(DIST_BENCH, 'publisher.js'), [rtmpUrl, source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the bench publisher did not start within 20 s')), 20000);
    child.on('message', (m: { type: string; error?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(t);
        resolve();
      } else if (m.type === 'error') {
        clearTimeout(t);
        reject(new Error(`bench publisher: ${m.error}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`the bench publisher exited (${code})`)));
  });
  return {
    child,
    keys: () => askKeys(child),
    stop: () => stopChild(child, 3000),
  };
}

/** One load client process and its command channel. */
export class LoadClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: ClientReply) => void>();
  readonly child: ChildProcess;
  readonly ready: Promise<void>;

  constructor(target: Target) {
    this.child = track(fork(join(DIST_BENCH, 'load-client.js'), [JSON.stringify(target)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => {
        reject(new Error(`a load client exited (${code})`));
        for (const w of this.waiting.values()) w({ id: 0, ok: false, error: `load client exited (${code})` });
        this.waiting.clear();
      });
      this.child.on('message', (m: ClientReply) => {
        if (m.id === 0) return resolve();
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.(m);
      });
    });
    this.ready.catch(() => {});
  }

  send<C extends ClientCommand['cmd']>(cmd: C, extra: Omit<Extract<ClientCommand, { cmd: C }>, 'cmd' | 'id'>): Promise<ClientReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ cmd, id, ...extra });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.send({ cmd: 'exit', id: this.nextId++ });
    const t = setTimeout(() => this.child.pid && process.kill(this.child.pid, 'SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
  }
}
