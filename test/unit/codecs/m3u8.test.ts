// HLS media playlist build/parse, RFC 8216.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/codecs/codec-error.js';
import { buildMediaPlaylist, parseMediaPlaylist } from '../../../src/codecs/m3u8.js';

test('buildMediaPlaylist writes the live playlist tags', () => {
  const text = buildMediaPlaylist({
    targetDuration: 2,
    mediaSequence: 7,
    segments: [
      { uri: 'live-7.ts', duration: 2.0 },
      { uri: 'live-8.ts', duration: 4.0004 },
      { uri: 'live-9.ts', duration: 1.23456 },
    ],
  });
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXTINF:2.000,',
      'live-7.ts',
      '#EXTINF:4.000,',
      'live-8.ts',
      '#EXTINF:1.235,',
      'live-9.ts',
      '',
    ].join('\n'),
  );
});

test('target duration is the ceiling of the longest segment; discontinuities and end list', () => {
  const text = buildMediaPlaylist({
    targetDuration: 0,
    mediaSequence: 100,
    discontinuitySequence: 3,
    segments: [
      { uri: 'a.ts', duration: 5.2 },
      { uri: 'b.ts', duration: 9.001, discontinuity: true },
    ],
    endList: true,
    version: 4,
  });
  const lines = text.trim().split('\n');
  assert.ok(lines.includes('#EXT-X-VERSION:4'));
  assert.ok(lines.includes('#EXT-X-TARGETDURATION:10'));
  assert.ok(lines.includes('#EXT-X-DISCONTINUITY-SEQUENCE:3'));
  assert.equal(lines[lines.indexOf('b.ts') - 2], '#EXT-X-DISCONTINUITY');
  assert.equal(lines.at(-1), '#EXT-X-ENDLIST');
  assert.ok(!buildMediaPlaylist({ targetDuration: 2, mediaSequence: 0, discontinuitySequence: 0, segments: [] }).includes('DISCONTINUITY'));
});

test('parseMediaPlaylist reads back what buildMediaPlaylist wrote', () => {
  const p = {
    targetDuration: 6,
    mediaSequence: 42,
    discontinuitySequence: 2,
    segments: [
      { uri: 'x/1.ts?token=a', duration: 5.5 },
      { uri: 'x/2.ts', duration: 6, discontinuity: true },
      { uri: 'https://cdn.example/3.ts', duration: 0.04 },
    ],
    endList: true,
  };
  const back = parseMediaPlaylist(buildMediaPlaylist(p));
  assert.equal(back.version, 3);
  assert.equal(back.targetDuration, 6);
  assert.equal(back.mediaSequence, 42);
  assert.equal(back.discontinuitySequence, 2);
  assert.equal(back.endList, true);
  assert.deepEqual(back.segments, p.segments);
  const crlf = parseMediaPlaylist('#EXTM3U\r\n#EXT-X-TARGETDURATION:2\r\n#EXT-X-UNKNOWN:1\r\n#EXTINF:1.5,title\r\nseg.ts\r\n');
  assert.deepEqual(crlf.segments, [{ uri: 'seg.ts', duration: 1.5, title: 'title' }]);
  assert.equal(crlf.endList, false);
});

test('invalid input throws CodecError', () => {
  assert.throws(() => parseMediaPlaylist('not a playlist'), CodecError);
  assert.throws(() => parseMediaPlaylist('#EXTM3U\nseg.ts\n'), /no EXTINF/);
  assert.throws(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:abc,\nseg.ts\n'), CodecError);
  assert.throws(() => buildMediaPlaylist({ targetDuration: 2, mediaSequence: 0, segments: [{ uri: 'a\nb', duration: 1 }] }), CodecError);
  assert.throws(() => buildMediaPlaylist({ targetDuration: 2, mediaSequence: -1, segments: [] }), CodecError);
});

test('fMP4: EXT-X-MAP is written where the init segment changes and read back; PROGRAM-DATE-TIME in ISO form', () => {
  const text = buildMediaPlaylist({
    version: 7,
    targetDuration: 2,
    mediaSequence: 4,
    segments: [
      { uri: 'a-4.m4s', duration: 2, map: 'a-init0.mp4', programDateTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678) },
      { uri: 'a-5.m4s', duration: 2, map: 'a-init0.mp4' },
      { uri: 'a-6.m4s', duration: 2, map: 'a-init1.mp4', discontinuity: true },
    ],
  });
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n' +
      '#EXT-X-MAP:URI="a-init0.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:05.678Z\n#EXTINF:2.000,\na-4.m4s\n' +
      '#EXTINF:2.000,\na-5.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="a-init1.mp4"\n#EXTINF:2.000,\na-6.m4s\n',
  );
  assert.deepEqual(parseMediaPlaylist(text).segments.map((s) => s.map), ['a-init0.mp4', 'a-init0.mp4', 'a-init1.mp4']);
  assert.throws(() => buildMediaPlaylist({ targetDuration: 1, mediaSequence: 0, segments: [{ uri: 'x.m4s', duration: 1, map: 'a"b.mp4' }] }), CodecError);
  assert.throws(() => parseMediaPlaylist('#EXTM3U\n#EXT-X-MAP:BYTERANGE=1\n'), CodecError);
});
