// FlvPipeSink against a real child process: `cat` echoes what the sink writes to its stdin, and FlvPipeSource
// reads it back as Frames (the round trip FFmpeg's -f flv -i pipe:0 sees). A child that does not read (`sleep`)
// fills the pipe: the sink then drops frames up to the next keyframe, counted, and its memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessSupervisor } from '../../../src/core/process-supervisor.js';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { buildAvcDecoderConfig } from '../../../src/codecs/h264.js';
import { FlvPipeSink } from '../../../src/servers/ffmpeg/flv-pipe-sink.js';
import { FlvPipeSource } from '../../../src/servers/ffmpeg/flv-pipe-source.js';
import { AAC, AVC } from '../codecs/codec-fixtures.js';
import { sleep } from '../../support.js';

const avc = AVC.constrainedBaseline!;
const vh: Frame = { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: buildAvcDecoderConfig([avc.sps], [avc.pps]) };
const ah: Frame = { type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: AAC.lc!.asc, sampleRate: 48000, channels: 2 };
const video = (dts: number, key: boolean, size = 200): Frame => ({ type: 'video', codec: VideoCodec.H264, dts, pts: dts + 40, keyframe: key, header: false, data: Buffer.alloc(size, key ? 1 : 2) });
const audio = (dts: number): Frame => ({ type: 'audio', codec: AudioCodec.AAC, dts, pts: dts, keyframe: false, header: false, data: Buffer.alloc(20, 3), sampleRate: 48000, channels: 2 });

test('the sink writes an FLV stream that starts with the headers and a keyframe, timestamps from 0', async () => {
  const cat = new ProcessSupervisor({ command: 'cat', args: [], stdin: true, stdout: 'pipe', restart: false, stopSignal: 'SIGKILL' });
  const got: Frame[] = [];
  const source = new FlvPipeSource(cat, { onFrame: (f) => got.push(f) });
  const sink = new FlvPipeSink(cat);
  cat.start();
  try {
    sink.onFrame(vh);
    sink.onFrame(ah);
    sink.onFrame(video(10000, false)); // before any keyframe: not sent
    sink.onFrame(audio(10010)); // nor audio before it, when the stream has video
    sink.onFrame(video(10040, true));
    sink.onFrame(audio(10050));
    sink.onFrame(video(10080, false));
    for (let i = 0; i < 100 && got.length < 5; i++) await sleep(20);
    assert.deepEqual(
      got.map((f) => [f.type, f.header, f.dts, f.pts, f.keyframe]),
      [['video', true, 0, 0, true], ['audio', true, 0, 0, false], ['video', false, 0, 40, true], ['audio', false, 10, 10, false], ['video', false, 40, 80, false]],
    );
    assert.deepEqual(got[0]!.data, vh.data);
    assert.equal(sink.drops, 2);
    assert.equal(sink.frames, 3);
  } finally {
    sink.close();
    source.close();
    await cat.stop();
  }
});

test('a child that does not read: frames are dropped to the next keyframe and counted, nothing piles up', async () => {
  const stuck = new ProcessSupervisor({ command: 'sleep', args: ['30'], stdin: true, restart: false, stopSignal: 'SIGKILL', maxPendingInput: 64 * 1024 * 1024 });
  const sink = new FlvPipeSink(stuck, { maxQueuedBytes: 256 * 1024 });
  stuck.start();
  try {
    sink.onFrame(vh);
    let dts = 0;
    for (let i = 0; i < 2000; i++) {
      sink.onFrame(video(dts, i % 50 === 0, 4000));
      dts += 40;
    }
    const queued = stuck.run!.stdin!.writableLength;
    assert.ok(sink.drops > 1000, `dropped ${sink.drops}`);
    // The pipe holds 64 KiB; what is queued beyond it stays near the limit: at most one more frame past it.
    assert.ok(queued <= 256 * 1024 + 8000, `queued ${queued} bytes`);
    assert.equal(stuck.dropped, 0, 'the supervisor never had to drop a part of a frame');
  } finally {
    sink.close();
    await stuck.stop();
  }
});
