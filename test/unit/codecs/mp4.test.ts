// Fragmented MP4 writer and progressive converter: frames from an ffmpeg-made FLV, checked with ffprobe.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../../support.js';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import {
  box,
  boxHeader,
  childBoxes,
  FieldWriter,
  findPath,
  fullBox,
  readBoxHeader,
  serialize,
} from '../../../src/codecs/mp4/boxes.js';
import { Fmp4Writer, type Fmp4WriterOptions } from '../../../src/codecs/mp4/fmp4.js';
import {
  completeFragmentedLength,
  convertFragmented,
  fragmentedToProgressive,
  fragmentedToProgressiveBuffer,
  probeFragmented,
  type ByteSink,
  type ByteSource,
} from '../../../src/codecs/mp4/progressive.js';

const noFfmpeg = requireTool('ffmpeg', 'ffprobe');

// ---- a tiny FLV reader (E.4 of the FLV spec), private to this test ----

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function readFlv(buf: Buffer): Frame[] {
  const frames: Frame[] = [];
  let off = buf.readUInt32BE(5) + 4; // header, PreviousTagSize0
  let sampleRate = 44100;
  let channels = 2;
  while (off + 11 <= buf.length) {
    const type = buf[off]!;
    const size = buf.readUIntBE(off + 1, 3);
    const ts = buf.readUIntBE(off + 4, 3) | (buf[off + 7]! << 24);
    const body = buf.subarray(off + 11, off + 11 + size);
    off += 11 + size + 4;
    if (body.length < size) break;
    if (type === 9) {
      const codec = body[0]! & 0x0f;
      const packetType = body[1]!;
      if (packetType === 2) continue;
      const cts = (body.readUIntBE(2, 3) << 8) >> 8;
      frames.push({
        type: 'video',
        codec: codec as VideoCodec,
        dts: ts,
        pts: ts + cts,
        keyframe: body[0]! >> 4 === 1 && packetType === 1,
        header: packetType === 0,
        data: body.subarray(5),
      });
    } else if (type === 8 && body[0]! >> 4 === AudioCodec.MP3) {
      const data = body.subarray(1);
      frames.push({ type: 'audio', codec: AudioCodec.MP3, dts: ts, pts: ts, keyframe: false, header: false, data });
    } else if (type === 8) {
      const header = body[1] === 0;
      const data = body.subarray(2);
      if (header) {
        sampleRate = AAC_RATES[((data[0]! & 0x07) << 1) | (data[1]! >> 7)] ?? 44100;
        channels = (data[1]! >> 3) & 0x0f;
      }
      frames.push({
        type: 'audio',
        codec: (body[0]! >> 4) as AudioCodec,
        dts: ts,
        pts: ts,
        keyframe: false,
        header,
        data,
        sampleRate,
        channels,
      });
    } else if (type === 18) {
      frames.push({ type: 'script', codec: 0, dts: ts, pts: ts, keyframe: false, header: false, data: body });
    }
  }
  return frames;
}

/** Frames from a raw H.265 Annex B stream without B-frames at 25 fps, with a built hvcC (14496-15 8.3.3.1). */
function readHevc(buf: Buffer): Frame[] {
  const nals: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 3 <= buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) nals.push(buf.subarray(start, buf[i - 1] === 0 ? i - 1 : i));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) nals.push(buf.subarray(start));
  const typeOf = (n: Buffer): number => (n[0]! >> 1) & 0x3f;
  const sets = [32, 33, 34].map((t) => nals.find((n) => typeOf(n) === t)!);
  const head = Buffer.concat([
    Buffer.from([1]), sets[1]!.subarray(3, 15), Buffer.from([0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3]),
  ]);
  const arrays = sets.map((n) => {
    const a = Buffer.alloc(5);
    a.writeUInt8(0x80 | typeOf(n), 0);
    a.writeUInt16BE(1, 1);
    a.writeUInt16BE(n.length, 3);
    return Buffer.concat([a, n]);
  });
  const hvcc = Buffer.concat([head, ...arrays]);
  const frames: Frame[] = [{ type: 'video', codec: VideoCodec.H265, dts: 0, pts: 0, keyframe: true, header: true, data: hvcc }];
  let au: Buffer[] = [];
  let key = false;
  let slice = false;
  const close = (): void => {
    slice = false;
    if (au.length === 0) return;
    const ms = (frames.length - 1) * 40;
    frames.push({ type: 'video', codec: VideoCodec.H265, dts: ms, pts: ms, keyframe: key, header: false, data: Buffer.concat(au) });
    au = [];
    key = false;
  };
  for (const n of nals) {
    const t = typeOf(n);
    if (t >= 32 && t <= 34) continue; // parameter sets live in hvcC
    const firstSlice = t < 32 && (n[2]! & 0x80) !== 0;
    if ((firstSlice || t === 35 || t === 39) && slice) close();
    if (t < 32) slice = true;
    if (t >= 16 && t <= 21) key = true;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length, 0);
    au.push(len, n);
  }
  close();
  return frames;
}

// ---- helpers ----

interface Probe {
  streams: { codec_name: string; codec_type: string; width?: number; height?: number; sample_rate?: string; nb_read_frames?: string }[];
  format: { duration: string };
}

function ffprobe(path: string, ...extra: string[]): Probe {
  const out = execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-show_format', '-of', 'json', path]);
  return JSON.parse(out.toString()) as Probe;
}

/** Video frame presentation times (s) as decoded by ffmpeg, sorted. */
function videoPts(path: string): number[] {
  const out = execFileSync('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-show_frames', '-show_entries', 'frame=pts_time', '-of', 'json', path,
  ]);
  const j = JSON.parse(out.toString()) as { frames: { pts_time: string }[] };
  return j.frames.map((f) => Number(f.pts_time)).sort((a, b) => a - b);
}

function writeFragmented(frames: Frame[], path: string, opts: Fmp4WriterOptions = {}): Fmp4Writer {
  const w = new Fmp4Writer(opts);
  const chunks: Buffer[] = [];
  for (const f of frames) chunks.push(...w.push(f));
  chunks.push(...w.flush());
  writeFileSync(path, Buffer.concat(chunks));
  return w;
}

function topLevel(buf: Buffer): { type: string; start: number; end: number }[] {
  return childBoxes(buf, 0, buf.length).map((b) => ({ type: b.type, start: b.start, end: b.end }));
}

/** Samples of track `trackId` in the moof at `start`. */
function trunCount(buf: Buffer, start: number, trackId: number): number {
  const moof = childBoxes(buf, start, buf.length)[0]!;
  let n = 0;
  for (const traf of childBoxes(buf, moof.payloadStart, moof.end)) {
    if (traf.type !== 'traf') continue;
    const kids = childBoxes(buf, traf.payloadStart, traf.end);
    const tfhd = kids.find((k) => k.type === 'tfhd')!;
    if (buf.readUInt32BE(tfhd.payloadStart + 4) !== trackId) continue;
    for (const k of kids) if (k.type === 'trun') n += buf.readUInt32BE(k.payloadStart + 4);
  }
  return n;
}

// ---- box helpers ----

describe('mp4 boxes', () => {
  test('sizes are computed up front and serialized once', () => {
    const b = box('moov', fullBox('mvhd', 1, 0x000102, Buffer.from([9, 9])), box('trak'), null, false);
    assert.equal(b.size, 8 + (8 + 4 + 2) + 8);
    const out = serialize(b);
    assert.equal(out.length, b.size);
    assert.deepEqual(readBoxHeader(out, 0), { type: 'moov', size: b.size, headerSize: 8 });
    assert.equal(out.readUInt32BE(16), 0x01000102);
    assert.deepEqual(
      childBoxes(out, 8, out.length).map((c) => c.type),
      ['mvhd', 'trak'],
    );
    assert.equal(findPath(out, ['moov', 'trak'])?.start, 22);
  });

  test('a header for a payload past 4 GiB uses largesize', () => {
    const h = boxHeader('mdat', 5 * 2 ** 30);
    assert.equal(h.length, 16);
    assert.equal(h.readUInt32BE(0), 1);
    assert.deepEqual(readBoxHeader(h, 0), { type: 'mdat', size: 5 * 2 ** 30 + 16, headerSize: 16 });
    assert.equal(boxHeader('mdat', 10).length, 8);
  });

  test('a field writer refuses a wrong precomputed size', () => {
    assert.throws(() => new FieldWriter(5).u32(1).end());
    assert.equal(new FieldWriter(6).u16(1).u32(2).end().length, 6);
  });
});

// ---- writer and converter against ffprobe ----

describe('fragmented MP4 recording', { skip: noFfmpeg }, () => {
  let dir = '';
  let source = '';
  let frames: Frame[] = [];
  let fragmented = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mp4-test-'));
    source = join(dir, 'a.flv');
    execFileSync('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '4', '-c:v', 'libx264', '-g', '50', '-bf', '2', '-c:a', 'aac', '-f', 'flv', source,
    ]);
    frames = readFlv(readFileSync(source));
    fragmented = join(dir, 'rec.fmp4');
    writeFragmented(frames, fragmented);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the source FLV parses into frames', () => {
    const video = frames.filter((f) => f.type === 'video' && !f.header);
    assert.equal(video.length, 100);
    assert.ok(video.some((f) => f.pts !== f.dts), 'B-frames give composition offsets');
  });

  test('the fragmented file probes as h264 320x240 + aac 44100, 4 s', () => {
    const p = ffprobe(fragmented);
    const v = p.streams.find((s) => s.codec_type === 'video');
    const a = p.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.width, 320);
    assert.equal(v?.height, 240);
    assert.equal(a?.codec_name, 'aac');
    assert.equal(a?.sample_rate, '44100');
    assert.ok(Math.abs(Number(p.format.duration) - 4) <= 0.1, `duration ${p.format.duration}`);
    const counted = ffprobe(fragmented, '-count_frames', '-select_streams', 'v:0');
    assert.equal(counted.streams[0]?.nb_read_frames, '100');
  });

  test('fragments start with ftyp + moov and are cut at keyframes', () => {
    const buf = readFileSync(fragmented);
    const boxes = topLevel(buf);
    assert.deepEqual(boxes.slice(0, 2).map((b) => b.type), ['ftyp', 'moov']);
    const moofs = boxes.filter((b) => b.type === 'moof');
    assert.equal(moofs.length, 2, 'a 2 s GOP with fragmentMs 1000 gives 2 fragments in 4 s');
    for (const m of moofs) {
      const next = boxes[boxes.indexOf(m) + 1];
      assert.equal(next?.type, 'mdat');
      assert.equal(trunCount(buf, m.start, 1), 50);
    }
  });

  test('probeFragmented reports frames, duration and bytes', async () => {
    const info = await probeFragmented(fragmented);
    const audio = frames.filter((f) => f.type === 'audio' && !f.header).length;
    assert.equal(info.videoFrames, 100);
    assert.equal(info.audioFrames, audio);
    assert.ok(Math.abs(info.durationMs - 4000) <= 100, `durationMs ${info.durationMs}`);
    assert.equal(info.bytes, statSync(fragmented).size);
    assert.equal(info.completeBytes, info.bytes);
    assert.equal(info.fragments, 2);
  });

  test('the progressive file has moov first, 100 frames, and the source presentation times', async () => {
    const out = join(dir, 'index.mp4');
    const result = await fragmentedToProgressive(fragmented, out);
    assert.equal(result.videoFrames, 100);
    assert.equal(result.droppedBytes, 0);
    const buf = readFileSync(out);
    assert.equal(result.bytes, buf.length);
    const types = topLevel(buf).map((b) => b.type);
    assert.deepEqual(types, ['ftyp', 'moov', 'mdat']);
    assert.ok(findPath(buf, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stco']), 'a small file uses stco');
    assert.ok(findPath(buf, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'ctts']), 'B-frames need ctts');
    assert.ok(findPath(buf, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stss']), 'video needs stss');

    const p = ffprobe(out, '-count_frames');
    const v = p.streams.find((s) => s.codec_type === 'video');
    const a = p.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.width, 320);
    assert.equal(v?.height, 240);
    assert.equal(v?.nb_read_frames, '100');
    assert.equal(a?.codec_name, 'aac');
    assert.equal(a?.sample_rate, '44100');
    assert.ok(Math.abs(Number(p.format.duration) - 4) <= 0.1, `duration ${p.format.duration}`);

    // The writer's origin is the first keyframe's dts; in this FLV it is 0, so times compare directly.
    const origin = frames.find((f) => f.type === 'video' && f.keyframe)!.dts / 1000;
    const want = videoPts(source).map((t) => t - origin);
    const got = videoPts(out);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) < 0.0015, `frame ${i}: pts ${got[i]} vs source ${want[i]}`);
    }

    // The same conversion in memory gives the same bytes.
    const mem = await fragmentedToProgressiveBuffer(readFileSync(fragmented));
    assert.ok(mem.output.equals(buf));
  });

  test('a torn last fragment is left out and the rest still converts', async () => {
    const torn = join(dir, 'torn.fmp4');
    copyFileSync(fragmented, torn);
    const buf = readFileSync(torn);
    const lastMoof = topLevel(buf).filter((b) => b.type === 'moof').pop()!;
    const lostVideo = trunCount(buf, lastMoof.start, 1);
    truncateSync(torn, lastMoof.start + Math.floor((buf.length - lastMoof.start) / 2));

    assert.equal(await completeFragmentedLength(torn), lastMoof.start);
    const out = join(dir, 'torn.mp4');
    const result = await fragmentedToProgressive(torn, out);
    assert.equal(result.videoFrames, 100 - lostVideo);
    assert.equal(result.fragments, 1);
    assert.ok(result.droppedBytes > 0);
    const p = ffprobe(out, '-count_frames', '-select_streams', 'v:0');
    assert.equal(p.streams[0]?.nb_read_frames, String(100 - lostVideo));
    assert.ok(Math.abs(Number(p.format.duration) - 2) <= 0.1, `duration ${p.format.duration}`);

    // A recorder restarting after the crash cuts the tail and appends a new writer's output.
    truncateSync(torn, lastMoof.start);
    const w = new Fmp4Writer();
    const more: Buffer[] = [];
    for (const f of frames) more.push(...w.push(f));
    more.push(...w.flush());
    writeFileSync(torn, Buffer.concat([readFileSync(torn), ...more]));
    const joined = await fragmentedToProgressive(torn, out);
    assert.equal(joined.videoFrames, 100 - lostVideo + 100);
    const pj = ffprobe(out, '-count_frames', '-select_streams', 'v:0');
    assert.equal(pj.streams[0]?.nb_read_frames, String(200 - lostVideo));
    assert.ok(Math.abs(Number(pj.format.duration) - 6) <= 0.15, `duration ${pj.format.duration}`);
  });

  test('a file torn inside its init segment is refused with a code', async () => {
    const torn = join(dir, 'no-init.fmp4');
    writeFileSync(torn, readFileSync(fragmented).subarray(0, 100));
    await assert.rejects(fragmentedToProgressive(torn, join(dir, 'x.mp4')), { code: 'MP4_NO_INIT' });
    await assert.rejects(probeFragmented(torn), { code: 'MP4_NO_INIT' });
  });

  test('audio-only and video-only streams record', async () => {
    for (const kind of ['audio', 'video'] as const) {
      const frag = join(dir, `${kind}.fmp4`);
      const out = join(dir, `${kind}.mp4`);
      const w = writeFragmented(frames.filter((f) => f.type === kind), frag, { startWaitMs: 500 });
      assert.equal(w.stats.droppedFrames, 0);
      await fragmentedToProgressive(frag, out);
      const p = ffprobe(out);
      assert.deepEqual(p.streams.map((s) => s.codec_type), [kind]);
      assert.ok(Math.abs(Number(p.format.duration) - 4) <= 0.1, `${kind} duration ${p.format.duration}`);
    }
  });

  test('H.265 records as hvc1 with the size from its SPS', async () => {
    const raw = join(dir, 'c.hevc');
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-t', '1',
      '-c:v', 'libx265', '-bf', '0', '-x265-params', 'log-level=error', '-f', 'hevc', raw,
    ]);
    const hevc = readHevc(readFileSync(raw));
    assert.equal(hevc.filter((f) => !f.header).length, 25);
    const frag = join(dir, 'hevc.fmp4');
    const out = join(dir, 'hevc.mp4');
    writeFragmented(hevc, frag, { hasAudio: false });
    await fragmentedToProgressive(frag, out);
    for (const file of [frag, out]) {
      const p = ffprobe(file, '-count_frames');
      const v = p.streams[0] as Probe['streams'][0] & { codec_tag_string: string };
      assert.equal(v.codec_name, 'hevc');
      assert.equal(v.codec_tag_string, 'hvc1');
      assert.equal(v.width, 320);
      assert.equal(v.height, 180);
      assert.equal(v.nb_read_frames, '25');
    }
    const buf = readFileSync(out);
    const tk = findPath(buf, ['moov', 'trak', 'tkhd'])!;
    assert.equal(buf.readUInt32BE(tk.end - 8) / 65536, 320);
    assert.equal(buf.readUInt32BE(tk.end - 4) / 65536, 180, 'tkhd takes the cropped size from the SPS');
  });

  test('MP3 audio records as mp4a with the MPEG-1/2 audio object type', async () => {
    const flv = join(dir, 'mp3.flv');
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050', '-t', '2',
      '-c:a', 'libmp3lame', '-ac', '1', '-f', 'flv', flv,
    ]);
    const mp3 = readFlv(readFileSync(flv)).filter((f) => f.type === 'audio');
    const frag = join(dir, 'mp3.fmp4');
    const out = join(dir, 'mp3.mp4');
    writeFragmented(mp3, frag, { hasVideo: false });
    const result = await fragmentedToProgressive(frag, out);
    assert.equal(result.audioFrames, mp3.length);
    const a = ffprobe(out, '-count_frames').streams[0];
    assert.equal(a?.codec_name, 'mp3');
    assert.equal(a?.sample_rate, '22050');
    assert.equal(a?.nb_read_frames, String(mp3.length));
    assert.ok(Math.abs(Number(ffprobe(out).format.duration) - 2) <= 0.1);
  });

  test('a republish with a new resolution does not break the recording', async () => {
    const small = join(dir, 'b.flv');
    execFileSync('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=44100',
      '-t', '1', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-c:a', 'aac', '-f', 'flv', small,
    ]);
    const shift = 4100; // the caller makes timestamps continuous
    const second = readFlv(readFileSync(small)).map((f) => ({ ...f, dts: f.dts + shift, pts: f.pts + shift }));
    const frag = join(dir, 'republish.fmp4');
    const w = writeFragmented([...frames, ...second], frag);
    assert.equal(w.stats.configChanges, 1);
    assert.equal(w.stats.notes.length, 1);
    const out = join(dir, 'republish.mp4');
    const result = await fragmentedToProgressive(frag, out);
    assert.equal(result.videoFrames, 125);
    const p = ffprobe(out, '-count_frames', '-select_streams', 'v:0');
    assert.equal(p.streams[0]?.nb_read_frames, '125');
  });
});

// ---- writer edge cases, synthetic frames ----

describe('fragmented MP4 writer edge cases', () => {
  const sps = Buffer.from('6742c01e95a0a0fd00', 'hex');
  const pps = Buffer.from('68ce3c80', 'hex');
  const avcc = Buffer.concat([
    Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps,
  ]);
  const asc = Buffer.from([0x12, 0x10]); // AAC LC 44100 stereo
  const vh: Frame = { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: avcc };
  const ah: Frame = { type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: asc, sampleRate: 44100, channels: 2 };
  const video = (ms: number, key: boolean): Frame => ({ ...vh, dts: ms, pts: ms, keyframe: key, header: false, data: Buffer.from([0, 0, 0, 1, key ? 0x65 : 0x41]) });
  const audio = (ms: number): Frame => ({ ...ah, dts: ms, pts: ms, header: false, data: Buffer.from([0x21, 0x00]) });

  function stream(from: number, to: number): Frame[] {
    const out: Frame[] = [];
    let v = 0;
    let a = 0;
    for (;;) {
      const vt = from + v * 40;
      const at = from + Math.floor((a * 1024000) / 44100);
      if (vt >= to && at >= to) return out;
      if (vt <= at) out.push(video(vt, v++ % 25 === 0));
      else (out.push(audio(at)), a++);
    }
  }

  test('timestamps that restart, a codec switch and a broken header do not stop the recording', async () => {
    const w = new Fmp4Writer();
    const bytes: Buffer[] = [];
    const push = (f: Frame): void => void bytes.push(...w.push(f));
    [vh, ah, ...stream(0, 3000)].forEach(push);
    // A republish whose timestamps start again at 0.
    [vh, ah, ...stream(0, 2000)].forEach(push);
    assert.ok(Math.abs(w.durationMs - 5000) < 100, `durationMs ${w.durationMs}`);
    // A switch to H.265 (unsupported change): video is dropped until H.264 comes back; garbage is survived.
    push({ ...vh, codec: VideoCodec.H265, data: Buffer.from([1, 2, 3]) });
    push({ ...ah, data: Buffer.from([0xff]) });
    const dropped = w.stats.droppedFrames;
    stream(2000, 2500).forEach(push); // the publisher's clock goes on from 2 s
    assert.ok(w.stats.droppedFrames > dropped);
    push(vh);
    push(ah);
    stream(2500, 4000).forEach(push);
    bytes.push(...w.flush());
    assert.ok(w.stats.notes.length >= 2, w.stats.notes.join('; '));
    assert.equal(w.stats.videoSamples, 75 + 50 + 38, 'video resumes when H.264 comes back');
    assert.ok(Math.abs(w.durationMs - 7000) < 100, `durationMs ${w.durationMs}`);

    const { output, result } = await fragmentedToProgressiveBuffer(Buffer.concat(bytes));
    assert.ok(Math.abs(result.durationMs - 7000) < 100, `converted ${result.durationMs}`);
    assert.deepEqual(topLevel(output).map((b) => b.type), ['ftyp', 'moov', 'mdat']);
    assert.equal(result.videoFrames, w.stats.videoSamples);
    assert.equal(result.audioFrames, w.stats.audioSamples);
  });

  test('without a video keyframe nothing is written; audio-only starts after the wait', () => {
    const w = new Fmp4Writer({ startWaitMs: 500 });
    const out: Buffer[] = [];
    out.push(...w.push(vh), ...w.push(video(0, false)), ...w.push(video(40, false)));
    assert.equal(out.length, 0);
    assert.equal(w.started, false);

    const a = new Fmp4Writer({ startWaitMs: 500 });
    const bufs: Buffer[] = [...a.push(ah)];
    for (let i = 0; i < 10; i++) bufs.push(...a.push(audio(i * 23)));
    assert.equal(a.started, false, 'waits for a video header that may come');
    for (let i = 10; i < 30; i++) bufs.push(...a.push(audio(i * 23)));
    assert.equal(a.started, true);
    assert.equal(readBoxHeader(bufs[0]!, 0)?.type, 'ftyp');
  });
});

// ---- co64 without writing 4 GiB ----

describe('progressive offsets past 4 GiB', () => {
  test('co64 and a large mdat header are used', async () => {
    // An init segment from the writer (a synthetic AVC config), then one fragment whose 3 samples are 2 GiB each.
    const sps = Buffer.from('6742c01e95a0a0fd00', 'hex');
    const pps = Buffer.from('68ce3c80', 'hex');
    const avcc = Buffer.concat([
      Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps,
    ]);
    const w = new Fmp4Writer({ hasAudio: false });
    const hdr: Frame = { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: avcc };
    const key: Frame = { ...hdr, header: false, data: Buffer.from([0, 0, 0, 1, 0x65]) };
    w.push(hdr);
    const init = w.push(key)[0]!;
    assert.equal(readBoxHeader(init, 0)?.type, 'ftyp');

    const sample = 2 ** 31;
    const trun = new FieldWriter(12 + 3 * 8).u32(0x000301).u32(3).i32(0);
    for (let i = 0; i < 3; i++) trun.u32(3600).u32(sample);
    const trunBuf = trun.end();
    const moof = box(
      'moof',
      fullBox('mfhd', 0, 0, new FieldWriter(4).u32(1).end()),
      box(
        'traf',
        fullBox('tfhd', 0, 0x020020, new FieldWriter(8).u32(1).u32(0x02000000).end()),
        fullBox('tfdt', 1, 0, new FieldWriter(8).u64(0).end()),
        box('trun', trunBuf),
      ),
    );
    const mdat = boxHeader('mdat', 3 * sample);
    trunBuf.writeInt32BE(moof.size + mdat.length, 8);
    const head = Buffer.concat([init, serialize(moof), mdat]);
    const source: ByteSource = {
      size: head.length + 3 * sample,
      async read(position, length) {
        const out = Buffer.alloc(length);
        if (position < head.length) head.copy(out, 0, position, Math.min(head.length, position + length));
        return out;
      },
    };
    const written: Buffer[] = [];
    const copies: [number, number][] = [];
    const sink: ByteSink = {
      async write(data) {
        written.push(data);
      },
      async copy(_src, position, length) {
        copies.push([position, length]);
      },
    };
    const result = await convertFragmented(source, sink);
    assert.equal(result.videoFrames, 3);
    assert.deepEqual(copies, [[head.length, 3 * sample]]);
    const start = Buffer.concat(written);
    const co64 = findPath(start, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'co64']);
    assert.ok(co64, 'co64 expected');
    assert.equal(findPath(start, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stco']), undefined);
    const mdatAt = childBoxes(start, 0, start.length).find((b) => b.type === 'moov')!.end;
    assert.deepEqual(readBoxHeader(start, mdatAt, start.length + 16), { type: 'mdat', size: 3 * sample + 16, headerSize: 16 });
    assert.equal(Number(start.readBigUInt64BE(co64.payloadStart + 8)), mdatAt + 16);
    assert.equal(result.bytes, mdatAt + 16 + 3 * sample);
  });
});
