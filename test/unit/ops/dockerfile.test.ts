// The Dockerfile's rules (hadolint is in neither npm nor Debian, and there is no Docker engine here): pinned
// bases, multi-stage, a Debian slim runtime with FFmpeg, redis-server and libsrt, a non-root USER, HEALTHCHECK on
// /healthz, the SRS Stack ports, /data as DATA_DIR and a volume, tini, the same start command as `npm start`,
// no secrets baked in; and .dockerignore keeps node_modules, .git, data and secrets out of the context.
// The checker is tried on broken Dockerfiles too, so it cannot pass by accident.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function parse(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '' || full.startsWith('#')) continue;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    if (!m) throw new Error(`not an instruction: ${full}`);
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.replace(/\s+/g, ' '), stage });
  }
  return out;
}

const REQUIRED_PORTS = ['2022', '2443', '1935', '8000/udp', '10080/udp'];

/** What is wrong with a Dockerfile, by our rules ([] = nothing). */
function check(text: string, startScript: string): string[] {
  const problems: string[] = [];
  const ins = parse(text);
  const froms = ins.filter((i) => i.op === 'FROM');
  if (froms.length < 2) problems.push('not multi-stage: build in one stage, run in another');
  for (const f of froms) {
    const image = f.args.split(' ')[0]!;
    if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:\d+\.\d+\.\d+[\w.-]*$/.test(image)) problems.push(`FROM ${image} is not pinned to an exact version or digest`);
  }
  const last = froms.length - 1;
  const runtime = ins.filter((i) => i.stage === last);
  if (!/slim/.test(froms[last]?.args ?? '') || !/bookworm|trixie|debian/.test(froms[last]?.args ?? '')) problems.push('the runtime base is not Debian slim');
  const runText = runtime.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
  for (const pkg of ['ffmpeg', 'redis-server', 'libsrt1.5-openssl', 'tini']) if (!new RegExp(`apt-get install[^&]*\\b${pkg.replace('.', '\\.')}\\b`).test(runText)) problems.push(`the runtime does not install ${pkg}`);
  if (!runtime.some((i) => i.op === 'COPY' && /--from=/.test(i.args))) problems.push('the runtime does not copy the build output from the build stage');
  const users = runtime.filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') problems.push('the runtime runs as root: add USER with a non-root user');
  const health = runtime.find((i) => i.op === 'HEALTHCHECK');
  if (!health || !/\/healthz/.test(health.args)) problems.push('no HEALTHCHECK on /healthz');
  const exposed = new Set(runtime.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(' ')));
  for (const p of REQUIRED_PORTS) if (!exposed.has(p)) problems.push(`port ${p} is not exposed`);
  const envText = runtime.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  if (!/(^|\s)DATA_DIR=\/data(\s|$)/.test(envText)) problems.push('DATA_DIR is not /data');
  if (!runtime.some((i) => i.op === 'VOLUME' && /["\s[]\/data["\s\]]|^\/data$/.test(` ${i.args} `))) problems.push('/data is not a VOLUME');
  const entry = runtime.find((i) => i.op === 'ENTRYPOINT');
  if (!entry || !/tini/.test(entry.args)) problems.push('no tini ENTRYPOINT (signals and reaping)');
  const cmd = runtime.filter((i) => i.op === 'CMD').at(-1);
  let argv: unknown = null;
  try {
    argv = cmd ? JSON.parse(cmd.args) : null;
  } catch {
    /* shell form */
  }
  if (!Array.isArray(argv) || argv.join(' ') !== startScript) problems.push(`CMD is not the exec form of \`${startScript}\` (npm start)`);
  for (const i of ins) {
    if ((i.op === 'ENV' || i.op === 'ARG') && /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|_KEY)\w*=/i.test(i.args)) problems.push(`${i.op} bakes a secret into the image: ${i.args}`);
    if ((i.op === 'COPY' || i.op === 'ADD') && /\.(pem|key)\b|\.env\b|id_rsa/.test(i.args)) problems.push(`${i.op} copies a secret: ${i.args}`);
    if (i.op === 'ADD' && /https?:/.test(i.args)) problems.push(`ADD downloads at build time: ${i.args}`);
  }
  return problems;
}

const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const start = pkg.scripts.start!;

describe('Dockerfile', () => {
  it('npm start is the command the tests run', () => {
    assert.equal(start, 'node dist/src/main.js');
  });

  it('follows every rule', () => {
    assert.deepEqual(check(dockerfile, start), []);
  });

  it('the checker catches each broken rule', () => {
    const broken: [string, (t: string) => string, RegExp][] = [
      ['unpinned base', (t) => t.replace(/FROM node:[^\s]+$/m, 'FROM node:latest'), /not pinned/],
      ['a floating tag', (t) => t.replace(/FROM node:[^\s]+ AS build/, 'FROM node:20-slim AS build'), /not pinned/],
      ['root', (t) => t.replace(/^USER node$/m, 'USER root'), /runs as root/],
      ['no USER', (t) => t.replace(/^USER node$/m, ''), /runs as root/],
      ['no HEALTHCHECK', (t) => t.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''), /HEALTHCHECK/],
      ['a port missing', (t) => t.replace(/^(EXPOSE .*) 10080\/udp/m, '$1'), /port 10080\/udp/],
      ['a TCP port for SRT', (t) => t.replace(/^(EXPOSE .*) 10080\/udp/m, '$1 10080'), /port 10080\/udp/],
      ['another DATA_DIR', (t) => t.replace('DATA_DIR=/data', 'DATA_DIR=/var/lib/x'), /DATA_DIR/],
      ['another command', (t) => t.replace('CMD ["node", "dist/src/main.js"]', 'CMD node dist/src/main.js'), /CMD/],
      ['a secret', (t) => t.replace('ENV NODE_ENV=production', 'ENV SRS_PLATFORM_SECRET=srs-v2-abc NODE_ENV=production'), /secret/],
      ['a key file', (t) => t.replace('WORKDIR /app\nCOPY --from', 'WORKDIR /app\nCOPY server.key /app/\nCOPY --from'), /copies a secret/],
      ['one stage', (t) => t.slice(t.indexOf('# ---- run ----')), /multi-stage/],
      ['no ffmpeg', (t) => t.replace('--no-install-recommends ffmpeg ', '--no-install-recommends '), /ffmpeg/],
      ['no tini', (t) => t.replace(/^ENTRYPOINT.*$/m, ''), /tini/],
    ];
    for (const [what, mutate, expected] of broken) {
      const t = mutate(dockerfile);
      assert.notEqual(t, dockerfile, `${what}: the mutation changed nothing`);
      const problems = check(t, start);
      assert.ok(problems.some((p) => expected.test(p)), `${what}: ${JSON.stringify(problems)}`);
    }
  });

  it('.dockerignore keeps node_modules, .git, data, build output and secrets out of the build context', () => {
    const lines = readFileSync(resolve(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const must of ['.git', '**/node_modules', 'dist', 'data', '.env', '**/*.pem', '**/*.key', 'native/srt/build']) assert.ok(lines.includes(must), `.dockerignore lacks ${must}`);
  });

  it('the runtime packages are those scripts/setup.mjs installs for npm start', () => {
    const setup = readFileSync(resolve(root, 'scripts/setup.mjs'), 'utf8');
    for (const p of ['ffmpeg', 'redis-server', 'libsrt-openssl-dev']) assert.match(setup, new RegExp(`pkg: '${p}'`));
    assert.match(dockerfile, /libsrt-openssl-dev/, 'the build stage builds against the same libsrt');
  });
});
