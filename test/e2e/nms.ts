// node-media-server (the devDependency) as a third-party RTMP server for tests: started on the given or free
// ports with its own data directory, stopped by its pid.
import { connect as netConnect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { freePort, run, tempDir, waitFor, type Proc } from './helpers.js';

export interface Nms {
  rtmpPort: number;
  httpPort: number;
  proc: Proc;
  /** kills it and waits for it to exit */
  stop(): Promise<void>;
}

export async function startNms(ports: { rtmp?: number; http?: number } = {}): Promise<Nms> {
  const rtmpPort = ports.rtmp ?? (await freePort());
  const httpPort = ports.http ?? (await freePort());
  const dir = tempDir('nms-');
  const config = {
    bind: '127.0.0.1',
    notify: { url: '' },
    store: { path: join(dir, 'data'), maxHistory: 100 },
    auth: { play: false, publish: false, secret: 'x'.repeat(32), jwt: { secret: 'y'.repeat(64), expiresIn: '24h', refreshExpiresIn: '7d', algorithm: 'HS256', users: [] } },
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    webadmin: { enable: false },
    record: { auto: false, path: join(dir, 'record') },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const bin = createRequire(import.meta.url).resolve('node-media-server/bin/app.js');
  const proc = run(process.execPath, [bin, '-c', join(dir, 'config.json'), '--no-admin']);
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = netConnect(rtmpPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    15000,
    `node-media-server listening on ${rtmpPort}: ${proc.stderr()}`,
  );
  return {
    rtmpPort,
    httpPort,
    proc,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
