// Starts test/rtsp-camera-server.py (GStreamer's RTSP server) as a camera for a test, on a free port, and
// kills it (SIGKILL) when asked or when the test process exits.
import { fileURLToPath } from 'node:url';
import { freePort, run, waitFor, type Proc } from './helpers.js';

const script = fileURLToPath(new URL('../../../test/rtsp-camera-server.py', import.meta.url));

export interface CameraOptions {
  port?: number;
  video?: 'h264' | 'h265' | 'none';
  audio?: 'aac' | 'none';
  user?: string;
  password?: string;
  auth?: 'digest' | 'basic';
  path?: string;
  /** refuse UDP transport (SETUP over UDP answers 461) */
  tcpOnly?: boolean;
  /** sessions expire after this many seconds without a keepalive */
  sessionTimeout?: number;
}

export interface TestCamera {
  port: number;
  proc: Proc;
  /** rtsp://user:password@127.0.0.1:port/cam (credentials as given, or the camera's) */
  url(user?: string, password?: string): string;
  kill(): Promise<void>;
}

export async function startCamera(o: CameraOptions = {}): Promise<TestCamera> {
  const port = o.port ?? (await freePort());
  const path = o.path ?? '/cam';
  const args = [script, '--port', String(port), '--path', path, '--video', o.video ?? 'h264', '--audio', o.audio ?? 'aac'];
  if (o.tcpOnly) args.push('--tcp-only');
  if (o.sessionTimeout) args.push('--session-timeout', String(o.sessionTimeout));
  if (o.user) args.push('--user', o.user, '--password', o.password ?? '', '--auth', o.auth ?? 'digest');
  const proc = run('/usr/bin/python3', args);
  await waitFor(() => proc.stdout().toString().includes('ready') || proc.child.exitCode !== null, 15000, 'the RTSP camera to listen');
  if (!proc.stdout().toString().includes('ready')) throw new Error(`the RTSP camera did not start: ${proc.stderr()}`);
  return {
    port,
    proc,
    url: (user = o.user, password = o.password) =>
      `rtsp://${user ? `${encodeURIComponent(user)}:${encodeURIComponent(password ?? '')}@` : ''}127.0.0.1:${port}${path}`,
    async kill() {
      proc.kill();
      await proc.exited;
    },
  };
}
