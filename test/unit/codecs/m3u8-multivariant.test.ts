// HLS multivariant playlists (RFC 8216 4.3.4.2) and the RFC 6381 codec names in their CODECS attribute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../src/codecs/codec-error.js';
import { codecString } from '../../../src/codecs/describe.js';
import { buildAvcDecoderConfig } from '../../../src/codecs/h264.js';
import { buildMultivariantPlaylist, parseMultivariantPlaylist } from '../../../src/codecs/m3u8.js';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { AAC, AVC } from './codec-fixtures.js';

const header = (type: 'video' | 'audio', codec: VideoCodec | AudioCodec, data: Buffer): Frame => ({ type, codec, dts: 0, pts: 0, keyframe: false, header: true, data });

test('buildMultivariantPlaylist writes one EXT-X-STREAM-INF per variant with its attributes', () => {
  const text = buildMultivariantPlaylist([
    { uri: 's_720p.m3u8?hls_ctx=abc', bandwidth: 1400000, averageBandwidth: 1264000, resolution: { width: 1280, height: 720 }, codecs: ['avc1.4d401f', 'mp4a.40.2'] },
    { uri: 's_360p.m3u8', bandwidth: 600000, frameRate: 25 },
  ]);
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=1400000,AVERAGE-BANDWIDTH=1264000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2"',
      's_720p.m3u8?hls_ctx=abc',
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,FRAME-RATE=25.000',
      's_360p.m3u8',
      '',
    ].join('\n'),
  );
  const back = parseMultivariantPlaylist(text);
  assert.deepEqual(back[0], {
    uri: 's_720p.m3u8?hls_ctx=abc',
    attributes: { BANDWIDTH: '1400000', 'AVERAGE-BANDWIDTH': '1264000', RESOLUTION: '1280x720', CODECS: 'avc1.4d401f,mp4a.40.2' },
  });
});

test('buildMultivariantPlaylist refuses what would break the playlist', () => {
  assert.throws(() => buildMultivariantPlaylist([{ uri: 'a\n#EXT-X-ENDLIST', bandwidth: 1 }]), CodecError);
  assert.throws(() => buildMultivariantPlaylist([{ uri: '', bandwidth: 1 }]), CodecError);
  assert.throws(() => buildMultivariantPlaylist([{ uri: 'a.m3u8', bandwidth: 0 }]), CodecError);
  assert.throws(() => buildMultivariantPlaylist([{ uri: 'a.m3u8', bandwidth: 1.5 }]), CodecError);
  assert.throws(() => buildMultivariantPlaylist([{ uri: 'a.m3u8', bandwidth: 1, codecs: ['avc1",x'] }]), CodecError);
  assert.throws(() => parseMultivariantPlaylist('not a playlist'), CodecError);
});

test('build then parse gives back every variant (property)', () => {
  const variant = fc.record({
    uri: fc.stringMatching(/^[a-z0-9_]{1,20}\.m3u8$/),
    bandwidth: fc.integer({ min: 1, max: 1e9 }),
    resolution: fc.option(fc.record({ width: fc.integer({ min: 2, max: 8192 }), height: fc.integer({ min: 2, max: 8192 }) }), { nil: undefined }),
    codecs: fc.option(fc.array(fc.stringMatching(/^[a-z0-9.]{1,12}$/), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(variant, { minLength: 1, maxLength: 6 }), (vs) => {
      const back = parseMultivariantPlaylist(buildMultivariantPlaylist(vs));
      assert.equal(back.length, vs.length);
      vs.forEach((v, i) => {
        assert.equal(back[i]!.uri, v.uri);
        assert.equal(Number(back[i]!.attributes.BANDWIDTH), v.bandwidth);
        if (v.resolution) assert.equal(back[i]!.attributes.RESOLUTION, `${v.resolution.width}x${v.resolution.height}`);
        if (v.codecs) assert.equal(back[i]!.attributes.CODECS, v.codecs.join(','));
      });
    }),
  );
});

test('codecString: avc1.PPCCLL from the decoder configuration, mp4a.40.N from the AudioSpecificConfig', () => {
  const avc = AVC.constrainedBaseline!;
  // profile_idc 0x42, constraint flags 0xc0, level 0x0d: the SPS's bytes 1..3
  assert.equal(codecString(header('video', VideoCodec.H264, buildAvcDecoderConfig([avc.sps], [avc.pps]))), 'avc1.42c00d');
  assert.equal(codecString(header('audio', AudioCodec.AAC, AAC.lc!.asc)), 'mp4a.40.2');
  assert.equal(codecString(header('audio', AudioCodec.AAC, AAC.heExplicit!.asc)), 'mp4a.40.5');
  assert.equal(codecString(header('audio', AudioCodec.MP3, Buffer.alloc(0))), 'mp4a.40.34');
  // bytes the parsers refuse, and codecs it cannot name: null, never a throw
  assert.equal(codecString(header('video', VideoCodec.H264, Buffer.from([9, 9]))), null);
  assert.equal(codecString(header('audio', AudioCodec.AAC, Buffer.alloc(0))), null);
  assert.equal(codecString(header('video', VideoCodec.H265, Buffer.alloc(30))), null);
});
