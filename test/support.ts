// What every test helper needs: children and temp dirs that are cleaned up even when a test fails, free
// ports, sleep, and requireTool (skip locally, fail in CI, when ffmpeg, ffprobe or the SRT addon is missing).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADDON_NOT_BUILT_MESSAGE, srtAvailable } from '../native/srt/index.js';

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

/** What some tests need besides Node: checked by requireTool. */
export type Tool = 'ffmpeg' | 'ffprobe' | 'ffmpeg-srt' | 'srt-addon' | 'rtsp-server';

function runs(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout : null;
}

const TOOLS: Record<Tool, { present: () => boolean; missing: string }> = {
  ffmpeg: { present: () => runs('ffmpeg', ['-version']) !== null, missing: 'ffmpeg is not installed (apt-get install ffmpeg)' },
  ffprobe: { present: () => runs('ffprobe', ['-version']) !== null, missing: 'ffprobe is not installed (apt-get install ffmpeg)' },
  'ffmpeg-srt': {
    present: () => /^\s*srt\s*$/m.test(runs('ffmpeg', ['-hide_banner', '-protocols']) ?? ''),
    missing: "ffmpeg is missing or built without libsrt (Debian's ffmpeg has it: apt-get install ffmpeg)",
  },
  'srt-addon': { present: srtAvailable, missing: ADDON_NOT_BUILT_MESSAGE },
  'rtsp-server': {
    present: () =>
      runs('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer; print('ok')"]) !== null,
    missing:
      "GStreamer's RTSP server for python3 is not installed (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good " +
      'gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav)',
  },
};

const checked = new Map<Tool, boolean>();
const failedInCi = new Set<Tool>();

/** True when the tests run in CI (CI=true, as .ci/run and CI services set it). */
export function inCi(): boolean {
  return ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
}

/**
 * For the `skip` option of `describe`/`test`: false when every tool is there, else a message saying what to
 * install, so the tests skip. In CI (CI=true) a missing tool must fail the run instead of skipping quietly:
 * a test named after the tool fails with that message (once per file), and the tests that need it skip.
 */
export function requireTool(...tools: Tool[]): false | string {
  const missing: string[] = [];
  for (const tool of tools) {
    let present = checked.get(tool);
    if (present === undefined) {
      present = TOOLS[tool].present();
      checked.set(tool, present);
    }
    if (present) continue;
    const message = TOOLS[tool].missing;
    missing.push(message);
    if (inCi() && !failedInCi.has(tool)) {
      failedInCi.add(tool);
      test(`${tool} is available (CI=true: a missing tool fails the run)`, () => {
        throw new Error(`${message}; CI=true runs every test, so install it (npm test runs scripts/setup.mjs, which does)`);
      });
    }
  }
  return missing.length === 0 ? false : missing.join('; ');
}
