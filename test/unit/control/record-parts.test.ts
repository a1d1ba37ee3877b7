// The recorder's small parts without a server: glob filters (Go path.Match semantics, as SRS Stack), HTTP Range
// parsing, the settings hash (ours and SRS Stack's), stored recordings (ours and SRS Stack's HLS artifacts), and
// the append-only file's write queue (batched writev, a clear error, a bounded queue).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRange } from '../../../src/control/api/routes/record/routes.js';
import { AppendFile } from '../../../src/control/jobs/record/append-file.js';
import { isUuid, newArtifact, parseArtifact, toFile } from '../../../src/control/jobs/record/artifact.js';
import { GlobFilter, compileGlob, globError } from '../../../src/control/globs.js';
import { DEFAULT_SETTINGS, maskS3, parseSettings, settingsFields, type RecordSettings } from '../../../src/control/jobs/record/settings.js';
import { objectKey } from '../../../src/control/jobs/record/s3-upload.js';
import { tempDir } from './helpers.js';

test('globs match /app/stream like Go path.Match: * and ? stop at /, classes, escapes', () => {
  const m = (g: string, p: string) => compileGlob(g).test(p);
  assert.ok(m('/live/*', '/live/cam1'));
  assert.ok(!m('/live/*', '/live/a/b'));
  assert.ok(!m('/live/*', '/other/cam1'));
  assert.ok(m('/*/*', '/any/thing'));
  assert.ok(m('/live/cam?', '/live/cam7'));
  assert.ok(!m('/live/cam?', '/live/cam'));
  assert.ok(m('/live/[ab]*', '/live/b1'));
  assert.ok(!m('/live/[!ab]*', '/live/b1'));
  assert.ok(m('/live/[a-c]x', '/live/bx'));
  assert.ok(m('/live/a\\*', '/live/a*'));
  assert.ok(!m('/live/a\\*', '/live/ab'));
  assert.ok(m('/live/a.b', '/live/a.b'));
  assert.ok(!m('/live/a.b', '/live/axb'));
  assert.ok(!m('/live/[.-0]', '/live//'), 'a class never matches /');
  assert.equal(globError('/live/*'), null);
  assert.match(globError('live/*') ?? '', /must start with \//);
  assert.match(globError('/live/[ab') ?? '', /without its \]/);
  assert.match(globError('/live/a\\') ?? '', /lone \\/);
  assert.ok(new GlobFilter([]).matches('/x/y'), 'no globs: every stream');
  assert.ok(new GlobFilter(['/a/*', '/b/*']).matches('/b/1'));
  assert.ok(!new GlobFilter(['/a/*', '/b/*']).matches('/c/1'));
});

test('Range headers: one range, suffixes, clamping, unsatisfiable, and what is ignored', () => {
  assert.equal(parseRange(undefined, 100), null);
  assert.deepEqual(parseRange('bytes=0-', 100), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=10-19', 100), { start: 10, end: 19 });
  assert.deepEqual(parseRange('bytes=90-1000', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-5', 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=5-2', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-1,5-6', 100), null, 'several ranges: the whole file');
  assert.equal(parseRange('items=0-1', 100), null);
});

test('settings: our fields round-trip; SRS Stack data (post-cp-file only) reads as post-cp-file; the secret is masked', () => {
  const s: RecordSettings = {
    all: true,
    globs: ['/live/*'],
    postProcess: 's3',
    postCpDir: '/tmp/x',
    s3: { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'b1', prefix: 'p/', accessKey: 'ak', secretKey: 'sk', pathStyle: true },
  };
  assert.deepEqual(parseSettings(settingsFields(s)), s);
  assert.deepEqual(parseSettings({}), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings({ all: 'true', globs: '["/a/*",""]', 'post-cp-file': '/data/cp' }), {
    all: true,
    globs: ['/a/*'],
    postProcess: 'post-cp-file',
    postCpDir: '/data/cp',
    s3: null,
  });
  assert.deepEqual(parseSettings({ globs: 'not json', s3: '{"bucket":""}' }).globs, []);
  assert.equal(maskS3(s.s3)?.secretKey, '******');
  assert.equal(maskS3({ ...s.s3!, secretKey: '' })?.secretKey, '');
  assert.equal(objectKey(s.s3!, 'u'), 'p/u.mp4');
  assert.equal(objectKey({ ...s.s3!, prefix: '/records/' }, 'u'), 'records/u.mp4');
});

test('stored recordings: ours round-trip; SRS Stack HLS artifacts are listed with summed duration and size', () => {
  const a = newArtifact({ vhost: '__defaultVhost__', app: 'live', stream: 's' }, 's3');
  assert.ok(isUuid(a.uuid));
  assert.equal(a.post.state, 'pending');
  a.state = 'done';
  a.duration = 12.5;
  assert.deepEqual(parseArtifact(JSON.stringify(a)), a);
  const f = toFile(a, 'http://h:2022');
  assert.equal(f.url, `http://h:2022/terraform/v1/hooks/record/hls/${a.uuid}/index.mp4`);
  assert.equal(f.progress, false);
  assert.equal(toFile({ ...a, state: 'recording' }, 'http://h').url, '');

  const oryx = {
    uuid: '3ecf0239-708c-42e4-96e1-5ae935c6e6a9',
    m3u8_url: 'live/livestream/live.m3u8',
    vhost: '__defaultVhost__',
    app: 'live',
    stream: 'livestream',
    processing: false,
    update: '2023-01-01T00:00:00Z',
    files: [
      { key: 'record/x/1.ts', duration: 10, size: 1000 },
      { key: 'record/x/2.ts', duration: 5.5, size: 500 },
    ],
  };
  const o = parseArtifact(JSON.stringify(oryx))!;
  assert.equal(o.state, 'done');
  assert.equal(o.duration, 15.5);
  assert.equal(o.size, 1500);
  assert.equal(o.nn, 2);
  assert.equal(parseArtifact('{"uuid":"../../etc"}'), null);
  assert.equal(parseArtifact('nope'), null);
});

test('append file: everything queued in one tick goes out in one writev, in order', async () => {
  const path = join(tempDir(), 'sub', 'f.bin');
  const errors: Error[] = [];
  const f = new AppendFile(path, { maxQueueBytes: 1 << 20, syncIntervalMs: 0 }, (e) => errors.push(e));
  const parts: Buffer[] = [];
  for (let i = 0; i < 500; i++) parts.push(Buffer.from(`${i},`));
  for (const p of parts) assert.ok(f.append([p]));
  await f.drain();
  assert.equal(f.writes, 1, 'one writev for the batch');
  f.append([Buffer.from('end')]);
  await f.close();
  assert.equal(f.append([Buffer.from('late')]), false, 'closed: refused');
  assert.equal(readFileSync(path, 'utf8'), `${parts.map((p) => p.toString()).join('')}end`);
  assert.equal(f.written, Buffer.concat(parts).length + 3);
  assert.deepEqual(errors, []);
});

test('append file: an unwritable place is one clear error, and appends are refused after it', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'record'), 'a file, not a directory');
  const errors: Error[] = [];
  const f = new AppendFile(join(dir, 'record', 'u', 'f.bin'), { maxQueueBytes: 1 << 20, syncIntervalMs: 0 }, (e) => errors.push(e));
  f.append([Buffer.alloc(10)]);
  await f.drain();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /ENOTDIR|EEXIST/);
  assert.equal(f.append([Buffer.alloc(10)]), false);
  await f.close();
  assert.equal(errors.length, 1, 'reported once');
});

test('append file: a disk that cannot keep up fails the file instead of growing the queue', async () => {
  const errors: Error[] = [];
  const f = new AppendFile(join(tempDir(), 'f.bin'), { maxQueueBytes: 1 << 20, syncIntervalMs: 0 }, (e) => errors.push(e));
  // Synchronously, before any write can happen: the queue only grows.
  let ok = true;
  for (let i = 0; i < 40 && ok; i++) ok = f.append([Buffer.alloc(64 * 1024)]);
  assert.equal(ok, false);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /cannot keep up/);
  assert.equal(f.pending, 0, 'the queue is dropped');
  await f.close();
});
