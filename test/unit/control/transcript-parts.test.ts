// The pure parts of AI subtitles: the AAC cutter (raw AAC frames -> ADTS segments of about N seconds, on the
// stream's timeline) and the WebVTT HLS writers (multivariant playlist, subtitle playlist, cue files).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { buildAudioSpecificConfig, parseAdtsFrames } from '../../../src/codecs/aac.js';
import { AudioCutter, type AudioChunk } from '../../../src/control/jobs/transcript/audio-cutter.js';
import { webvttFile, webvttMaster, webvttPlaylist } from '../../../src/control/jobs/transcript/webvtt.js';
import type { TranscriptSegment } from '../../../src/control/jobs/transcript/transcriber.js';

const RATE = 44100;
const FRAME_MS = (1024 * 1000) / RATE;

const header = (): Frame => ({ type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: buildAudioSpecificConfig(2, RATE, 1) });
const aac = (i: number, t0 = 0, len = 20): Frame => {
  const ms = Math.round(t0 + i * FRAME_MS);
  return { type: 'audio', codec: AudioCodec.AAC, dts: ms, pts: ms, keyframe: false, header: false, data: Buffer.alloc(len, i & 0xff) };
};

describe('AudioCutter', () => {
  test('cuts raw AAC into ADTS chunks of about N s, contiguous on the stream timeline', () => {
    const chunks: AudioChunk[] = [];
    const c = new AudioCutter(2000, (x) => chunks.push(x));
    c.onFrame(header());
    c.onFrame({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: false, data: Buffer.alloc(10) });
    for (let i = 0; i < 300; i++) c.onFrame(aac(i, 1000));
    c.flush();
    assert.ok(chunks.length >= 4);
    let frames = 0;
    for (const [i, ch] of chunks.entries()) {
      const parsed = parseAdtsFrames(ch.data);
      assert.equal(parsed.skippedBytes, 0);
      assert.equal(parsed.frames.length, ch.frames);
      assert.equal(parsed.config?.sampleRate, RATE);
      assert.equal(parsed.config?.channelConfig, 1);
      frames += ch.frames;
      if (i < chunks.length - 1) {
        assert.ok(Math.abs(ch.durationMs - 2000) <= FRAME_MS + 1, `chunk ${i}: ${ch.durationMs} ms`);
        assert.ok(Math.abs(chunks[i + 1]!.startMs - (ch.startMs + ch.durationMs)) <= 1, 'contiguous');
      }
    }
    assert.equal(frames, 300);
    assert.equal(chunks[0]!.startMs, 1000);
  });

  test('audio before its header, and other codecs, are skipped; a jump back in time closes the chunk', () => {
    const chunks: AudioChunk[] = [];
    const c = new AudioCutter(10000, (x) => chunks.push(x));
    c.onFrame(aac(0));
    c.onFrame({ ...aac(1), codec: AudioCodec.MP3 });
    assert.equal(c.skipped, 2);
    c.onFrame(header());
    for (let i = 0; i < 10; i++) c.onFrame(aac(i, 5000));
    for (let i = 0; i < 10; i++) c.onFrame(aac(i, 0));
    c.onUnpublish();
    assert.deepEqual(chunks.map((x) => [x.startMs, x.frames]), [[5000, 10], [0, 10]]);
    c.flush();
    assert.equal(chunks.length, 2, 'nothing left to flush');
  });

  test('any frame sizes and timings: every frame comes out once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 100, max: 5000 }), (sizes, seg) => {
        const chunks: AudioChunk[] = [];
        const c = new AudioCutter(seg, (x) => chunks.push(x));
        c.onFrame(header());
        sizes.forEach((n, i) => c.onFrame(aac(i, 0, n)));
        c.flush();
        const out = chunks.flatMap((ch) => parseAdtsFrames(ch.data).frames.map((f) => f.length));
        assert.deepEqual(out, sizes);
      }),
    );
  });
});

const seg = (o: Partial<TranscriptSegment>): TranscriptSegment => ({ tsid: 's', seqno: 0, stream: 'live/a', start: 0, duration: 6, size: 1, url: '', ...o });

describe('WebVTT HLS', () => {
  test('the multivariant playlist names the subtitle group and the stream', () => {
    const m = webvttMaster({ lang: 'en', videoUri: '/live/a.m3u8?hls_ctx=x', subtitlesUri: 'subtitles.m3u8', bandwidth: 1e6 });
    assert.equal(
      m,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitle-EN",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="subtitles.m3u8"\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=1000000,SUBTITLES="subs"\n/live/a.m3u8?hls_ctx=x\n',
    );
  });

  test('the subtitle playlist: media sequence, target duration, a discontinuity where a segment is missing', () => {
    const p = webvttPlaylist([seg({ tsid: 'a', seqno: 3, duration: 6.02 }), seg({ tsid: 'b', seqno: 4 }), seg({ tsid: 'c', seqno: 6 })], (s) => `${s.tsid}.vtt`);
    assert.equal(p, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-TARGETDURATION:7\n#EXTINF:6.020,\na.vtt\n#EXTINF:6.000,\nb.vtt\n#EXT-X-DISCONTINUITY\n#EXTINF:6.000,\nc.vtt\n');
    assert.match(webvttPlaylist([], () => ''), /#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:1\n$/);
  });

  test('cue files: stream times, a cleared segment has no cues, "-->" in text cannot start a new cue', () => {
    const s = seg({ asrs: [{ start: 3661.5, end: 3663.25, text: 'hello --> world' }, { start: 10, end: 10, text: 'x' }] });
    assert.equal(webvttFile(s), 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n01:01:01.500 --> 01:01:03.250\nhello -> world\n\n00:00:10.000 --> 00:00:10.300\nx\n');
    assert.equal(webvttFile({ ...s, uca: true }), 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n');
  });
});
