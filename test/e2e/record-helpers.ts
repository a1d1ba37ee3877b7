// Helpers for the recording end-to-end tests: the real server in-process with its log captured, the
// record API, a local receiver for HTTP callbacks, s3rver (an S3-compatible server) started in-process on a
// temporary directory, and waiting for a recording to reach a state.
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { RecordFile } from '../../src/control/jobs/record/artifact.js';
import { freePort, sleep, startServer, tempDir, type TestServer } from './helpers.js';

export interface RecordServer extends TestServer {
  files(): Promise<RecordFile[]>;
}

/** Starts the real server in this process with a captured log (level info) and its own data directory. */
export async function startRecordServer(env: Record<string, string> = {}, dataDir = tempDir('srs-node-record-')): Promise<RecordServer> {
  const s = await startServer(env, { dataDir, captureLogs: true });
  return { ...s, files: async () => (await s.api<RecordFile[]>('/terraform/v1/hooks/record/files')).data };
}

/** Waits until a recording of `stream` satisfies `pred`; returns it. */
export async function waitRecording(
  s: RecordServer,
  stream: string,
  pred: (f: RecordFile) => boolean,
  ms = 30000,
  what = 'the recording',
): Promise<RecordFile> {
  const end = Date.now() + ms;
  let last: RecordFile[] = [];
  for (;;) {
    last = (await s.files()).filter((f) => f.stream === stream);
    const hit = last.find(pred);
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what} of ${stream}; have ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** A local HTTP server that answers {"code":0} and keeps every JSON body it gets. */
export async function hookReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      try {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      } catch {
        /* ignore */
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<unknown>;
}
type S3rverCtor = new (o: Record<string, unknown>) => S3rverInstance;

/** s3rver in this process on a fixed port and directory, so it can be stopped and started again. */
export class TestS3 {
  private server: S3rverInstance | null = null;
  readonly dir = tempDir('srs-node-s3-');
  port = 0;
  readonly accessKey = 'S3RVER';
  readonly secretKey = 'S3RVER';

  constructor(readonly bucket: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    if (!this.port) this.port = await freePort();
    const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
    const server = new S3rver({
      port: this.port,
      address: '127.0.0.1',
      directory: this.dir,
      silent: true,
      configureBuckets: [{ name: this.bucket }],
    });
    await server.run();
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await s.close();
  }
}
