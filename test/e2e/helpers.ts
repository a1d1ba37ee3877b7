// Shared helpers for end-to-end tests: start the real server on free ports, run real ffmpeg/ffprobe, and
// make sure every child process ends even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { freePort, sleep, tempDir, track } from '../support.js';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';

export { cleanupAll, freePort, sleep, tempDir } from '../support.js';

export function randomName(prefix = 's'): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10)}`;
}

export interface TestServer {
  app: App;
  http: string;
  rtmp: string;
  dataDir: string;
  /** the API bearer secret */
  bearer: string;
  /** the publish secret */
  secret: string;
  /** rtmp://.../live/<name>?secret=<publish secret> */
  publishUrl(name: string, app?: string): string;
  /** POSTs JSON to an API path with the bearer secret */
  api<T = unknown>(path: string, body?: unknown): Promise<{ status: number; code: number; data: T; message?: string }>;
  /** the server's log lines so far, when started with captureLogs */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export const TEST_BEARER = `srs-v2-${'7e57'.repeat(8)}`;

export interface StartOptions {
  /** the data directory (default: a new temp dir) */
  dataDir?: string;
  /** keep the log lines (level info) for logs() instead of printing warnings */
  captureLogs?: boolean;
}

/** Starts the real server in this process on free ports with its own data directory. */
export async function startServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir('srs-node-data-');
  const lines: Record<string, unknown>[] = [];
  const config = loadConfig({
    HTTP_PORT: '0',
    RTMP_PORT: '0',
    RTC_PORT: '0',
    HTTPS_PORT: '0',
    RTMPS_PORT: '0',
    SRT_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SRS_PLATFORM_SECRET: TEST_BEARER,
    // 2 s HLS segments, 5 in the playlist (not the 10 s and 60 s of the default setting) so that tests get a
    // playlist quickly; a test of the HLS settings passes HLS_FRAGMENT: '', HLS_WINDOW: '' to follow them.
    HLS_FRAGMENT: '2',
    HLS_WINDOW: '5',
    LOG_LEVEL: opts.captureLogs ? 'info' : (process.env.TEST_LOG_LEVEL ?? 'warn'),
    ...env,
  });
  const logger = opts.captureLogs
    ? pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            for (const l of chunk.toString().split('\n')) {
              if (!l) continue;
              try {
                lines.push(JSON.parse(l) as Record<string, unknown>);
              } catch {
                /* not JSON */
              }
            }
            cb();
          },
        }),
      )
    : pino({ level: config.logLevel });
  const app = await startApp(config, { logger });
  const http = `http://127.0.0.1:${app.httpPort}`;
  const rtmp = `rtmp://127.0.0.1:${app.rtmpPort}`;
  const bearer = config.platformSecret!;
  const api = async <T,>(path: string, body: unknown = {}) => {
    const r = await fetch(`${http}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const j = (await r.json()) as { code: number; data: T; message?: string };
    return { status: r.status, code: j.code, data: j.data, message: j.message };
  };
  let secret = '';
  try {
    secret = (await api<{ publish: string }>('/terraform/v1/hooks/srs/secret/query')).data.publish;
  } catch (e) {
    await app.close();
    throw e;
  }
  return {
    app,
    http,
    rtmp,
    dataDir,
    bearer,
    secret,
    publishUrl: (name, appName = 'live') => `${rtmp}/${appName}/${name}?secret=${secret}`,
    api,
    logs: () => lines,
    close: () => app.close(),
  };
}

export interface Proc {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => Buffer;
  exited: Promise<number | null>;
  kill(): void;
}

/** Spawns a process (with extra environment variables) that is killed when the test process exits. */
export function run(cmd: string, args: string[], env?: Record<string, string>): Proc {
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) }));
  let err = '';
  const out: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(-1));
  });
  return {
    child,
    stderr: () => err,
    stdout: () => Buffer.concat(out),
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

/** ffmpeg publishing a 320x240 25 fps H.264 + AAC test pattern in real time (2 s GOP). */
export function publish(url: string, opts: { seconds?: number; size?: string; format?: string } = {}): Proc {
  const size = opts.size ?? '320x240';
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`];
  args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100');
  if (opts.seconds) args.push('-t', String(opts.seconds));
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p');
  args.push('-c:a', 'aac', '-b:a', '64k', '-f', opts.format ?? 'flv', url);
  return run('ffmpeg', args);
}

export interface ProbeStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

/** ffprobe a URL or file; returns its streams and format. */
export async function probe(
  target: string,
  extra: string[] = [],
): Promise<{ streams: ProbeStream[]; format?: { duration?: string }; frames?: { key_frame: number; media_type: string; pkt_pts_time?: string; pts_time?: string }[] }> {
  const p = run('ffprobe', ['-v', 'error', '-rw_timeout', '15000000', ...extra, '-of', 'json', '-show_streams', '-show_format', target]);
  const code = await withTimeout(p.exited, 30000, () => p.kill());
  if (code !== 0) throw new Error(`ffprobe ${target} failed (${code}): ${p.stderr()}`);
  return JSON.parse(p.stdout().toString() || '{}');
}

export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export async function waitFor<T>(fn: () => T | Promise<T>, ms = 15000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(100);
  }
}


export function summarize(streams: ProbeStream[]): string {
  return streams
    .map((s) => (s.codec_type === 'video' ? `${s.codec_name} ${s.width}x${s.height}` : `${s.codec_name}`))
    .sort()
    .join(', ');
}
