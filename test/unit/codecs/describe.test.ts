// codecs/describe.ts: the VideoInfo / AudioInfo the hub keeps for the API, from sequence headers. It must say
// what the codec parsers say and what ffprobe says (fixtures in codec-fixtures.ts), and never throw on bad bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { describeAudio, describeVideo } from '../../../src/codecs/describe.js';
import { aacAudioInfo } from '../../../src/codecs/aac.js';
import { avcVideoInfo, buildAvcDecoderConfig } from '../../../src/codecs/h264.js';
import { buildHevcDecoderConfig, hevcVideoInfo } from '../../../src/codecs/h265.js';
import { AAC, AVC, HEVC, hex } from './codec-fixtures.js';

export function videoHeader(codec: VideoCodec, data: Buffer): Frame {
  return { type: 'video', codec, dts: 0, pts: 0, keyframe: false, header: true, data };
}

export function audioHeader(data: Buffer, codec = AudioCodec.AAC): Frame {
  return { type: 'audio', codec, dts: 0, pts: 0, keyframe: false, header: true, data };
}

test('describeVideo says what the H.264 / HEVC parsers and ffprobe say', () => {
  for (const [name, f] of Object.entries(AVC)) {
    const record = buildAvcDecoderConfig([f.sps], [f.pps]);
    const info = describeVideo(videoHeader(VideoCodec.H264, record));
    assert.deepEqual(info, f.info, name);
    assert.deepEqual(info, avcVideoInfo(record), name);
  }
  for (const [name, f] of Object.entries(HEVC)) {
    const record = buildHevcDecoderConfig([f.vps], [f.sps], [f.pps]);
    const info = describeVideo(videoHeader(VideoCodec.H265, record));
    assert.deepEqual(info, f.info, name);
    assert.deepEqual(info, hevcVideoInfo(record), name);
  }
});

test('describeAudio says what the AAC parser and ffprobe say: HE-AAC at its SBR rate, HE-AAC v2 in stereo', () => {
  for (const [name, f] of Object.entries(AAC)) {
    const info = describeAudio(audioHeader(f.asc));
    assert.deepEqual(info, f.info, name);
    assert.deepEqual(info, aacAudioInfo(f.asc), name);
  }
  // MP3 from its frame header (MPEG-1 Layer III, 48 kHz, joint stereo), else from the frame's fields
  const mp3 = { ...audioHeader(hex('fffb9400'), AudioCodec.MP3), header: false };
  assert.deepEqual(describeAudio(mp3), { codec: AudioCodec.MP3, sampleRate: 48000, channels: 2, profile: '' });
  const opus = { ...audioHeader(hex('fc'), AudioCodec.Opus), header: false, sampleRate: 48000, channels: 2 };
  assert.deepEqual(describeAudio(opus), { codec: AudioCodec.Opus, sampleRate: 48000, channels: 2, profile: '' });
});

test('unreadable headers give the codec with empty fields, never an exception', () => {
  for (const data of [Buffer.alloc(0), hex('01'), hex('0164000dffe1'), hex('02640000ffe100'), Buffer.alloc(40, 0xff)]) {
    assert.deepEqual(describeVideo(videoHeader(VideoCodec.H264, data)), { codec: VideoCodec.H264, profile: '', level: '', width: 0, height: 0 });
    assert.deepEqual(describeVideo(videoHeader(VideoCodec.H265, data)), { codec: VideoCodec.H265, profile: '', level: '', width: 0, height: 0 });
    const a = { ...audioHeader(data), sampleRate: 44100, channels: 2 };
    assert.deepEqual(describeAudio(a), { codec: AudioCodec.AAC, sampleRate: 44100, channels: 2, profile: '' });
  }
});
