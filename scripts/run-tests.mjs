// Runs every compiled test file under dist/test with Node's test runner; a compiled test whose source
// test/**/*.test.ts is gone (deleted or renamed) does not run.
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
function walk(dir, out) {
  let names = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const compiled = walk(join(root, 'dist/test'), []);
const sourceOf = (f) => join(root, relative(join(root, 'dist'), f).replace(/\.js$/, '.ts'));
const stale = compiled.filter((f) => !existsSync(sourceOf(f)));
if (stale.length > 0) {
  console.error(`Not running ${stale.length} compiled tests whose source is gone: ${stale.map((f) => relative(root, f)).join(', ')}`);
}
const files = compiled
  .filter((f) => !stale.includes(f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('No test files found under dist/test: run `npm run build` first.');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
  cwd: root,
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
