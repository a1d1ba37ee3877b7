// Installs and builds what `npm start` / `npm test` need, quickly when everything is already there:
// npm packages, Debian packages (apt-get when root, else one line saying what to install), the TypeScript
// build and the native SRT addon.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const forWhat = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'start';
const log = (m) => console.error(`[setup] ${m}`);

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  log(`Node ${process.versions.node} is too old: install Node.js 20 or newer.`);
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
function newestSource(dir) {
  let newest = 0;
  let names = [];
  try {
    names = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (d.name.endsWith('.ts')) newest = Math.max(newest, mtime(p));
  }
  return newest;
}
const built = mtime('dist/.tsbuildinfo');
const src = Math.max(...['src', 'test', 'bench', 'native/srt'].map(newestSource), mtime('tsconfig.json'));
if (built === 0 || src > built) {
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
  function newestIn(dir) {
    let newest = 0;
    let names = [];
    try {
      names = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return 0;
    }
    for (const d of names) {
      const p = join(dir, d.name);
      newest = Math.max(newest, d.isDirectory() ? newestIn(p) : mtime(p));
    }
    return newest;
  }
  const consoleSrc = Math.max(
    newestIn(c('src')),
    ...['index.html', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'].map((f) => mtime(c(f))),
  );
  if (mtime(c('dist/index.html')) < consoleSrc) {
    log('building the console');
    run(process.execPath, [join(root, 'console/node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(root, 'console') });
  }
}
