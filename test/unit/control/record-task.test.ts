// One recording task on a real hub without a network: frames of an ffmpeg-made FLV are published, the publisher
// leaves and a new stream object (timestamps from 0 again) comes back within the window: one index.mp4 of both
// sessions with a continuous timeline. A stream that sends no media fails with a clear reason; H.265 records too.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FlvDemuxer } from '../../../src/codecs/flv.js';
import { TsDemuxer } from '../../../src/codecs/mpegts/demux.js';
import { fragmentedToProgressive, probeFragmented } from '../../../src/codecs/mp4/progressive.js';
import { ArtifactCode } from '../../../src/control/jobs/record/artifact.js';
import { RecordTask, type TaskDeps } from '../../../src/control/jobs/record/task.js';
import { VideoCodec, type Frame } from '../../../src/core/frame.js';
import type { Client } from '../../../src/hub/client.js';
import { Hub } from '../../../src/hub/hub.js';
import type { Stream } from '../../../src/hub/stream.js';
import { logger, tempDir } from './helpers.js';

const url = { vhost: '__defaultVhost__', app: 'live', stream: 'unit', param: '' };
const fixture = fileURLToPath(new URL('../../../../test/fixtures/small.flv', import.meta.url));

function frames(): Frame[] {
  const out: Frame[] = [];
  new FlvDemuxer({ onFrame: (f) => out.push(f) }).push(readFileSync(fixture));
  return out;
}

function client(id: string): Client {
  return { id, ip: '127.0.0.1', type: 'fmle-publish', url, requestUrl: '', publish: true, createdAt: 0, sendBytes: 0, recvBytes: 0, close: () => {} };
}

function deps(windowMs: number): TaskDeps & { done: Promise<RecordTask>; changes: number } {
  let resolve!: (t: RecordTask) => void;
  const d = {
    recordDir: tempDir(),
    logger,
    windowMs,
    queueBytes: 64 << 20,
    syncIntervalMs: 0,
    changes: 0,
    done: new Promise<RecordTask>((r) => (resolve = r)),
    changed: async () => {
      d.changes++;
    },
    ended: () => {},
    finished: (t: RecordTask) => resolve(t),
    convert: (p: { fragments: string; mp4: string }) => fragmentedToProgressive(p.fragments, p.mp4),
  };
  return d;
}

/** A publish session on a fresh hub (so a fresh Stream with its own clock), recorded by `task`. */
function session(task: RecordTask, list: Frame[]): Stream {
  const hub = new Hub({ gopCache: true, gopMaxFrames: 1000, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 10 });
  const s = hub.stream(url);
  const c = client('p');
  assert.ok(s.startPublish(c));
  task.attach(s);
  for (const f of list) s.publish({ ...f });
  s.stopPublish(c);
  task.detach();
  return s;
}

test('a republish on a new stream object within the window continues the file with a continuous timeline', async () => {
  const list = frames();
  const d = deps(1000);
  const task = new RecordTask(d, url, 'none');
  const one = list.filter((f) => !f.header && f.type !== 'script');
  const span = (one[one.length - 1]!.dts - one[0]!.dts) / 1000;
  session(task, list);
  assert.equal(task.artifact.state, 'waiting');
  // What is written while paused is readable (the writes land off the media path, so give them a moment):
  // the fragments so far have a duration.
  let partial: Awaited<ReturnType<typeof probeFragmented>> | Error = new Error('not probed');
  for (const until = Date.now() + 500; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
    partial = await probeFragmented(task.paths.fragments).catch((e: Error) => e);
    if (!(partial instanceof Error) && partial.durationMs > 0) break;
  }
  assert.ok(!(partial instanceof Error) && partial.durationMs > 0, `fragments so far: ${String(partial)}`);
  assert.equal(task.artifact.state, 'waiting', 'probed while paused');
  session(task, list);
  const done = await d.done;
  assert.equal(done, task);
  const a = task.artifact;
  assert.equal(a.state, 'done', a.error);
  assert.equal(a.nn, 2);
  assert.equal(a.code, ArtifactCode.Ok);
  // Two sessions back to back: twice one session (plus one frame), not one session (dts from 0 again).
  assert.ok(a.duration > 2 * span && a.duration < 2 * span + 0.2, `duration ${a.duration} for two sessions of ${span} s`);
  assert.equal(task.stats.dropped, 0, 'no frame dropped at the republish');
  assert.ok(d.changes >= 4);
});

test('a stream that sends no media: the recording fails with a reason, and no media file is left', async () => {
  const d = deps(50);
  const task = new RecordTask(d, url, 'none');
  session(
    task,
    frames().filter((f) => f.header || f.type === 'script'),
  );
  await d.done;
  assert.equal(task.artifact.state, 'failed');
  assert.equal(task.artifact.code, ArtifactCode.Empty);
  assert.match(task.artifact.error, /nothing was recorded from __defaultVhost__\/live\/unit/);
  assert.equal(existsSync(task.paths.fragments), false);
  assert.equal(existsSync(task.paths.mp4), false);
});

test('end() while recording finalizes at once; further frames are ignored', async () => {
  const list = frames();
  const d = deps(60000);
  const task = new RecordTask(d, url, 'none');
  const hub = new Hub({ gopCache: true, gopMaxFrames: 1000, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 10 });
  const s = hub.stream(url);
  assert.ok(s.startPublish(client('p')));
  task.attach(s);
  for (const f of list) s.publish({ ...f });
  const ending = task.end('test');
  assert.equal(s.sinks.size, 0, 'the sink is removed from the stream');
  for (const f of list) s.publish({ ...f });
  await ending;
  assert.equal(task.artifact.state, 'done', task.artifact.error);
  assert.ok(task.artifact.duration > 0.9 && task.artifact.duration < 1.2, `duration ${task.artifact.duration}`);
});

test('H.265 + AAC (from MPEG-TS) is recorded into an hvc1 MP4', async () => {
  const list: Frame[] = [];
  const demux = new TsDemuxer({ onFrame: (f) => list.push(f) });
  demux.push(readFileSync(fileURLToPath(new URL('../../../../test/fixtures/small-hevc.ts', import.meta.url))));
  demux.flush();
  assert.ok(list.some((f) => f.type === 'video' && f.codec === VideoCodec.H265));
  const d = deps(10);
  const task = new RecordTask(d, url, 'none');
  session(task, list);
  await d.done;
  assert.equal(task.artifact.state, 'done', task.artifact.error);
  assert.ok(task.artifact.duration > 1.5, `duration ${task.artifact.duration}`);
  const mp4 = readFileSync(task.paths.mp4);
  assert.ok(mp4.includes('hvc1') && mp4.includes('hvcC') && mp4.includes('mp4a'), 'hvc1 + mp4a sample entries');
});
