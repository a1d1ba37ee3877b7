// Helpers for the control-plane tests: a real redis-server per test file (killed at the end even on failure),
// the control plane in-process behind a real HTTP server on port 0, and a small HTTP client.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, sleep, tempDir, track } from '../../support.js';
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createConnection } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../../src/config.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../src/control/index.js';
import type { Client, ClientType } from '../../../src/hub/client.js';
import { Hub } from '../../../src/hub/hub.js';
import type { StreamUrl } from '../../../src/hub/stream-url.js';
import { applyCommonHeaders } from '../../../src/servers/http/common-headers.js';

export { cleanupAll, freePort, sleep, tempDir } from '../../support.js';

/** True when something answers PING at host:port. */
export function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection(port, '127.0.0.1');
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

export async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface TestRedis {
  port: number;
  url: string;
  readonly pid: number | undefined;
  /** SIGKILL the server (data is gone: no persistence) */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** A throwaway redis-server on a free port, no persistence. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir('srs-node-redis-');
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    track(c);
    child = c;
    await waitFor(`redis-server on ${port}`, () => redisPing(port));
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    start,
  };
}

export const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testConfig(env: Record<string, string>): Config {
  return loadConfig({
    HTTP_PORT: '0',
    RTMP_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('srs-node-data-'),
    HOOK_TIMEOUT_MS: '1000',
    ...env,
  });
}

export function newHub(): Hub {
  return new Hub({ gopCache: true, gopMaxFrames: 100, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 100 });
}

export interface Plane {
  cp: ControlPlane;
  hub: Hub;
  base: string;
  config: Config;
  close(): Promise<void>;
}

export interface PlaneOptions {
  /** the address the HTTP server binds (default 127.0.0.1) */
  host?: string;
  /** the control plane's logger (default: silent) */
  logger?: Logger;
}

/**
 * The control plane with a real Hub behind a real HTTP server on port 0, with the common headers (CORS, Server,
 * OPTIONS) in front as src/app.ts puts them.
 */
export async function startPlane(env: Record<string, string>, options: ControlPlaneOptions = {}, hub = newHub(), po: PlaneOptions = {}): Promise<Plane> {
  const config = testConfig(env);
  const cp = await createControlPlane({
    config,
    hub,
    logger: po.logger ?? logger,
    version: '0.1.0',
    options: { throttle: { failDelayMs: 50 }, statsIntervalMs: 200, ...options },
  });
  const server: Server = createHttpServer((req, res) => {
    if (!applyCommonHeaders(req, res, 'srs-node/test')) cp.handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, po.host ?? '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    cp,
    hub,
    config,
    base: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await cp.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
  /** the body parsed as JSON (test-only: loosely typed on purpose) */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CallOptions {
  body?: unknown;
  /** sent as is (not JSON-encoded) */
  raw?: string | Buffer;
  bearer?: string;
  headers?: Record<string, string>;
  /** bind the client socket to this local address (e.g. 127.0.0.2 to look like another client) */
  localAddress?: string;
}

/** One HTTP request; resolves with the status, headers and body (parsed as JSON when it is). */
export function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = o.raw !== undefined ? Buffer.from(o.raw) : o.body !== undefined ? Buffer.from(JSON.stringify(o.body)) : null;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (payload) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (o.bearer) headers.Authorization = `Bearer ${o.bearer}`;
    const req = request(`${base}${path}`, { method, headers, localAddress: o.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload ?? undefined);
  });
}

/** A fake publisher or viewer registered in the hub (a real server would do this). */
export function fakeClient(hub: Hub, url: StreamUrl, type: ClientType, publish: boolean): Client & { closedWith: string | null } {
  const c = {
    id: Math.random().toString(36).slice(2, 10),
    ip: '127.0.0.1',
    type,
    url,
    requestUrl: `rtmp://127.0.0.1/${url.app}/${url.stream}${url.param}`,
    publish,
    createdAt: Date.now(),
    sendBytes: 0,
    recvBytes: 0,
    closedWith: null as string | null,
    close(reason: string) {
      c.closedWith = reason;
      hub.clients.remove(c);
      if (claimed && !claimed.busy) claimed.release();
    },
  };
  hub.clients.add(c);
  const claimed = publish ? hub.claim(url, c) : null;
  return c;
}
