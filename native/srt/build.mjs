// Builds the SRT addon (build/Release/srt_native.node) with node-gyp, only when
// it is missing or older than its sources. Called by the project's setup
// script: `node native/srt/build.mjs [--force]`. Exits non-zero, with one line
// naming the Debian package, when libsrt's headers are not installed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MISSING_MESSAGE, srtHeadersPresent } from './srt-config.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, 'build', 'Release', 'srt_native.node');
const force = process.argv.includes('--force');

function newestSourceMtime() {
  const files = ['binding.gyp', 'srt-config.mjs'].map((f) => join(here, f));
  for (const name of readdirSync(join(here, 'src'))) {
    if (/\.(cc|h)$/.test(name)) files.push(join(here, 'src', name));
  }
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function upToDate() {
  if (!existsSync(output)) return false;
  return statSync(output).mtimeMs >= newestSourceMtime();
}

// node-gyp ships inside npm; prefer that copy, then one in node_modules, then npx.
function nodeGypCommand() {
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, [bundled]];
  try {
    const resolved = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
    return [process.execPath, [resolved]];
  } catch {
    return ['npx', ['--no-install', 'node-gyp']];
  }
}

// Use the installed Node headers when present, so node-gyp downloads nothing.
function nodedirArgs() {
  const configured = process.env.npm_config_nodedir;
  if (configured) return [`--nodedir=${configured}`];
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

if (!srtHeadersPresent()) {
  console.error(MISSING_MESSAGE);
  process.exit(1);
}
if (!force && upToDate()) process.exit(0);

const [command, baseArgs] = nodeGypCommand();
const args = [...baseArgs, 'rebuild', '--jobs=max', ...nodedirArgs()];
const result = spawnSync(command, args, { cwd: here, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (result.status !== 0 || !existsSync(output)) {
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  // The compiler's own lines matter; node-gyp's "gyp info" chatter does not.
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('gyp info'));
  console.error(lines.slice(-60).join('\n'));
  if (result.error) console.error(String(result.error));
  console.error(`SRT: building the addon failed (node-gyp exit ${result.status ?? 'signal ' + result.signal}); in ${relative(process.cwd(), here) || '.'}`);
  process.exit(1);
}
console.log(`SRT: built ${relative(process.cwd(), output)}`);
