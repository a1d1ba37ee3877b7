// MPEG-TS demuxer and muxer: ffmpeg fixtures (frame counts and keyframes checked with ffprobe), hand-made
// packets (PES over many packets, adaptation-field-only packets, CC loss, PTS wrap), hostile input, and
// mux -> demux round trips plus ffprobe accepting the muxer's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { annexBToAvcc, avcVideoInfo } from '../../../src/codecs/h264.js';
import { hevcVideoInfo } from '../../../src/codecs/h265.js';
import { buildAudioSpecificConfig, writeAdtsHeader } from '../../../src/codecs/aac.js';
import { TsDemuxer, type TsDemuxerStats } from '../../../src/codecs/mpegts/demux.js';
import { PTS_WRAP, TsMuxer, crc32Mpeg2 } from '../../../src/codecs/mpegts/mux.js';

// compiled to dist/test/unit/codecs/: four levels up is the repository root
const fixturePath = (name: string): string => fileURLToPath(new URL(`../../../../test/fixtures/${name}`, import.meta.url));
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

interface Demuxed {
  frames: Frame[];
  errors: Error[];
  stats: TsDemuxerStats;
}

function demux(input: Buffer | Buffer[]): Demuxed {
  const frames: Frame[] = [];
  const errors: Error[] = [];
  const d = new TsDemuxer({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) });
  for (const b of Array.isArray(input) ? input : [input]) d.push(b);
  d.flush();
  return { frames, errors, stats: d.stats };
}

function muxAll(frames: Frame[], muxer = new TsMuxer()): Buffer {
  const out: Buffer[] = [];
  for (const f of frames) {
    const b = muxer.mux(f);
    if (b) out.push(b);
  }
  return Buffer.concat(out);
}

function ffprobe(args: string[]): unknown {
  const r = spawnSync('ffprobe', ['-v', 'error', ...args, '-of', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffprobe failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface ProbedStream {
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
}

function probeFile(path: string): { streams: ProbedStream[]; keyframes: number[] } {
  const s = ffprobe(['-count_frames', '-show_streams', path]) as { streams: ProbedStream[] };
  const p = ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=flags', path]) as { packets: Array<{ flags: string }> };
  const keyframes = p.packets.map((x, i) => (x.flags.startsWith('K') ? i : -1)).filter((i) => i >= 0);
  return { streams: s.streams, keyframes };
}

/** A muxer output written to a temp file, probed by ffprobe, then removed. */
function probeBuffer(ts: Buffer): { streams: ProbedStream[]; keyframes: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tsmux-test-'));
  try {
    const path = join(dir, 'out.ts');
    writeFileSync(path, ts);
    return probeFile(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Same frames per track. The interleaving of video and audio may differ: a video PES has no length, so
 * the demuxer emits it when the next one starts, after the audio PES that came in between.
 */
function assertSameTracks(actual: Frame[], expected: Frame[]): void {
  assertSameFrames(actual.filter((f) => f.type === 'video'), expected.filter((f) => f.type === 'video'));
  assertSameFrames(actual.filter((f) => f.type === 'audio'), expected.filter((f) => f.type === 'audio'));
}

function assertSameFrames(actual: Frame[], expected: Frame[]): void {
  assert.equal(actual.length, expected.length, 'frame count');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const label = `frame ${i} (${e.type} ${e.dts})`;
    assert.equal(a.type, e.type, label);
    assert.equal(a.codec, e.codec, label);
    assert.equal(a.dts, e.dts, label);
    assert.equal(a.pts, e.pts, label);
    assert.equal(a.keyframe, e.keyframe, label);
    assert.equal(a.header, e.header, label);
    assert.ok(a.data.equals(e.data), `${label} data`);
  }
}

// ---- hand-made transport stream pieces (independent of the muxer) ----

const VIDEO_PID = 0x100;
const AUDIO_PID = 0x101;
const PMT_PID = 0x1000;

function tsPacket(pid: number, cc: number, payload: Buffer, pusi: boolean): Buffer {
  assert.ok(payload.length <= 184);
  const p = Buffer.alloc(188, 0xff);
  p[0] = 0x47;
  p[1] = (pusi ? 0x40 : 0) | (pid >> 8);
  p[2] = pid & 0xff;
  if (payload.length === 184) {
    p[3] = 0x10 | cc;
    payload.copy(p, 4);
  } else {
    const af = 184 - payload.length;
    p[3] = 0x30 | cc;
    p[4] = af - 1;
    if (af > 1) p[5] = 0;
    payload.copy(p, 4 + af);
  }
  return p;
}

/** A packet with an adaptation field and no payload (continuity counter not incremented). */
function afOnlyPacket(pid: number, cc: number): Buffer {
  const p = Buffer.alloc(188, 0xff);
  p[0] = 0x47;
  p[1] = pid >> 8;
  p[2] = pid & 0xff;
  p[3] = 0x20 | cc;
  p[4] = 183;
  p[5] = 0x10; // PCR flag
  p.fill(0, 6, 12);
  return p;
}

function psi(pid: number, tableId: number, idExt: number, body: Buffer): Buffer {
  const sectionLength = 5 + body.length + 4;
  const s = Buffer.alloc(3 + sectionLength);
  s[0] = tableId;
  s.writeUInt16BE(0xb000 | sectionLength, 1);
  s.writeUInt16BE(idExt, 3);
  s[5] = 0xc1;
  s[6] = 0;
  s[7] = 0;
  body.copy(s, 8);
  s.writeUInt32BE(crc32Mpeg2(s, 0, s.length - 4), s.length - 4);
  return tsPacket(pid, 0, Buffer.concat([Buffer.from([0]), s]), true);
}

function patPacket(): Buffer {
  return psi(0, 0, 1, hex('0001' + (0xe000 | PMT_PID).toString(16)));
}

function pmtPacket(streams: Array<[number, number]>): Buffer {
  const body = [Buffer.from([0xe0 | (streams[0][1] >> 8), streams[0][1] & 0xff, 0xf0, 0])];
  for (const [type, pid] of streams) body.push(Buffer.from([type, 0xe0 | (pid >> 8), pid & 0xff, 0xf0, 0]));
  return psi(PMT_PID, 2, 1, Buffer.concat(body));
}

function timestamp(prefix: number, ts: number): Buffer {
  const b = Buffer.alloc(5);
  const low = ts % 2 ** 30;
  b[0] = (prefix << 4) | ((Math.floor(ts / 2 ** 30) & 7) << 1) | 1;
  b[1] = low >>> 22;
  b[2] = (((low >>> 15) & 0x7f) << 1) | 1;
  b[3] = (low >>> 7) & 0xff;
  b[4] = ((low & 0x7f) << 1) | 1;
  return b;
}

function pes(streamId: number, pts: number, dts: number | null, payload: Buffer, withLength: boolean): Buffer {
  const ts = dts === null ? timestamp(2, pts) : Buffer.concat([timestamp(3, pts), timestamp(1, dts)]);
  const h = Buffer.from([0, 0, 1, streamId, 0, 0, 0x80, dts === null ? 0x80 : 0xc0, ts.length]);
  const out = Buffer.concat([h, ts, payload]);
  if (withLength) out.writeUInt16BE(out.length - 6, 4);
  return out;
}

/** Splits a PES into packets; returns them and the next continuity counter. */
function packetize(pid: number, cc: number, data: Buffer): { packets: Buffer[]; cc: number } {
  const packets: Buffer[] = [];
  for (let p = 0; p < data.length; p += 184) {
    packets.push(tsPacket(pid, cc, data.subarray(p, Math.min(p + 184, data.length)), p === 0));
    cc = (cc + 1) & 15;
  }
  return { packets, cc };
}

const SPS = hex('6764000dacd94141fb011000000300100000030320f1429960');
const PPS = hex('68ebe3cb22c0');
const startCode = hex('00000001');
const annexB = (...nalus: Buffer[]): Buffer => Buffer.concat(nalus.flatMap((n) => [startCode, n]));
const idr = (size: number, fill = 0x11): Buffer => Buffer.concat([hex('65'), Buffer.alloc(size - 1, fill)]);
const nonIdr = (size: number, fill = 0x22): Buffer => Buffer.concat([hex('41'), Buffer.alloc(size - 1, fill)]);

function adtsFrame(raw: Buffer): Buffer {
  const out = Buffer.alloc(7 + raw.length);
  writeAdtsHeader({ objectType: 2, sampleRateIndex: 4, channelConfig: 1 }, raw.length, out, 0);
  raw.copy(out, 7);
  return out;
}

// ---- demuxer on the ffmpeg fixtures ----

for (const [name, codec] of [
  ['small.ts', VideoCodec.H264],
  ['small-hevc.ts', VideoCodec.H265],
] as const) {
  test(`demux ${name}: frame counts and keyframes as ffprobe sees them, one header each`, () => {
    const probe = probeFile(fixturePath(name));
    const expectedVideo = Number(probe.streams.find((s) => s.codec_name === (codec === VideoCodec.H264 ? 'h264' : 'hevc'))?.nb_read_frames);
    const expectedAudio = Number(probe.streams.find((s) => s.codec_name === 'aac')?.nb_read_frames);
    assert.ok(expectedVideo > 0 && expectedAudio > 0);

    const { frames, errors, stats } = demux(fixture(name));
    assert.deepEqual(errors, []);
    assert.equal(stats.ccErrors, 0);
    const video = frames.filter((f) => f.type === 'video' && !f.header);
    const videoHeaders = frames.filter((f) => f.type === 'video' && f.header);
    const audio = frames.filter((f) => f.type === 'audio' && !f.header);
    const audioHeaders = frames.filter((f) => f.type === 'audio' && f.header);
    assert.equal(video.length, expectedVideo);
    assert.deepEqual(video.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0), probe.keyframes);
    assert.equal(videoHeaders.length, 1);
    assert.equal(frames[0].header, true, 'the video header comes before the first video frame');
    const info = codec === VideoCodec.H264 ? avcVideoInfo(videoHeaders[0].data) : hevcVideoInfo(videoHeaders[0].data);
    assert.equal(info.width, 320);
    assert.equal(info.height, 240);
    for (const f of video) {
      assert.equal(f.codec, codec);
      assert.ok(f.pts >= f.dts);
      // AVCC without AUD or parameter sets
      let p = 0;
      while (p < f.data.length) {
        const len = f.data.readUInt32BE(p);
        const t = codec === VideoCodec.H264 ? f.data[p + 4] & 0x1f : (f.data[p + 4] >> 1) & 0x3f;
        assert.ok(codec === VideoCodec.H264 ? ![7, 8, 9].includes(t) : ![32, 33, 34, 35].includes(t));
        p += 4 + len;
      }
      assert.equal(p, f.data.length);
    }
    for (let i = 1; i < video.length; i++) assert.equal(video[i].dts - video[i - 1].dts, 40);
    assert.equal(video[0].dts, 1400);

    assert.equal(audioHeaders.length, 1);
    assert.deepEqual(audioHeaders[0].data, buildAudioSpecificConfig(2, 44100, 1));
    assert.equal(audioHeaders[0].sampleRate, 44100);
    assert.equal(audioHeaders[0].channels, 1);
    assert.equal(audio.length, expectedAudio);
    assert.equal(audio[0].dts, Math.round(131110 / 90));
    for (let i = 1; i < audio.length; i++) {
      assert.ok(audio[i].dts > audio[i - 1].dts, 'audio dts increases');
      assert.ok(Math.abs(audio[i].dts - audio[i - 1].dts - 1024000 / 44100) <= 1);
      assert.equal(audio[i].pts, audio[i].dts);
    }
  });
}

test('demux gives the same frames whatever the chunking', () => {
  const ts = fixture('small.ts');
  const whole = demux(ts).frames;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const chunks: Buffer[] = [];
  for (let p = 0; p < ts.length; ) {
    const n = 1 + rand(1500);
    chunks.push(Buffer.from(ts.subarray(p, p + n))); // copies: the demuxer must not keep views of its input
    p += n;
  }
  const d = demux(chunks);
  assertSameFrames(d.frames, whole);
  const oneByte = demux(Array.from(ts.subarray(0, 40000), (b) => Buffer.from([b])));
  assertSameFrames(oneByte.frames, demux(ts.subarray(0, 40000)).frames);
});

// ---- hand-made streams ----

test('a PES over many packets with an adaptation-field-only packet in between', () => {
  const first = pes(0xe0, 3600 * 2, 3600, annexB(hex('0910'), SPS, PPS, hex('0605aabbccdd80'), idr(3000)), false);
  const second = pes(0xe0, 3600 * 3, 3600 * 2, annexB(hex('0910'), nonIdr(500)), false);
  const a = packetize(VIDEO_PID, 0, first);
  const b = packetize(VIDEO_PID, a.cc, second);
  assert.ok(a.packets.length > 15);
  const afOnly = afOnlyPacket(VIDEO_PID, 7); // same counter as the packet before it (no payload)
  const packets = [patPacket(), pmtPacket([[0x1b, VIDEO_PID]]), ...a.packets.slice(0, 8), afOnly, ...a.packets.slice(8), ...b.packets];
  const { frames, stats, errors } = demux(Buffer.concat(packets));
  assert.deepEqual(errors, []);
  assert.equal(stats.ccErrors, 0);
  assert.equal(frames.length, 3);
  assert.equal(frames[0].header, true);
  assert.deepEqual(avcVideoInfo(frames[0].data).width, 320);
  assert.equal(frames[1].keyframe, true);
  assert.equal(frames[1].dts, 40);
  assert.equal(frames[1].pts, 80);
  assert.deepEqual(frames[1].data, annexBToAvcc([hex('0605aabbccdd80'), idr(3000)]));
  assert.equal(frames[2].keyframe, false);
  assert.deepEqual(frames[2].data, annexBToAvcc([nonIdr(500)]));
});

test('audio PES with a length over several packets gives one frame per ADTS frame', () => {
  const raws = [Buffer.alloc(300, 1), Buffer.alloc(250, 2), Buffer.alloc(280, 3)];
  const p1 = pes(0xc0, 90000, null, Buffer.concat(raws.map(adtsFrame)), true);
  const p2 = pes(0xc0, 90000 + 3 * 2090, null, adtsFrame(Buffer.alloc(10, 4)), true);
  const a = packetize(AUDIO_PID, 0, p1);
  const b = packetize(AUDIO_PID, a.cc, p2);
  const { frames, errors } = demux(Buffer.concat([patPacket(), pmtPacket([[0x0f, AUDIO_PID]]), ...a.packets, ...b.packets]));
  assert.deepEqual(errors, []);
  assert.equal(frames.length, 5);
  assert.equal(frames[0].header, true);
  assert.deepEqual(frames[0].data, hex('1208'));
  assert.deepEqual(frames.slice(1, 4).map((f) => f.data), raws);
  assert.deepEqual(frames.slice(1).map((f) => f.dts), [1000, 1023, 1046, 1070]);
  assert.ok(frames.every((f) => f.codec === AudioCodec.AAC && f.sampleRate === 44100 && f.channels === 1));
});

test('an ADTS frame split across two PES keeps its timestamp', () => {
  const whole = Buffer.concat([adtsFrame(Buffer.alloc(100, 1)), adtsFrame(Buffer.alloc(100, 2))]);
  const p1 = pes(0xc0, 90000, null, whole.subarray(0, 150), true);
  // PTS of the first frame starting in this PES (the third)
  const p2 = pes(0xc0, 90000 + 4180, null, Buffer.concat([whole.subarray(150), adtsFrame(Buffer.alloc(100, 3))]), true);
  const a = packetize(AUDIO_PID, 0, p1);
  const b = packetize(AUDIO_PID, a.cc, p2);
  const { frames } = demux(Buffer.concat([patPacket(), pmtPacket([[0x0f, AUDIO_PID]]), ...a.packets, ...b.packets]));
  assert.deepEqual(frames.slice(1).map((f) => [f.dts, f.data[0]]), [[1000, 1], [1023, 2], [1046, 3]]);
});

test('a continuity counter jump drops the broken PES and counts it', () => {
  const p = [
    pes(0xe0, 3600, 3600, annexB(SPS, PPS, idr(1000)), false),
    pes(0xe0, 7200, 7200, annexB(nonIdr(1000, 0x33)), false),
    pes(0xe0, 10800, 10800, annexB(nonIdr(1000, 0x44)), false),
  ];
  let cc = 0;
  const packets: Buffer[] = [patPacket(), pmtPacket([[0x1b, VIDEO_PID]])];
  p.forEach((x, i) => {
    const r = packetize(VIDEO_PID, cc, x);
    cc = r.cc;
    packets.push(...(i === 1 ? r.packets.filter((_, j) => j !== 2) : r.packets));
  });
  const { frames, stats } = demux(Buffer.concat(packets));
  assert.equal(stats.ccErrors, 1);
  assert.equal(stats.pesDropped, 1);
  assert.deepEqual(frames.filter((f) => !f.header).map((f) => f.dts), [40, 120]);
  assert.deepEqual(frames[2].data, annexBToAvcc([nonIdr(1000, 0x44)]));
  // a repeated packet (same counter) is a legal duplicate, not a loss
  const r = packetize(VIDEO_PID, 0, p[0]);
  const dup = demux(Buffer.concat([patPacket(), pmtPacket([[0x1b, VIDEO_PID]]), r.packets[0], r.packets[1], r.packets[1], ...r.packets.slice(2)]));
  assert.equal(dup.stats.ccErrors, 0);
  assert.equal(dup.frames.length, 2);
});

test('PTS/DTS wrap-around at 2^33 gives monotonic milliseconds', () => {
  const start = PTS_WRAP - 3600 * 3;
  const packets: Buffer[] = [patPacket(), pmtPacket([[0x1b, VIDEO_PID], [0x0f, AUDIO_PID]])];
  let vcc = 0;
  let acc = 0;
  for (let i = 0; i < 8; i++) {
    const dts = (start + i * 3600) % PTS_WRAP;
    const pts = (dts + 7200) % PTS_WRAP;
    const v = packetize(VIDEO_PID, vcc, pes(0xe0, pts, dts, annexB(...(i === 0 ? [SPS, PPS, idr(300)] : [nonIdr(300)])), false));
    vcc = v.cc;
    const a = packetize(AUDIO_PID, acc, pes(0xc0, dts, null, adtsFrame(Buffer.alloc(50, i)), true));
    acc = a.cc;
    packets.push(...v.packets, ...a.packets);
  }
  const { frames } = demux(Buffer.concat(packets));
  const video = frames.filter((f) => f.type === 'video' && !f.header);
  const audio = frames.filter((f) => f.type === 'audio' && !f.header);
  assert.equal(video.length, 8);
  assert.equal(audio.length, 8);
  const base = Math.round(start / 90);
  assert.deepEqual(video.map((f) => f.dts - base), [0, 40, 80, 120, 160, 200, 240, 280]);
  assert.deepEqual(video.map((f) => f.pts - f.dts), new Array(8).fill(80));
  assert.deepEqual(audio.map((f) => f.dts - base), [0, 40, 80, 120, 160, 200, 240, 280]);
});

test('garbage, truncation and corruption never throw', () => {
  const ts = fixture('small.ts');
  const reference = demux(ts).frames.filter((f) => !f.header);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rand(256)));

  // pure garbage
  const g = demux(noise(100_000));
  assert.equal(g.frames.length, 0);
  assert.ok(g.stats.droppedBytes > 90_000);

  // garbage inserted between packets: resync, most frames survive
  const withGarbage = Buffer.concat([ts.subarray(0, 188 * 40), noise(1000), ts.subarray(188 * 40, 188 * 120), noise(77), ts.subarray(188 * 120)]);
  const r = demux(withGarbage);
  assert.ok(r.stats.resyncs >= 2);
  assert.ok(r.stats.droppedBytes >= 1077);
  assert.ok(r.frames.filter((f) => !f.header).length >= reference.length - 10);

  // truncated at many places, including mid-packet and mid-PES
  for (let i = 0; i < 50; i++) {
    const cut = demux(ts.subarray(0, rand(ts.length)));
    for (const f of cut.frames) assert.ok(f.data.length > 0);
  }

  // random byte corruption, pushed in random chunks
  for (let i = 0; i < 100; i++) {
    const bad = Buffer.from(ts);
    for (let k = 0; k < 30; k++) bad[rand(bad.length)] = rand(256);
    const chunks: Buffer[] = [];
    for (let p = 0; p < bad.length; ) {
      const n = 1 + rand(3000);
      chunks.push(bad.subarray(p, p + n));
      p += n;
    }
    demux(chunks);
  }

  // forged lengths: a PES claiming 65535 bytes that never come, a PMT section_length of 4095
  const forgedPes = pes(0xe0, 3600, 3600, annexB(SPS, PPS, idr(100)), false);
  forgedPes.writeUInt16BE(0xffff, 4);
  const pmt = pmtPacket([[0x1b, VIDEO_PID]]);
  const badPmt = Buffer.from(pmt);
  badPmt.writeUInt16BE(0xbfff, 4 + 1 + badPmt[4] + 1 + 1); // header, adaptation field, pointer_field, table_id
  const f = demux(Buffer.concat([patPacket(), badPmt, pmt, ...packetize(VIDEO_PID, 0, forgedPes).packets]));
  assert.equal(f.frames.length, 0);
  assert.equal(f.stats.pesDropped, 1);
  assert.ok(f.errors.length >= 2, f.errors.map((e) => e.message).join('; '));

  // a throwing consumer is reported, not thrown
  const errors: Error[] = [];
  const d = new TsDemuxer({
    onFrame: () => {
      throw new Error('consumer bug');
    },
    onError: (e) => errors.push(e),
  });
  assert.doesNotThrow(() => d.push(ts));
  assert.ok(errors.some((e) => e.message === 'consumer bug'));
});

// ---- muxer ----

for (const name of ['small.ts', 'small-hevc.ts']) {
  test(`mux -> demux round trip of ${name} gives the same frames`, () => {
    const frames = demux(fixture(name)).frames;
    const ts = muxAll(frames);
    assert.equal(ts.length % 188, 0);
    const back = demux(ts);
    assert.deepEqual(back.errors, []);
    assertSameTracks(back.frames, frames);
  });

  test(`ffprobe accepts the muxer output of ${name}`, () => {
    const frames = demux(fixture(name)).frames;
    const probe = probeBuffer(muxAll(frames));
    const video = probe.streams.find((s) => s.codec_name === (name === 'small.ts' ? 'h264' : 'hevc'));
    const audio = probe.streams.find((s) => s.codec_name === 'aac');
    assert.ok(video, 'video stream');
    assert.ok(audio, 'audio stream');
    assert.equal(video.width, 320);
    assert.equal(video.height, 240);
    assert.equal(Number(video.nb_read_frames), 50);
    assert.equal(audio.sample_rate, '44100');
    assert.equal(audio.channels, 1);
    assert.equal(Number(audio.nb_read_frames), frames.filter((f) => f.type === 'audio' && !f.header).length);
    assert.deepEqual(probe.keyframes, frames.filter((f) => f.type === 'video' && !f.header).map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0));
  });
}

interface ParsedPacket {
  pid: number;
  pusi: boolean;
  cc: number;
  hasPayload: boolean;
  afFlags: number;
  payload: Buffer;
}

function parsePackets(ts: Buffer): ParsedPacket[] {
  assert.equal(ts.length % 188, 0);
  const out: ParsedPacket[] = [];
  for (let o = 0; o < ts.length; o += 188) {
    assert.equal(ts[o], 0x47);
    const afc = (ts[o + 3] >> 4) & 3;
    let p = o + 4;
    let afFlags = 0;
    if (afc & 2) {
      const len = ts[p];
      if (len > 0) afFlags = ts[p + 1];
      // stuffing is in the adaptation field, never 0xFF payload padding
      p += 1 + len;
    }
    out.push({
      pid: ((ts[o + 1] & 0x1f) << 8) | ts[o + 2],
      pusi: (ts[o + 1] & 0x40) !== 0,
      cc: ts[o + 3] & 15,
      hasPayload: (afc & 1) === 1,
      afFlags,
      payload: ts.subarray(p, o + 188),
    });
  }
  return out;
}

test('muxer packets: tables before keyframes, PCR and random access, continuity counters', () => {
  const frames = demux(fixture('small.ts')).frames;
  const muxer = new TsMuxer({ video: VideoCodec.H264, audio: AudioCodec.AAC });
  const outputs = frames.map((f) => ({ f, out: muxer.mux(f) }));
  for (const { f, out } of outputs) {
    if (f.header) {
      assert.equal(out, null);
      continue;
    }
    assert.ok(out);
    const pk = parsePackets(out);
    const hasTables = pk[0].pid === 0;
    const first = hasTables ? 2 : 0;
    if (hasTables) assert.equal(pk[1].pid, 0x1000);
    const pes = pk.slice(first);
    assert.ok(pes.every((p) => p.pid === (f.type === 'video' ? 0x100 : 0x101)));
    assert.ok(pes[0].pusi && pes.slice(1).every((p) => !p.pusi));
    assert.deepEqual(pes[0].payload.subarray(0, 4), hex(f.type === 'video' ? '000001e0' : '000001c0'));
    if (f.type === 'video') {
      assert.equal(hasTables, f.keyframe || f === frames.find((x) => !x.header), 'tables before keyframes only');
      assert.ok(pes[0].afFlags & 0x10, 'PCR in the first packet of a video PES');
      assert.equal((pes[0].afFlags & 0x40) !== 0, f.keyframe, 'random_access_indicator on keyframes');
      assert.equal(pes[0].payload.readUInt16BE(4), 0, 'PES_packet_length 0 for video');
      const es = pes[0].payload.subarray(9 + pes[0].payload[8]);
      assert.deepEqual(es.subarray(0, 6), hex('0000000109f0'), 'AUD first');
      if (f.keyframe) assert.deepEqual(es.subarray(6, 11), hex('0000000167'), 'SPS before keyframes');
    } else {
      assert.equal(pes[0].afFlags & 0x10, 0, 'no PCR on audio when there is video');
      assert.deepEqual(pes[0].payload.subarray(14, 16), hex('fff1'), 'ADTS header');
    }
  }
  // continuity counters run per PID over the whole output
  const all = parsePackets(Buffer.concat(outputs.flatMap(({ out }) => (out ? [out] : []))));
  const last = new Map<number, number>();
  for (const p of all) {
    const prev = last.get(p.pid);
    if (prev !== undefined) assert.equal(p.cc, (prev + 1) & 15, `CC on PID ${p.pid}`);
    last.set(p.pid, p.cc);
  }
  muxer.forceTables();
  const forced = muxer.mux(frames.filter((f) => f.type === 'audio' && !f.header)[5]);
  assert.ok(forced);
  assert.equal(parsePackets(forced)[0].pid, 0);
  muxer.resetContinuity();
  assert.equal(parsePackets(muxer.mux(frames[frames.length - 1]) ?? Buffer.alloc(0))[0].cc, 0);
});

test('muxer: PMT lists only the configured tracks; audio-only streams repeat tables and carry the PCR', () => {
  const frames = demux(fixture('small.ts')).frames;
  const muxer = new TsMuxer({ audio: AudioCodec.AAC });
  const outs = frames.map((f) => muxer.mux(f));
  frames.forEach((f, i) => {
    if (f.type === 'video') assert.equal(outs[i], null, 'video skipped');
  });
  const pk = parsePackets(Buffer.concat(outs.filter((o): o is Buffer => o !== null)));
  const pmt = pk.find((p) => p.pid === 0x1000);
  assert.ok(pmt);
  const section = pmt.payload.subarray(1);
  const sectionLength = section.readUInt16BE(1) & 0x0fff;
  assert.equal(sectionLength, 9 + 5 + 4, 'one stream');
  assert.equal(section.readUInt16BE(8) & 0x1fff, 0x101, 'PCR PID is the audio PID');
  assert.equal(section[12], 0x0f);
  assert.equal(crc32Mpeg2(section, 0, 3 + sectionLength), 0);
  const audio = frames.filter((f) => f.type === 'audio' && !f.header);
  const span = audio[audio.length - 1].dts - audio[0].dts;
  const pats = pk.filter((p) => p.pid === 0).length;
  assert.ok(pats >= Math.floor(span / 500) && pats <= Math.ceil(span / 500) + 1, `${pats} PATs over ${span} ms`);
  assert.ok(pk.filter((p) => p.pid === 0x101 && p.pusi).every((p) => p.afFlags & 0x10), 'PCR on every audio PES');
  const probe = probeBuffer(Buffer.concat(outs.filter((o): o is Buffer => o !== null)));
  assert.deepEqual(probe.streams.map((s) => s.codec_name), ['aac']);
});

test('muxer: every PES size, including the stuffing edge cases, round trips', () => {
  const muxer = new TsMuxer({ video: VideoCodec.H264, audio: AudioCodec.AAC });
  const frames: Frame[] = [
    { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from('0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800', 'hex') },
    { type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: hex('1208') },
  ];
  for (let size = 1; size <= 600; size++) {
    const nal = Buffer.alloc(size, size & 0xff);
    nal[0] = size === 1 ? 0x65 : 0x41; // the first is an IDR
    if (size > 1) nal[size - 1] = 0x80; // rbsp_stop_one_bit: a NAL unit never ends with a zero byte
    frames.push({ type: 'video', codec: VideoCodec.H264, dts: size * 40, pts: size * 40 + (size % 3) * 40, keyframe: size === 1, header: false, data: annexBToAvcc([nal]) });
    frames.push({ type: 'audio', codec: AudioCodec.AAC, dts: size * 40 + 5, pts: size * 40 + 5, keyframe: false, header: false, data: Buffer.alloc(size, 0x5a) });
  }
  const ts = muxAll(frames, muxer);
  const back = demux(ts);
  assert.deepEqual(back.errors, []);
  // the demuxer emits the video header when it sees the SPS/PPS before the first keyframe
  assertSameTracks(back.frames.filter((f) => !f.header), frames.filter((f) => !f.header));
});

test('muxer: MP3 passes through with stream type 0x03', () => {
  const mp3 = Buffer.concat([hex('fff340c4'), Buffer.alloc(200, 0x55)]);
  const muxer = new TsMuxer();
  const out = muxer.mux({ type: 'audio', codec: AudioCodec.MP3, dts: 100, pts: 100, keyframe: false, header: false, data: mp3 });
  assert.ok(out);
  assert.equal(muxer.mux({ type: 'script', codec: 0, dts: 0, pts: 0, keyframe: false, header: false, data: hex('02') }), null);
  const pk = parsePackets(out);
  assert.equal(pk[1].payload[1 + 12], 0x03);
  const { frames } = demux(out);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].codec, AudioCodec.MP3);
  assert.equal(frames[0].dts, 100);
  assert.equal(frames[0].sampleRate, 22050);
  assert.equal(frames[0].channels, 1);
  assert.deepEqual(frames[0].data, mp3);
});

test('muxer: timestamps crossing 2^33 ticks survive the round trip', () => {
  const wrapMs = Math.floor(PTS_WRAP / 90);
  const muxer = new TsMuxer({ video: VideoCodec.H264 });
  const record = hex('0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800');
  const frames: Frame[] = [{ type: 'video', codec: VideoCodec.H264, dts: wrapMs - 200, pts: wrapMs - 200, keyframe: false, header: true, data: record }];
  for (let i = 0; i < 10; i++) {
    const dts = wrapMs - 200 + i * 40;
    frames.push({ type: 'video', codec: VideoCodec.H264, dts, pts: dts + 80, keyframe: i === 0, header: false, data: annexBToAvcc([i === 0 ? idr(100) : nonIdr(100)]) });
  }
  const back = demux(muxAll(frames, muxer)).frames;
  assertSameFrames(back, frames);
});

test('muxer: an invalid sequence header is reported and skipped', () => {
  const errors: Error[] = [];
  const muxer = new TsMuxer({ onError: (e) => errors.push(e) });
  assert.equal(muxer.mux({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: false, header: true, data: hex('0164') }), null);
  assert.equal(errors.length, 1);
  const out = muxer.mux({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: false, data: annexBToAvcc([idr(50)]) });
  assert.ok(out && out.length % 188 === 0);
  // a NAL length running past the end is cut, not thrown
  const bad = annexBToAvcc([nonIdr(50)]);
  bad.writeUInt32BE(5000, 0);
  assert.equal(muxer.mux({ type: 'video', codec: VideoCodec.H264, dts: 40, pts: 40, keyframe: false, header: false, data: bad }), null);
  assert.equal(errors.length, 2);
});
