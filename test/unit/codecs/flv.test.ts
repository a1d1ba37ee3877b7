import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { decodeAmf0, encodeAmf0 } from '../../../src/codecs/amf0.js';
import {
  FlvDemuxer,
  FlvError,
  FlvTagType,
  encodeFlvTag,
  flvBodyPrefixLength,
  flvBodyToFrame,
  flvFileHeader,
  writeFlvBodyPrefix,
} from '../../../src/codecs/flv.js';

// Fixtures (FFmpeg 5.1), generated once:
//   small.flv:        ffmpeg -f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440:sample_rate=44100 -t 1
//                       -c:v libx264 -preset veryfast -g 12 -bf 2 -pix_fmt yuv420p -b:v 200k -c:a aac -ac 2 -b:a 64k
//                       -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -f flv small.flv
//   aac-48k-mono.flv: ffmpeg -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.5 -c:a aac -ac 1 -b:a 32k -f flv ...
//   mp3-22k-mono.flv: ffmpeg -f lavfi -i sine=frequency=440:sample_rate=22050 -t 0.5 -c:a libmp3lame -ac 1 -b:a 32k -f flv ...
const fixture = (name: string): Buffer => readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url));
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface RawTag {
  type: number;
  timestamp: number;
  body: Buffer;
  /** header + body + PreviousTagSize */
  bytes: Buffer;
}

/** Independent, minimal FLV file walker for checking the demuxer and the muxer against. */
function walkFlv(file: Buffer): RawTag[] {
  const tags: RawTag[] = [];
  let pos = file.readUInt32BE(5) + 4;
  while (pos + 11 <= file.length) {
    const size = file.readUIntBE(pos + 1, 3);
    const timestamp = (file.readUIntBE(pos + 4, 3) | (file[pos + 7] << 24)) >>> 0;
    tags.push({
      type: file[pos] & 0x1f,
      timestamp,
      body: file.subarray(pos + 11, pos + 11 + size),
      bytes: file.subarray(pos, pos + 11 + size + 4),
    });
    pos += 11 + size + 4;
  }
  assert.equal(pos, file.length);
  return tags;
}

function demux(chunks: Buffer[]): { tags: { type: number; timestamp: number; body: Buffer }[]; frames: Frame[] } {
  const tags: { type: number; timestamp: number; body: Buffer }[] = [];
  const frames: Frame[] = [];
  const d = new FlvDemuxer({
    onTag: (type, timestamp, body) => tags.push({ type, timestamp, body }),
    onFrame: (f) => frames.push(f),
  });
  for (const c of chunks) d.push(c);
  return { tags, frames };
}

function splitRandom(buf: Buffer, seed: number, maxLen: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let pos = 0; pos < buf.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % maxLen);
    out.push(Buffer.from(buf.subarray(pos, pos + n)));
    pos += n;
  }
  return out;
}

/** NAL unit types of an AVCC payload (4-byte lengths). */
function nalTypes(data: Buffer): number[] {
  const types: number[] = [];
  for (let p = 0; p + 4 <= data.length; ) {
    const len = data.readUInt32BE(p);
    types.push(data[p + 4] & 0x1f);
    p += 4 + len;
  }
  return types;
}

function expectFlvError(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FlvError, `expected FlvError, got ${String(err)}`);
    assert.equal(err.code, 'FLV_INVALID');
    return true;
  });
}

test('FLV: file header', () => {
  assert.deepEqual(flvFileHeader(true, true), hex('464c5601 05 00000009 00000000'));
  assert.deepEqual(flvFileHeader(true, false), hex('464c5601 01 00000009 00000000'));
  assert.deepEqual(flvFileHeader(false, true), hex('464c5601 04 00000009 00000000'));
});

test('FLV: demuxes the H.264/AAC fixture into frames', () => {
  const file = fixture('small.flv');
  const { tags, frames } = demux([file]);
  const raw = walkFlv(file);
  assert.equal(tags.length, raw.length);
  for (let i = 0; i < raw.length; i++) {
    assert.equal(tags[i].type, raw[i].type);
    assert.equal(tags[i].timestamp, raw[i].timestamp);
    assert.deepEqual(tags[i].body, raw[i].body);
  }
  const script = frames.filter((f) => f.type === 'script');
  assert.equal(script.length, 1);
  const meta = decodeAmf0(script[0].data);
  assert.equal(meta[0], 'onMetaData');
  assert.equal((meta[1] as { width: number }).width, 160);

  const video = frames.filter((f) => f.type === 'video');
  assert.equal(video[0].header, true);
  assert.equal(video[0].codec, VideoCodec.H264);
  assert.equal(video[0].data[0], 1); // AVCDecoderConfigurationRecord.configurationVersion
  assert.equal(video[0].data[1], 100); // High profile
  const media = video.filter((f) => !f.header);
  assert.equal(media.length, 25);
  for (const f of media) {
    const isIdr = nalTypes(f.data).includes(5);
    assert.equal(f.keyframe, isIdr, `keyframe flag of frame at ${f.dts}`);
    assert.ok(f.pts >= f.dts);
  }
  assert.equal(media.filter((f) => f.keyframe).length, 3); // -g 12 over 25 frames
  assert.ok(media.some((f) => f.pts > f.dts), 'B-frames give composition time offsets');

  const audio = frames.filter((f) => f.type === 'audio');
  assert.equal(audio[0].header, true);
  assert.equal(audio[0].codec, AudioCodec.AAC);
  assert.equal(audio[0].sampleRate, 44100);
  assert.equal(audio[0].channels, 2);
  // AAC-LC, 44100, stereo, plus FFmpeg's backward-compatible SBR signalling extension (0x2b7, no SBR)
  assert.deepEqual(audio[0].data, hex('1210 56e500'));
  assert.ok(audio.length > 40);
  for (const f of audio.slice(1)) {
    assert.equal(f.header, false);
    assert.equal(f.sampleRate, 44100); // filled in by the demuxer from the header
    assert.equal(f.channels, 2);
    assert.equal(f.pts, f.dts);
  }
});

test('FLV: AAC 48 kHz mono and MP3 22.05 kHz mono fixtures', () => {
  const aac = demux([fixture('aac-48k-mono.flv')]).frames.filter((f) => f.type === 'audio');
  assert.equal(aac[0].header, true);
  assert.equal(aac[0].sampleRate, 48000);
  assert.equal(aac[0].channels, 1);
  assert.equal(aac[1].sampleRate, 48000);

  const mp3 = demux([fixture('mp3-22k-mono.flv')]).frames.filter((f) => f.type === 'audio');
  assert.ok(mp3.length > 5);
  for (const f of mp3) {
    assert.equal(f.codec, AudioCodec.MP3);
    assert.equal(f.header, false);
    assert.equal(f.sampleRate, 22050);
    assert.equal(f.channels, 1);
    assert.equal(f.data[0], 0xff); // MPEG audio sync
  }
});

test('FLV: encodeFlvTag of the demuxed frames reproduces the files byte for byte', () => {
  for (const name of ['small.flv', 'aac-48k-mono.flv', 'mp3-22k-mono.flv']) {
    const file = fixture(name);
    // FFmpeg ends H.264 with an AVC end-of-sequence tag, which is no Frame: leave it out of the comparison.
    const raw = walkFlv(file).filter((t) => !(t.type === FlvTagType.Video && t.body[1] === 2));
    const { frames } = demux([file]);
    assert.equal(frames.length, raw.length, name);
    for (let i = 0; i < raw.length; i++) {
      const tag = encodeFlvTag(frames[i]);
      assert.deepEqual(tag, raw[i].bytes, `${name} tag ${i}`);
      assert.equal(tag.length, 11 + flvBodyPrefixLength(frames[i]) + frames[i].data.length + 4);
    }
    const hasVideo = frames.some((f) => f.type === 'video');
    const rebuilt = Buffer.concat([flvFileHeader(hasVideo, true), ...frames.map(encodeFlvTag)]);
    assert.deepEqual(rebuilt, Buffer.concat([file.subarray(0, 13), ...raw.map((t) => t.bytes)]), name);
  }
});

test('FLV: demuxer gives the same tags for any chunking, incl. one byte at a time', () => {
  const file = fixture('small.flv');
  const whole = demux([file]);
  const bytes = demux([...file].map((b) => Buffer.from([b])));
  assert.deepEqual(bytes.tags, whole.tags);
  assert.deepEqual(bytes.frames, whole.frames);
  for (const seed of [1, 2, 3]) {
    const split = demux(splitRandom(file, seed, 3000));
    assert.deepEqual(split.frames, whole.frames);
  }
});

test('FLV: a stream cut anywhere (a pipe whose writer died) gives a prefix of the frames, never an error', () => {
  const file = fixture('aac-48k-mono.flv');
  const whole = demux([file]).frames;
  const tagEnds = walkFlv(file).map((t) => t.bytes.byteOffset - file.byteOffset + t.bytes.length - 4);
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const cut = seed % file.length;
    const got = demux(splitRandom(file.subarray(0, cut), i, 700)).frames;
    // a tag counts once its body is complete (its PreviousTagSize may still be missing)
    const complete = tagEnds.filter((end) => end <= cut).length;
    assert.deepEqual(got, whole.slice(0, complete), `cut at ${cut}`);
  }
});

test('FLV: media payloads are views of the body, not copies', () => {
  const body = hex('17 01 000000 00000002 6588');
  const f = flvBodyToFrame(FlvTagType.Video, 10, body)!;
  assert.equal(f.data.buffer, body.buffer);
  assert.equal(f.data.byteOffset, body.byteOffset + 5);
});

test('FLV: AVC packet types, composition time, end of sequence', () => {
  const hdr = flvBodyToFrame(FlvTagType.Video, 0, hex('17 00 000000 0164001fffe1'))!;
  assert.deepEqual([hdr.header, hdr.keyframe, hdr.codec], [true, true, VideoCodec.H264]);
  const inter = flvBodyToFrame(FlvTagType.Video, 1000, hex('27 01 000050 00000001 41'))!;
  assert.deepEqual([inter.keyframe, inter.dts, inter.pts], [false, 1000, 1080]);
  const negative = flvBodyToFrame(FlvTagType.Video, 1000, hex('27 01 ffffd8 00000001 41'))!;
  assert.equal(negative.pts, 960);
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('17 02 000000')), null);
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('57 00')), null); // video info/command frame
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('12 00 00')), null); // Sorenson H.263: not carried
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, Buffer.alloc(0)), null);
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('17 01 00')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('17 07 000000 00')));
  // legacy HEVC codec id 12, the same layout
  const hevc = flvBodyToFrame(FlvTagType.Video, 40, hex('1c 01 000028 00000002 2601'))!;
  assert.deepEqual([hevc.codec, hevc.keyframe, hevc.pts], [VideoCodec.H265, true, 80]);
});

test('FLV: Enhanced RTMP hvc1 / avc1 bodies', () => {
  const hvcc = hex('01 01600000 00b00000 0000 5df000fcfdf8f800000f');
  const start = flvBodyToFrame(FlvTagType.Video, 0, Buffer.concat([hex('90 68766331'), hvcc]))!;
  assert.deepEqual(
    [start.type, start.codec, start.header, start.keyframe],
    ['video', VideoCodec.H265, true, true],
  );
  assert.deepEqual(start.data, hvcc);
  const coded = flvBodyToFrame(FlvTagType.Video, 100, hex('91 68766331 000021 00000003 260188'))!;
  assert.deepEqual([coded.header, coded.keyframe, coded.dts, coded.pts], [false, true, 100, 133]);
  assert.deepEqual(coded.data, hex('00000003 260188'));
  const codedX = flvBodyToFrame(FlvTagType.Video, 140, hex('a3 68766331 00000002 0201'))!;
  assert.deepEqual([codedX.keyframe, codedX.pts, codedX.dts], [false, 140, 140]);
  assert.deepEqual(codedX.data, hex('00000002 0201'));
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('92 68766331')), null); // SequenceEnd
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('94 68766331 0200')), null); // Metadata
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('90 61616161 0102')), null); // unknown FourCC: not carried
  const avc1 = flvBodyToFrame(FlvTagType.Video, 0, hex('a3 61766331 00000001 41'))!;
  assert.equal(avc1.codec, VideoCodec.H264);
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('91 6876')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('91 68766331 00')));
});

test('FLV: Enhanced RTMP av01 / vp09: no composition time; SequenceEnd, Metadata, commands give null', () => {
  const av1c = hex('81 08 0c 00 0a0b0000002447ffdff8');
  const start = flvBodyToFrame(FlvTagType.Video, 0, Buffer.concat([hex('90 61763031'), av1c]))!;
  assert.deepEqual([start.codec, start.header, start.keyframe], [VideoCodec.AV1, true, true]);
  assert.deepEqual(start.data, av1c);
  // av01 CodedFrames: OBUs right after the FourCC (a temporal delimiter 12 00, then a frame OBU)
  const coded = flvBodyToFrame(FlvTagType.Video, 40, hex('91 61763031 1200 3203 aabbcc'))!;
  assert.deepEqual([coded.codec, coded.keyframe, coded.dts, coded.pts], [VideoCodec.AV1, true, 40, 40]);
  assert.deepEqual(coded.data, hex('1200 3203 aabbcc'));
  const vp9 = flvBodyToFrame(FlvTagType.Video, 80, hex('a1 76703039 8249834200'))!;
  assert.deepEqual([vp9.codec, vp9.keyframe, vp9.pts], [VideoCodec.VP9, false, 80]);
  assert.deepEqual(vp9.data, hex('8249834200'));
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('92 61763031')), null); // SequenceEnd
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('95 61763031 80')), null); // MPEG2TSSequenceStart
  // Metadata: an AMF0 "colorInfo" object, ignored
  const meta = Buffer.concat([hex('94 68766331'), encodeAmf0(['colorInfo', { colorConfig: { bitDepth: 10 } }])]);
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, meta), null);
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('d0 01')), null); // command frame: VideoCommand byte only
});

test('FLV: Enhanced RTMP v2 ModEx and multitrack video: track 0 used, other tracks ignored', () => {
  // ModEx (TimestampOffsetNano, 3 bytes of data) then CodedFrames of hvc1
  const modex = flvBodyToFrame(FlvTagType.Video, 10, hex('97 02 0f4240 01 68766331 000014 00000002 2601'))!;
  assert.deepEqual([modex.codec, modex.pts, modex.keyframe], [VideoCodec.H265, 30, true]);
  assert.deepEqual(modex.data, hex('00000002 2601'));
  // ModEx with the 16-bit size form: 0xff, then 0x0001 + 1 = 2 bytes
  const modex16 = flvBodyToFrame(FlvTagType.Video, 0, hex('97 ff 0001 aaaa 03 68766331 00000002 2601'))!;
  assert.deepEqual(modex16.data, hex('00000002 2601'));
  // OneTrack, track 0: the payload has no size
  const one = flvBodyToFrame(FlvTagType.Video, 0, hex('96 01 68766331 00 000000 00000002 2601'))!;
  assert.deepEqual([one.codec, one.header], [VideoCodec.H265, false]);
  assert.deepEqual(one.data, hex('00000002 2601'));
  // OneTrack, track 1 (OBS's extra rendition): ignored
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('96 01 68766331 01 000000 00000002 2601')), null);
  // ManyTracks: track 2 first (4 bytes), then track 0
  const many = flvBodyToFrame(FlvTagType.Video, 0, hex('96 13 68766331 02 000004 00000000 00 000005 00000001 41'))!;
  assert.deepEqual([many.codec, many.header], [VideoCodec.H265, false]);
  assert.deepEqual(many.data, hex('00000001 41'));
  // ManyTracksManyCodecs: av01 track 1, then avc1 track 0 (CodedFramesX)
  const mixed = flvBodyToFrame(FlvTagType.Video, 0, hex('96 23 61763031 01 000002 1200 61766331 00 000005 00000001 65'))!;
  assert.deepEqual([mixed.codec, mixed.pts], [VideoCodec.H264, 0]);
  assert.deepEqual(mixed.data, hex('00000001 65'));
  // no track 0 in a ManyTracks packet
  assert.equal(flvBodyToFrame(FlvTagType.Video, 0, hex('96 13 68766331 01 000002 aabb 02 000001 cc')), null);
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('96 13 68766331 01 000009 aabb'))); // track overruns
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('96 16 68766331'))); // nested multitrack
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('97 05 0102'))); // ModEx data cut short
  expectFlvError(() => flvBodyToFrame(FlvTagType.Video, 0, hex('96')));
});

test('FLV: Enhanced RTMP audio (ExAudioTagHeader): mp4a, .mp3, Opus carried; ac-3, ec-3, fLaC ignored', () => {
  const asc = flvBodyToFrame(FlvTagType.Audio, 0, hex('90 6d703461 1190'))!;
  assert.deepEqual([asc.codec, asc.header, asc.sampleRate, asc.channels], [AudioCodec.AAC, true, 48000, 2]);
  const aac = flvBodyToFrame(FlvTagType.Audio, 21, hex('91 6d703461 2100'))!;
  assert.deepEqual([aac.codec, aac.header, aac.dts], [AudioCodec.AAC, false, 21]);
  assert.deepEqual(aac.data, hex('2100'));
  const mp3 = flvBodyToFrame(FlvTagType.Audio, 0, hex('91 2e6d7033 fffb9400 00'))!;
  assert.deepEqual([mp3.codec, mp3.sampleRate, mp3.channels], [AudioCodec.MP3, 48000, 2]);
  const opusHead = hex('4f70757348656164 01 01 3801 80bb0000 0000 00');
  const head = flvBodyToFrame(FlvTagType.Audio, 0, Buffer.concat([hex('90 4f707573'), opusHead]))!;
  assert.deepEqual([head.codec, head.header, head.sampleRate, head.channels], [AudioCodec.Opus, true, 48000, 1]);
  const opus = flvBodyToFrame(FlvTagType.Audio, 20, hex('91 4f707573 fcff fe'))!;
  assert.deepEqual([opus.codec, opus.header, opus.sampleRate], [AudioCodec.Opus, false, 48000]);
  assert.deepEqual(opus.data, hex('fcfffe'));
  for (const f of ['61632d33', '65632d33', '664c6143']) { // ac-3, ec-3, fLaC
    assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex(`91 ${f} 0b77 0000`)), null);
    assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex(`90 ${f} 0000`)), null);
  }
  assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex('92 6d703461')), null); // SequenceEnd
  assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex('94 4f707573 00 02 00000003')), null); // MultichannelConfig
  // multitrack: OneTrack track 0 of mp4a; ModEx first
  const mt = flvBodyToFrame(FlvTagType.Audio, 0, hex('97 00 aa 05 01 6d703461 00 2100'))!;
  assert.deepEqual([mt.codec, mt.header], [AudioCodec.AAC, false]);
  assert.deepEqual(mt.data, hex('2100'));
  assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex('95 01 6d703461 03 2100')), null); // track 3: ignored
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('90 6d7034')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('90 6d703461 ff90'))); // bad ASC
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('90 4f707573 4f707573'))); // not an OpusHead
});

test('FLV: AV1, VP9 and Opus frames are written as Enhanced RTMP and parse back', () => {
  const frames: Frame[] = [
    { type: 'video', codec: VideoCodec.AV1, dts: 0, pts: 0, keyframe: true, header: true, data: hex('810800') },
    { type: 'video', codec: VideoCodec.AV1, dts: 40, pts: 40, keyframe: false, header: false, data: hex('1200 3201aa') },
    { type: 'video', codec: VideoCodec.VP9, dts: 80, pts: 80, keyframe: true, header: false, data: hex('824983') },
    {
      type: 'audio', codec: AudioCodec.Opus, dts: 0, pts: 0, keyframe: false, header: true,
      data: hex('4f70757348656164 01 02 3801 80bb0000 0000 00'), sampleRate: 48000, channels: 2,
    },
    { type: 'audio', codec: AudioCodec.Opus, dts: 20, pts: 20, keyframe: false, header: false, data: hex('fcff'), sampleRate: 48000 },
  ];
  const scratch = Buffer.alloc(16);
  assert.equal(writeFlvBodyPrefix(frames[1]!, scratch, 0), 5);
  assert.deepEqual(scratch.subarray(0, 5), hex('a1 61763031'));
  assert.equal(writeFlvBodyPrefix(frames[3]!, scratch, 0), 5);
  assert.deepEqual(scratch.subarray(0, 5), hex('90 4f707573'));
  for (const f of frames) {
    const tag = encodeFlvTag(f);
    assert.equal(flvBodyPrefixLength(f), 5);
    const parsed = flvBodyToFrame(tag[0], tag.readUIntBE(4, 3), tag.subarray(11, tag.length - 4));
    assert.deepEqual(parsed, f);
  }
});

test('FLV: H.265 frames are written as Enhanced RTMP and parse back', () => {
  const header: Frame = {
    type: 'video', codec: VideoCodec.H265, dts: 0, pts: 0, keyframe: true, header: true, data: hex('0101600000'),
  };
  const frame: Frame = {
    type: 'video', codec: VideoCodec.H265, dts: 2000, pts: 2040, keyframe: false, header: false, data: hex('00000002 0201'),
  };
  const scratch = Buffer.alloc(16);
  assert.equal(writeFlvBodyPrefix(header, scratch, 0), 5);
  assert.deepEqual(scratch.subarray(0, 5), hex('90 68766331'));
  assert.equal(writeFlvBodyPrefix(frame, scratch, 3), 8);
  assert.deepEqual(scratch.subarray(3, 11), hex('a1 68766331 000028'));
  for (const f of [header, frame]) {
    const tag = encodeFlvTag(f);
    const parsed = flvBodyToFrame(tag[0], tag.readUIntBE(4, 3), tag.subarray(11, tag.length - 4));
    assert.deepEqual(parsed, f);
  }
});

test('FLV: audio bodies', () => {
  const asc = flvBodyToFrame(FlvTagType.Audio, 0, hex('af 00 1190'))!; // AAC-LC 48000 stereo
  assert.deepEqual([asc.header, asc.sampleRate, asc.channels], [true, 48000, 2]);
  const he = flvBodyToFrame(FlvTagType.Audio, 0, hex('af 00 2b92 08 00'))!; // SBR (5), 22050 core, 2 channels
  assert.deepEqual([he.sampleRate, he.channels], [22050, 2]);
  const raw = flvBodyToFrame(FlvTagType.Audio, 23, hex('af 01 2100'))!;
  assert.deepEqual([raw.header, raw.dts, raw.pts, raw.sampleRate], [false, 23, 23, undefined]);
  assert.deepEqual(raw.data, hex('2100'));
  // MP3 at 48 kHz: the flags say 44 kHz, the frame header says 48000
  const mp3 = flvBodyToFrame(FlvTagType.Audio, 0, hex('2f fffb 94 00 00'))!;
  assert.deepEqual([mp3.codec, mp3.sampleRate, mp3.channels], [AudioCodec.MP3, 48000, 2]);
  // without a frame header, the flags
  const mp3flags = flvBodyToFrame(FlvTagType.Audio, 0, hex('2a 0000'))!;
  assert.deepEqual([mp3flags.sampleRate, mp3flags.channels], [22050, 1]);
  assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex('82 00')), null); // G.711 A-law: not carried
  assert.equal(flvBodyToFrame(FlvTagType.Audio, 0, hex('af 01')), null); // empty AAC frame
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('af')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('af 00 12')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('af 05 1210')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Audio, 0, hex('af 00 ff90'))); // reserved frequency index
});

test('FLV: audio prefixes', () => {
  const b = Buffer.alloc(4);
  const aac: Frame = {
    type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: false, data: hex('21'),
    sampleRate: 48000, channels: 1,
  };
  assert.equal(writeFlvBodyPrefix(aac, b, 0), 2);
  assert.deepEqual(b.subarray(0, 2), hex('af01')); // spec: AAC is always flagged 44 kHz stereo
  const mp3 = (sampleRate: number, channels: number): number => {
    writeFlvBodyPrefix(
      { type: 'audio', codec: AudioCodec.MP3, dts: 0, pts: 0, keyframe: false, header: false, data: hex('ff'), sampleRate, channels },
      b,
      0,
    );
    return b[0];
  };
  assert.equal(mp3(44100, 2), 0x2f);
  assert.equal(mp3(48000, 2), 0x2f);
  assert.equal(mp3(22050, 1), 0x2a);
  assert.equal(mp3(11025, 2), 0x27);
  assert.equal(mp3(8000, 1), 0x22);
  // a codec FLV has no form for (Opus is written as Enhanced RTMP, see above)
  const other: Frame = { type: 'audio', codec: 99 as AudioCodec, dts: 0, pts: 0, keyframe: false, header: false, data: hex('00') };
  expectFlvError(() => flvBodyPrefixLength(other));
  expectFlvError(() => encodeFlvTag(other));
});

test('FLV: script tags drop @setDataFrame', () => {
  const meta = { width: 1280, height: 720, videocodecid: 7 };
  const body = encodeAmf0(['@setDataFrame', 'onMetaData', meta]);
  const f = flvBodyToFrame(FlvTagType.Script, 0, body)!;
  assert.deepEqual([f.type, f.codec, f.header, f.keyframe], ['script', 0, false, false]);
  assert.deepEqual(f.data, encodeAmf0(['onMetaData', meta]));
  assert.equal(f.data.buffer, body.buffer); // sliced, not re-encoded
  const plain = flvBodyToFrame(FlvTagType.Script, 5, encodeAmf0(['onMetaData', meta]))!;
  assert.deepEqual(decodeAmf0(plain.data), ['onMetaData', meta]);
  assert.equal(flvBodyToFrame(FlvTagType.Script, 0, encodeAmf0(['@setDataFrame'])), null);
  expectFlvError(() => flvBodyToFrame(FlvTagType.Script, 0, hex('02 0005 6f6e4d65')));
  expectFlvError(() => flvBodyToFrame(FlvTagType.Script, 0, hex('ee')));
  // encodeFlvTag of a script frame writes the data as is
  const tag = encodeFlvTag(plain);
  assert.equal(tag[0], 18);
  assert.deepEqual(tag.subarray(11, tag.length - 4), plain.data);
});

test('FLV: timestamps use the extended byte and round-trip through the demuxer', () => {
  const f: Frame = {
    type: 'video', codec: VideoCodec.H264, dts: 0x12345678, pts: 0x12345678 + 40, keyframe: true, header: false,
    data: hex('00000001 65'),
  };
  const tag = encodeFlvTag(f);
  assert.deepEqual(tag.subarray(0, 11), hex('09 00000a 345678 12 000000'));
  assert.equal(tag.readUInt32BE(tag.length - 4), 21);
  const { frames } = demux([flvFileHeader(true, false), tag]);
  assert.deepEqual(frames, [f]);
});

test('FLV: demuxer errors', () => {
  const bad = new FlvDemuxer({});
  expectFlvError(() => bad.push(Buffer.from('GET / HTTP/1.1\r\n')));
  expectFlvError(() => bad.push(Buffer.from('x'))); // stays failed

  // the signature is checked as soon as its bytes arrive
  const early = new FlvDemuxer({});
  early.push(Buffer.from('F'));
  expectFlvError(() => early.push(Buffer.from('X')));

  const unknownType = new FlvDemuxer({});
  expectFlvError(() => unknownType.push(Buffer.concat([flvFileHeader(true, true), hex('07 000001 000000 00 000000 00')])));

  const big = new FlvDemuxer({ maxTagSize: 1000 });
  expectFlvError(() => big.push(Buffer.concat([flvFileHeader(true, true), hex('09 0003e9 000000 00 000000')])));
  const atLimit = new FlvDemuxer({ maxTagSize: 1000 });
  atLimit.push(Buffer.concat([flvFileHeader(true, true), hex('09 0003e8 000000 00 000000')]));

  const offset = new FlvDemuxer({});
  expectFlvError(() => offset.push(hex('464c5601 05 00000003')));

  // a larger DataOffset is skipped
  const frames: Frame[] = [];
  const skip = new FlvDemuxer({ onFrame: (fr) => frames.push(fr) });
  skip.push(Buffer.concat([hex('464c5601 05 0000000c aabbcc 00000000'), hex('08 000003 000007 00 000000 af0121 0000000e')]));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].dts, 7);
  assert.equal(skip.hasAudio && skip.hasVideo, true);
});

test('FLV: garbage throws only FlvError', () => {
  let seed = 99;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 30000; i++) {
    const len = rnd() % 24;
    const body = Buffer.alloc(len);
    for (let j = 0; j < len; j++) body[j] = rnd() & 0xff;
    if (len > 0 && rnd() % 2 === 0) body[0] = [0x17, 0x27, 0x1c, 0x90, 0x91, 0xa3, 0xaf, 0x2f, 0x02][rnd() % 9];
    for (const type of [FlvTagType.Audio, FlvTagType.Video, FlvTagType.Script]) {
      try {
        flvBodyToFrame(type, 0, body);
      } catch (err) {
        assert.ok(err instanceof FlvError, `non-FlvError thrown: ${String(err)}`);
      }
    }
  }
  const file = fixture('small.flv');
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(file);
    for (let k = 0; k < 1 + (rnd() % 8); k++) b[rnd() % b.length] = rnd() & 0xff;
    const d = new FlvDemuxer({ onFrame: () => {}, maxTagSize: 1 << 20 });
    try {
      for (const c of splitRandom(b, i, 5000)) d.push(c);
    } catch (err) {
      assert.ok(err instanceof FlvError, `non-FlvError thrown: ${String(err)}`);
    }
  }
});
