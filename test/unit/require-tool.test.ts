// requireTool (test/support.ts): a missing tool skips its tests locally and fails the run when CI=true.
// Checked on a small test file run by Node's test runner with ffmpeg off the PATH and the SRT addon pointed
// at a file that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../support.js';

const supportUrl = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'support.js')).href;

function runFile(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const file = join(tempDir('srs-node-require-tool-'), 'needs-tools.test.mjs');
  writeFileSync(
    file,
    [
      "import { test } from 'node:test';",
      `import { requireTool } from ${JSON.stringify(supportUrl)};`,
      "test('needs ffmpeg', { skip: requireTool('ffmpeg') }, () => {});",
      "test('needs the SRT addon', { skip: requireTool('srt-addon') }, () => {});",
      "test('needs nothing', () => {});",
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], {
    env: { PATH: '/nonexistent-bin', SRT_NATIVE_ADDON: '/nonexistent/srt_native.node', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

test('without CI a missing tool skips its tests with a message saying what to install', async () => {
  const r = await runFile({});
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /# skipped 2/);
  assert.match(r.out, /# fail 0/);
  assert.match(r.out, /SKIP ffmpeg is not installed \(apt-get install ffmpeg\)/);
  assert.match(r.out, /SKIP SRT addon not built: run npm run build:srt/);
});

test('with CI=true a missing tool fails the run, naming the tool', async () => {
  const r = await runFile({ CI: 'true' });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /not ok \d+ - ffmpeg is available \(CI=true: a missing tool fails the run\)/);
  assert.match(r.out, /not ok \d+ - srt-addon is available/);
  assert.match(r.out, /# fail 2/);
  assert.match(r.out, /# pass 1/);
});
