// What every test helper needs: children and temp dirs that are cleaned up even when a test fails, free
// ports, and sleep.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Kills every tracked child and removes the temp dirs (also runs on process exit). */
export function cleanupAll(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanupAll);

/** Tracks a child so cleanupAll() ends it. */
export function track(c: ChildProcess): ChildProcess {
  children.add(c);
  const forget = () => children.delete(c);
  c.on('exit', forget);
  c.on('error', forget);
  return c;
}

export function tempDir(prefix = 'srs-node-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A free TCP port (best effort: bind 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
