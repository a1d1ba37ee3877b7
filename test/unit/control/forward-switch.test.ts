// InputSwitch, on hub Streams with a fake clock: the first input starts at 0 from its GOP; a switch keeps the old
// input flowing until the new one gives a keyframe after the last frame sent, then sends its sequence headers
// and maps it onto the wall clock (its cached GOP when the gap allows it); timestamps never go back per track,
// whatever the interleaving of frames and switches (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { Stream } from '../../../src/hub/stream.js';
import { InputSwitch } from '../../../src/control/jobs/forward/input-switch.js';
import type { Client } from '../../../src/hub/client.js';

const OPTS = { gopCache: true, gopMaxFrames: 1000, mwLatencyMs: 0, queueBytes: 1 << 20 };

function stream(name: string): Stream {
  const url = { vhost: '__defaultVhost__', app: 'live', stream: name, param: '' };
  const s = new Stream(url, OPTS, () => {});
  const c: Client = { id: name, ip: '127.0.0.1', type: 'fmle-publish', url, requestUrl: '', publish: true, createdAt: 0, sendBytes: 0, recvBytes: 0, close: () => {} };
  s.startPublish(c);
  s.publish({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from(`vh-${name}`) });
  s.publish({ type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from([0x12, 0x10]) });
  return s;
}

const video = (dts: number, keyframe: boolean, tag = ''): Frame => ({ type: 'video', codec: VideoCodec.H264, dts, pts: dts + 40, keyframe, header: false, data: Buffer.from(`v${tag}${dts}`) });
const audio = (dts: number): Frame => ({ type: 'audio', codec: AudioCodec.AAC, dts, pts: dts, keyframe: false, header: false, data: Buffer.from(`a${dts}`) });

test('the first input starts from its GOP at timestamp 0, headers first', () => {
  const a = stream('a');
  a.publish(video(10000, true));
  a.publish(audio(10010));
  a.publish(video(10040, false));
  const out: Frame[] = [];
  const sw = new InputSwitch((f) => out.push(f), { now: () => 0 });
  sw.follow(a);
  assert.equal(sw.current, a);
  assert.deepEqual(out.map((f) => [f.type, f.header, f.dts]), [['video', true, 0], ['audio', true, 0], ['video', false, 0], ['audio', false, 10], ['video', false, 40]]);
  assert.equal(out[2]!.pts, 40, 'the composition time is kept');
  a.publish(audio(10050));
  assert.equal(out.at(-1)!.dts, 50);
  assert.ok(a.sinks.size === 1);
  sw.close();
  assert.equal(a.sinks.size, 0);
});

test('a switch while the old input flows: the old one goes on until the new one has a keyframe after the last frame', () => {
  let now = 0;
  const a = stream('a');
  const b = stream('b');
  const out: Frame[] = [];
  const sw = new InputSwitch((f) => out.push(f), { now: () => now });
  a.publish(video(0, true));
  sw.follow(a);
  for (let t = 40; t <= 1000; t += 40) {
    now = t;
    a.publish(video(t, false));
  }
  // B has a GOP from 1.5 s ago: it would go back in time, so it waits for B's next keyframe
  b.publish(video(5000, true, 'b'));
  for (let t = 5040; t <= 6500; t += 40) b.publish(video(t, false, 'b'));
  const before = out.length;
  sw.follow(b);
  assert.equal(out.length, before, 'nothing of B yet');
  assert.equal(sw.pending, b);
  now = 1040;
  a.publish(video(1040, false));
  assert.equal(out.at(-1)!.dts, 1040, 'A still flows');
  b.publish(video(6540, false, 'b'));
  assert.equal(out.at(-1)!.dts, 1040, 'B is not started on a non-keyframe');
  now = 1080;
  b.publish(video(6580, true, 'b'));
  assert.equal(sw.current, b);
  assert.equal(sw.switches, 1);
  assert.equal(a.sinks.size, 0, 'A is left');
  const tail = out.slice(-3);
  assert.deepEqual(tail.map((f) => [f.type, f.header]), [['video', true], ['audio', true], ['video', false]]);
  assert.equal(tail[0]!.data.toString(), 'vh-b', "B's sequence header before its keyframe");
  assert.ok(tail[2]!.keyframe);
  // B's newest frame at attach (6480, when the timeline was at 1000) maps to 1000: 6580 -> 1100
  assert.equal(tail[2]!.dts, 1100);
  a.publish(video(1120, false));
  assert.equal(out.at(-1)!.data.toString(), 'vb6580', 'A is not sent any more');
});

test('after a gap longer than the GOP, the new input starts at once from its cached GOP', () => {
  let now = 0;
  const a = stream('a');
  const b = stream('b');
  const out: Frame[] = [];
  const sw = new InputSwitch((f) => out.push(f), { now: () => now });
  a.publish(video(0, true));
  sw.follow(a);
  now = 40;
  a.publish(video(40, false));
  b.publish(video(900, true, 'b'));
  b.publish(video(940, false, 'b'));
  now = 4040; // A stopped 4 s ago
  sw.follow(b);
  assert.equal(sw.current, b);
  const media = out.filter((f) => !f.header);
  // 940 is B's newest: it lands on now (40 + 4000), so its keyframe 40 ms before
  assert.deepEqual(media.slice(-2).map((f) => f.dts), [4000, 4040]);
});

test('the input republishing is re-synced on its next keyframe; an audio-only input starts on any frame', () => {
  let now = 0;
  const a = stream('a');
  const out: Frame[] = [];
  const sw = new InputSwitch((f) => out.push(f), { now: () => now });
  a.publish(video(0, true));
  sw.follow(a);
  a.stopPublish(a.publisher!);
  const c: Client = { id: 'a2', ip: '', type: 'fmle-publish', url: a.url, requestUrl: '', publish: true, createdAt: 0, sendBytes: 0, recvBytes: 0, close: () => {} };
  now = 3000;
  a.startPublish(c);
  a.publish(video(0, false));
  assert.equal(out.filter((f) => !f.header).length, 1, 'no frame before the keyframe');
  a.publish(video(40, true));
  assert.equal(out.at(-1)!.keyframe, true);
  assert.ok(out.at(-1)!.dts >= 3000 - 100, `re-mapped onto the wall clock: ${out.at(-1)!.dts}`);

  const onlyAudio = new Stream({ vhost: '__defaultVhost__', app: 'live', stream: 'r', param: '' }, OPTS, () => {});
  onlyAudio.startPublish(c);
  onlyAudio.publish({ type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from([0x12, 0x10]) });
  const out2: Frame[] = [];
  const sw2 = new InputSwitch((f) => out2.push(f), { now: () => 0 });
  sw2.follow(onlyAudio);
  onlyAudio.publish(audio(500));
  assert.deepEqual(out2.map((f) => [f.type, f.header, f.dts]), [['audio', true, 0], ['audio', false, 0]]);
});

test('property: per track the timestamps sent never go back, and each input starts on a keyframe after its headers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ op: fc.constantFrom('a', 'b', 'followA', 'followB', 'tick'), key: fc.boolean(), step: fc.integer({ min: 0, max: 200 }) }), { maxLength: 300 }),
      (ops) => {
        let now = 0;
        const a = stream('a');
        const b = stream('b');
        const clock = { a: 1_000_000, b: 5 };
        // Which input a frame came from is in its data ('va…'/'aa…' or 'vb…'/'ab…'): frames the switch sends
        // during follow() (a cached GOP) belong to the input followed, not to the last one that published.
        const out: { f: Frame; from: string }[] = [];
        const sw = new InputSwitch((f) => out.push({ f, from: f.header ? '' : f.data.toString()[1]! }), { now: () => now });
        a.publish(video(clock.a, true, 'a'));
        sw.follow(a);
        for (const o of ops) {
          if (o.op === 'tick') now += o.step;
          else if (o.op === 'followA') sw.follow(a);
          else if (o.op === 'followB') sw.follow(b);
          else {
            const s = o.op === 'a' ? a : b;
            clock[o.op] += o.step;
            const tagged: Frame = { ...audio(clock[o.op]), data: Buffer.from(`a${o.op}${clock[o.op]}`) };
            s.publish(o.key ? video(clock[o.op], true, o.op) : o.step % 2 ? tagged : video(clock[o.op], false, o.op));
          }
        }
        const last: Record<string, number> = { video: -Infinity, audio: -Infinity };
        let prevFrom = '';
        let needKey = true;
        for (const { f, from: src } of out) {
          if (f.header) {
            needKey = true;
            continue;
          }
          if (src !== prevFrom) {
            // a new input (or the first): its first frame is a video keyframe
            if (prevFrom !== '' || needKey) assert.ok(f.type === 'video' && f.keyframe, `input ${src} starts on ${f.type} keyframe=${f.keyframe}`);
            prevFrom = src;
          }
          needKey = false;
          assert.ok(f.dts >= last[f.type]!, `${f.type} went back: ${last[f.type]} -> ${f.dts}`);
          last[f.type] = f.dts;
        }
        sw.close();
      },
    ),
    { numRuns: 300 },
  );
});
