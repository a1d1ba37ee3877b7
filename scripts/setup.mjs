// Installs and builds what `npm start` / `npm test` need, quickly when everything is already there:
// npm packages, Debian packages (apt-get when root, else one line saying what to install), the TypeScript
// build (also when a compiled file is missing; compiled files of deleted sources are removed) and the
// native SRT addon.
import { existsSync, statSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const forWhat = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'start';
const log = (m) => console.error(`[setup] ${m}`);

// Node: scripts/run-tests.mjs uses --test-concurrency (Node 20.10) and --test-timeout (Node 20.11; 21.2 on 21).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11) || (major === 21 && minor < 2)) {
  log(`Node ${process.versions.node} is too old: install Node.js 20.11 or newer (the test runner needs --test-timeout).`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

// 1. npm packages: install when node_modules is missing or older than package.json / the lock file.
function mtime(p) {
  try {
    return statSync(join(root, p)).mtimeMs;
  } catch {
    return 0;
  }
}
const marker = 'node_modules/.package-lock.json';
if (!existsSync(join(root, marker)) || mtime('package.json') > mtime(marker) || mtime('package-lock.json') > mtime(marker)) {
  log('installing npm packages');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}

// 2. Debian packages.
const needs = [
  { pkg: 'ffmpeg', check: () => has('ffmpeg') && has('ffprobe'), for: ['start', 'test', 'bench'] },
  { pkg: 'redis-server', check: () => has('redis-server'), for: ['start', 'test', 'bench'] },
  { pkg: 'libsrt-openssl-dev', check: () => existsSync('/usr/include/srt/srt.h'), for: ['start', 'test', 'bench'] },
  { pkg: 'chromium', check: () => existsSync('/usr/bin/chromium'), for: ['test'] },
  // The native SRT addon's build (node-gyp: a C++ compiler, make, python3; pkg-config for libsrt's flags).
  { pkg: 'build-essential', check: () => has('g++') && has('make'), for: ['start', 'test', 'bench'] },
  { pkg: 'python3', check: () => has('python3'), for: ['start', 'test', 'bench'] },
  { pkg: 'pkg-config', check: () => has('pkg-config'), for: ['start', 'test', 'bench'] },
  // A real ACME CA (pebble, pebble-challtestsrv) for the Let's Encrypt tests; openssl makes the upload tests' chains.
  { pkg: 'pebble', check: () => has('pebble') && has('pebble-challtestsrv'), for: ['test'] },
  { pkg: 'openssl', check: () => has('openssl'), for: ['test'] },
  // An RTSP camera for the IP camera tests: GStreamer's RTSP server through python3-gi (test/rtsp-camera-server.py),
  // with x264enc (ugly), x265enc (bad), avenc_aac (libav) and the RTP payloaders (good).
  ...['python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad', 'gstreamer1.0-plugins-ugly', 'gstreamer1.0-libav'].map(
    (pkg) => ({ pkg, check: () => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0, for: ['test'] }),
  ),
  // pgrep, used by the tests that check no child process is left behind.
  { pkg: 'procps', check: () => has('pgrep'), for: ['test'] },
  // php -l and the shortcode render test of the WordPress plugin (wordpress/).
  { pkg: 'php-cli', check: () => has('php'), for: ['test'] },
  // AI subtitles' tests: espeak-ng speaks known sentences, pocketsphinx (+ its US English model) recognises them
  // behind the local OpenAI stand-in (test/support/openai-standin.ts).
  { pkg: 'espeak-ng', check: () => has('espeak-ng'), for: ['test'] },
  { pkg: 'pocketsphinx', check: () => has('pocketsphinx_continuous'), for: ['test'] },
  { pkg: 'pocketsphinx-en-us', check: () => existsSync('/usr/share/pocketsphinx/model/en-us/en-us'), for: ['test'] },
];
function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}
const missing = needs.filter((n) => n.for.includes(forWhat) && !n.check()).map((n) => n.pkg);
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    log(`missing Debian packages: run  sudo apt-get install -y ${missing.join(' ')}  and retry`);
    process.exit(1);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

// 3. TypeScript build (incremental: fast when nothing changed).
/** The newest mtime of the files under dir whose name passes `keep` (default: .ts files). */
function newestSource(dir, keep = (name) => name.endsWith('.ts')) {
  let newest = 0;
  let names = [];
  try {
    names = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) newest = Math.max(newest, newestSource(p, keep));
    else if (keep(d.name)) newest = Math.max(newest, mtime(p));
  }
  return newest;
}
const tsDirs = ['src', 'test', 'bench', 'native/srt'];
const built = mtime('dist/.tsbuildinfo');
const src = Math.max(...tsDirs.map((d) => newestSource(d)), mtime('tsconfig.json'));

// 3a. Compiled files and their sources: dist/<path>.js belongs to <path>.ts (tsconfig's include; not
// test/fixtures or native/srt/build). A compiled file whose source is gone (deleted or renamed) is removed, so
// a stale test never runs; a source without its compiled file forces a full build, since tsc's incremental
// build info does not notice a deleted output.
function tsSources(dir, out = []) {
  let names = [];
  try {
    names = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      if (p !== 'test/fixtures' && p !== 'native/srt/build' && d.name !== 'node_modules') tsSources(p, out);
    } else if (d.name.endsWith('.ts') && !d.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
function compiledFiles(dir, out = []) {
  let names = [];
  try {
    names = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) compiledFiles(p, out);
    else if (d.name.endsWith('.js') || d.name.endsWith('.js.map')) out.push(p);
  }
  return out;
}
const sources = tsDirs.flatMap((d) => tsSources(d));
const stale = tsDirs
  .flatMap((d) => compiledFiles(join('dist', d)))
  .filter((p) => !existsSync(join(root, p.slice('dist/'.length).replace(/\.js(\.map)?$/, '.ts'))));
for (const p of stale) rmSync(join(root, p), { force: true });
if (stale.length > 0) log(`removed ${stale.length} compiled files whose source is gone (e.g. ${stale[0]})`);
const notCompiled = sources.filter((p) => !existsSync(join(root, 'dist', p.replace(/\.ts$/, '.js'))));
if (built > 0 && notCompiled.length > 0) {
  log(`${notCompiled.length} sources have no compiled file (e.g. ${notCompiled[0]}): building everything`);
  rmSync(join(root, 'dist/.tsbuildinfo'), { force: true });
}

if (built === 0 || src > built || notCompiled.length > 0) {
  log('building TypeScript');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
}

// 4. The native SRT addon.
if (existsSync(join(root, 'native/srt/build.mjs'))) {
  run(process.execPath, [join(root, 'native/srt/build.mjs')]);
}


// 5. The admin console (console/: its own package.json, lock and node_modules). Install its packages when
// console/node_modules is missing or older than its lock file; build it (vite) when any of its sources is newer
// than the build output. Skipped for the benchmarks.
if (forWhat !== 'bench' && existsSync(join(root, 'console/package.json'))) {
  const c = (p) => join('console', p);
  const cMarker = c('node_modules/.package-lock.json');
  if (!existsSync(join(root, cMarker)) || mtime(c('package-lock.json')) > mtime(cMarker) || mtime(c('package.json')) > mtime(cMarker)) {
    log('installing the console\'s npm packages');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(root, 'console') });
  }
  const consoleSrc = Math.max(
    newestSource(c('src'), () => true),
    ...['index.html', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'].map((f) => mtime(c(f))),
  );
  if (mtime(c('dist/index.html')) < consoleSrc) {
    log('building the console');
    run(process.execPath, [join(root, 'console/node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(root, 'console') });
  }
}
