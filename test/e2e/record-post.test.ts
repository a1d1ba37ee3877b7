// What happens around a recording: upload to S3-compatible storage (s3rver in-process) with the same bytes,
// retried with backoff while the storage is down (the API shows the reason) and done once it is back; a copy
// into a directory (post-cp-file); and a record directory that cannot be written, which fails the recording
// with a clear error in the API and the log while live viewers see nothing of it.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FlvDemuxer } from '../../src/codecs/flv.js';
import { probe, publish, randomName, tempDir, withTimeout, type Proc } from './helpers.js';
import { TestS3, startRecordServer, waitRecording, type RecordServer } from './record-helpers.js';

const procs: Proc[] = [];
const servers: RecordServer[] = [];
const s3 = new TestS3('record-bucket');

before(async () => {
  await s3.start();
});

after(async () => {
  for (const p of procs) p.kill();
  for (const s of servers) await s.close().catch(() => undefined);
  await s3.stop().catch(() => undefined);
});

async function publishFor(url: string, seconds: number): Promise<void> {
  const p = publish(url, { seconds });
  procs.push(p);
  const code = await withTimeout(p.exited, (seconds + 20) * 1000, () => p.kill());
  assert.equal(code, 0, `ffmpeg publishing ${url}: ${p.stderr()}`);
}

async function getObject(key: string): Promise<Buffer> {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

describe('post-processing and failures', { concurrency: true }, () => {
  test('S3 upload: same bytes; with the storage down it retries and shows why, then succeeds', async (t) => {
    const server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000', RECORD_UPLOAD_BACKOFF_MS: '500' });
    servers.push(server);
    const set = await server.api('/terraform/v1/hooks/record/post-processing', {
      postProcess: 's3',
      s3: { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'rec/', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true },
    });
    assert.equal(set.status, 200, JSON.stringify(set));
    const q = await server.api<{ postProcess: string; s3: { secretKey: string; bucket: string } }>('/terraform/v1/hooks/record/query');
    assert.equal(q.data.postProcess, 's3');
    assert.equal(q.data.s3.bucket, s3.bucket);
    assert.equal(q.data.s3.secretKey, '******', 'the secret is not shown');
    assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);

    // Storage up: the object has the recording's bytes.
    const a = randomName('s3a');
    await publishFor(server.publishUrl(a), 4);
    const fa = await waitRecording(server, a, (f) => f.post.state === 'done' || f.post.state === 'failed', 30000, 'the upload');
    assert.equal(fa.post.state, 'done', JSON.stringify(fa));
    assert.equal(fa.post.target, `s3://${s3.bucket}/rec/${fa.uuid}.mp4`);
    const local = await readFile(join(server.dataDir, 'record', fa.uuid, 'index.mp4'));
    assert.ok((await getObject(`rec/${fa.uuid}.mp4`)).equals(local), 'the object has the same bytes');

    // Storage down: retried with the reason in the API; back up: done.
    await s3.stop();
    const b = randomName('s3b');
    await publishFor(server.publishUrl(b), 4);
    const failing = await waitRecording(server, b, (f) => f.post.state === 'retrying' && f.post.attempts >= 2, 30000, 'a retried upload');
    assert.equal(failing.state, 'done');
    assert.match(failing.post.reason, /upload to s3:\/\/record-bucket\/rec\/.*failed: .*(ECONNREFUSED|connect)/i, failing.post.reason);
    assert.match(failing.post.reason, /retry \d+ of 10/);
    t.diagnostic(`while s3rver was down: ${failing.post.reason}`);
    const warned = server.logs().find((l) => l.msg === 'record post-processing failed: retrying' && l.uuid === failing.uuid);
    assert.ok(warned, 'the retry is in the log');
    await s3.start();
    const fb = await waitRecording(server, b, (f) => f.post.state === 'done' || f.post.state === 'failed', 30000, 'the upload after s3rver came back');
    assert.equal(fb.post.state, 'done', JSON.stringify(fb));
    assert.equal(fb.post.reason, '');
    assert.ok(fb.post.attempts >= 3, `attempts ${fb.post.attempts}`);
    const localB = await readFile(join(server.dataDir, 'record', fb.uuid, 'index.mp4'));
    assert.ok((await getObject(`rec/${fb.uuid}.mp4`)).equals(localB), 'the object has the same bytes');
  });

  test('post-cp-file copies the finished recording into the directory', async () => {
    const server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' });
    servers.push(server);
    const missing = await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'post-cp-file', postCpDir: '/no/such/dir' });
    assert.equal(missing.status, 400);
    assert.match(missing.message ?? '', /not a directory/);
    const bad = await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'ftp' });
    assert.equal(bad.status, 400);
    const dir = tempDir('srs-node-record-cp-');
    assert.equal((await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'post-cp-file', postCpDir: dir })).status, 200);
    const q = await server.api<{ postProcess: string; postCpDir: string }>('/terraform/v1/hooks/record/query');
    assert.deepEqual([q.data.postProcess, q.data.postCpDir], ['post-cp-file', dir]);
    assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('cp');
    await publishFor(server.publishUrl(name), 4);
    const f = await waitRecording(server, name, (x) => x.post.state === 'done' || x.post.state === 'failed', 30000, 'the copy');
    assert.equal(f.post.state, 'done', JSON.stringify(f));
    assert.equal(f.post.target, join(dir, `${f.uuid}.mp4`));
    const copy = await readFile(join(dir, `${f.uuid}.mp4`));
    assert.ok(copy.equals(await readFile(join(server.dataDir, 'record', f.uuid, 'index.mp4'))));
  });

  test('record/apply {all:false} while live finishes the file within a few seconds, and it plays', async () => {
    const server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '60000' });
    servers.push(server);
    assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('off');
    const p = publish(server.publishUrl(name));
    procs.push(p);
    try {
      await waitRecording(server, name, (f) => f.state === 'recording' && f.duration >= 3, 20000);
      assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: false })).status, 200);
      // The window is 60 s: only turning recording off can finish the file this soon.
      const f = await waitRecording(server, name, (x) => x.state === 'done' || x.state === 'failed', 5000, 'the finished file');
      assert.equal(f.state, 'done', JSON.stringify(f));
      const info = await probe(f.url);
      assert.ok(Number(info.format?.duration) > 0, `ffprobe: ${JSON.stringify(info.format)}`);
      const later = (await server.files()).filter((x) => x.stream === name);
      assert.equal(later.length, 1, `no new recording while off: ${JSON.stringify(later)}`);
    } finally {
      p.kill();
    }
  });

  test('post-cp-file with a relative postCpDir copies under DATA_DIR; a path that escapes is refused', async () => {
    const server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' });
    servers.push(server);
    for (const escape of ['../../etc', './containers/data/../../etc']) {
      const r = await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'post-cp-file', postCpDir: escape });
      assert.equal(r.status, 400, `${escape}: ${JSON.stringify(r)}`);
      assert.ok((r.message ?? '').length > 10, `a message for ${escape}: ${JSON.stringify(r)}`);
    }
    const ok = await server.api('/terraform/v1/hooks/record/post-processing', { postProcess: 'post-cp-file', postCpDir: './containers/data/copies' });
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('cprel');
    await publishFor(server.publishUrl(name), 4);
    const f = await waitRecording(server, name, (x) => x.post.state === 'done' || x.post.state === 'failed', 30000, 'the copy');
    assert.equal(f.post.state, 'done', JSON.stringify(f));
    const copy = await readFile(join(server.dataDir, 'copies', `${f.uuid}.mp4`));
    assert.ok(copy.equals(await readFile(join(server.dataDir, 'record', f.uuid, 'index.mp4'))));
  });

  test('a record directory that cannot be written: a clear error, and live viewers see nothing of it', async () => {
    const dataDir = tempDir('srs-node-record-ro-');
    // DATA_DIR/record is a file: nothing can be created under it (this works as root too, unlike chmod).
    await writeFile(join(dataDir, 'record'), 'not a directory');
    const server = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' }, dataDir);
    servers.push(server);
    assert.equal((await server.api('/terraform/v1/hooks/record/apply', { all: true })).status, 200);
    const name = randomName('ro');
    const pub = publish(server.publishUrl(name), { seconds: 10 });
    procs.push(pub);
    const failed = await waitRecording(server, name, (f) => f.state === 'failed', 20000, 'the failed recording');
    assert.equal(failed.code, 1);
    assert.match(failed.error, /cannot write the recording of __defaultVhost__\/live\/.* to .*\/record\/.*: .*(ENOTDIR|EEXIST)/);
    assert.match(failed.error, /writable directory/);
    const logged = server.logs().find((l) => l.level === 50 && l.msg === 'record failed: cannot write; live viewers are not affected' && l.uuid === failed.uuid);
    assert.ok(logged, 'the error is in the log');

    // An HTTP-FLV viewer of the same stream gets every frame for 4 s while the recording has failed.
    const ac = new AbortController();
    let video = 0;
    let audio = 0;
    const demux = new FlvDemuxer({
      onFrame: (fr) => {
        if (fr.header) return;
        if (fr.type === 'video') video++;
        else if (fr.type === 'audio') audio++;
      },
    });
    const res = await fetch(`${server.http}/live/${name}.flv`, { signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const stopAt = Date.now() + 4000;
    let firstAt = 0;
    try {
      while (Date.now() < stopAt) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!firstAt && value.length) firstAt = Date.now();
        demux.push(Buffer.from(value));
      }
    } finally {
      ac.abort();
    }
    // 25 fps video and ~43 AAC frames/s in real time (plus the GOP the viewer starts with).
    const secs = (Date.now() - firstAt) / 1000;
    assert.ok(video >= 25 * secs * 0.9, `video frames ${video} in ${secs.toFixed(1)} s`);
    assert.ok(audio >= 43 * secs * 0.9, `audio frames ${audio} in ${secs.toFixed(1)} s`);
    assert.equal(await withTimeout(pub.exited, 30000, () => pub.kill()), 0, 'the publisher ran to its end');
    // The failed recording is not restarted behind the viewer's back: one failed entry, nothing else.
    assert.deepEqual((await server.files()).filter((f) => f.stream === name && f.state !== 'failed'), []);
  });
});
