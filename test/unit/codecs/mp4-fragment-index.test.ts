// The fragment index behind a recording's HLS view: a fragmented MP4 made by our writer from synthetic frames
// (the byte fixture), indexed whole and as it grows (fast-check: any sequence of truncation points gives the
// same index, a partly written last fragment is never listed, and no input throws), grouped into HLS segments
// at keyframes, written as a playlist, and put back together from its skeleton and the progressive MP4's media.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { readBoxHeader } from '../../../src/codecs/mp4/boxes.js';
import { Fmp4Writer } from '../../../src/codecs/mp4/fmp4.js';
import {
  Fmp4Indexer,
  ReassembledSource,
  fmp4Playlist,
  groupFragments,
  skeletonRanges,
  type Fmp4FragmentEntry,
} from '../../../src/codecs/mp4/fragment-index.js';
import { BufferSource, fragmentedToProgressiveBuffer } from '../../../src/codecs/mp4/progressive.js';

const sps = Buffer.from('6742c01e95a0a0fd00', 'hex');
const pps = Buffer.from('68ce3c80', 'hex');
const avcc = Buffer.concat([Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps]);
const vh: Frame = { type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: true, data: avcc };
const ah: Frame = { type: 'audio', codec: AudioCodec.AAC, dts: 0, pts: 0, keyframe: false, header: true, data: Buffer.from([0x12, 0x10]), sampleRate: 44100, channels: 2 };

/** ms of video at 25 fps with a keyframe every `gop` frames, and AAC audio; as the recorder's writer cuts it. */
function recording(ms: number, gop: number): Buffer {
  const w = new Fmp4Writer({ fragmentMs: 1000, maxFragmentMs: 3000 });
  const out: Buffer[] = [...w.push(vh), ...w.push(ah)];
  let v = 0;
  let a = 0;
  for (;;) {
    const vt = v * 40;
    const at = Math.floor((a * 1024000) / 44100);
    if (vt >= ms && at >= ms) break;
    if (vt <= at) {
      const key = v++ % gop === 0;
      out.push(...w.push({ ...vh, dts: vt, pts: vt, keyframe: key, header: false, data: Buffer.concat([Buffer.from([0, 0, 1, 0x2c, key ? 0x65 : 0x41]), Buffer.alloc(299, v & 0xff)]) }));
    } else {
      out.push(...w.push({ ...ah, dts: at, pts: at, header: false, data: Buffer.from([0x21, 0x00, a++ & 0xff]) }));
    }
  }
  out.push(...w.flush());
  return Buffer.concat(out);
}

async function indexOf(buf: Buffer): Promise<Fmp4Indexer> {
  const ix = new Fmp4Indexer();
  await ix.update(new BufferSource(buf));
  return ix;
}

const type = (buf: Buffer, at: number) => buf.toString('latin1', at + 4, at + 8);

/** Where each complete moof+mdat of `buf` ends, by a plain walk of the top-level boxes. */
function fragmentEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const h = readBoxHeader(buf, pos)!;
    if (pos + h.size > buf.length) break;
    if (h.type === 'mdat') ends.push(pos + h.size);
    pos += h.size;
  }
  return ends;
}

const FILE = recording(20000, 50); // keyframes every 2 s
const LONG_GOP = recording(30000, 250); // keyframes every 10 s: the writer also cuts at 3 s without one

describe('fragment index', () => {
  test('the init segment and every fragment, with times and keyframes', async () => {
    const ix = await indexOf(FILE);
    assert.equal(ix.error, null);
    assert.equal(ix.inits.length, 1);
    assert.equal(ix.inits[0]!.offset, 0);
    assert.equal(type(FILE, 0), 'ftyp');
    assert.equal(type(FILE, ix.inits[0]!.length), 'moof', 'the init range ends where the first moof starts');
    assert.equal(ix.fragments.length, 10);
    let at = ix.inits[0]!.length;
    ix.fragments.forEach((f, i) => {
      assert.equal(f.offset, at, 'fragments follow each other');
      assert.equal(type(FILE, f.offset), 'moof');
      assert.ok(Math.abs(f.start - i * 2) < 0.001, `fragment ${i} starts at ${f.start}`);
      assert.ok(Math.abs(f.duration - 2) < 0.05, `fragment ${i} lasts ${f.duration}`);
      assert.equal(f.keyframe, true);
      assert.equal(f.exact, true);
      at += f.length;
    });
    assert.equal(at, FILE.length);
    assert.equal(ix.position, FILE.length);
  });

  test('a long GOP: fragments cut without a keyframe are marked', async () => {
    const ix = await indexOf(LONG_GOP);
    const keys = ix.fragments.filter((f) => f.keyframe).map((f) => Math.round(f.start));
    assert.deepEqual(keys, [0, 10, 20]);
    assert.ok(ix.fragments.some((f) => !f.keyframe));
  });

  test('grown in steps (fast-check): same index as at once; a partly written fragment is never listed', async () => {
    const whole = await indexOf(FILE);
    const ends = fragmentEnds(FILE);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: FILE.length }), { maxLength: 12 }), async (cuts) => {
        const ix = new Fmp4Indexer();
        for (const n of [...cuts].sort((x, y) => x - y)) {
          await ix.update(new BufferSource(FILE.subarray(0, n)));
          assert.equal(ix.error, null);
          assert.equal(ix.fragments.length, ends.filter((e) => e <= n).length, `cut at ${n}`);
          for (const f of ix.fragments) assert.ok(f.offset + f.length <= n);
        }
        await ix.update(new BufferSource(FILE));
        assert.deepEqual(ix.fragments, whole.fragments);
        assert.deepEqual(ix.inits, whole.inits);
      }),
      { numRuns: 200 },
    );
  });

  test('incremental: an update reads only past what it indexed, and nothing when the size is the same', async () => {
    const reads: number[] = [];
    const counted = (buf: Buffer) => {
      const inner = new BufferSource(buf);
      return { size: inner.size, read: (pos: number, len: number) => (reads.push(pos), inner.read(pos, len)) };
    };
    const ix = new Fmp4Indexer();
    const half = fragmentEnds(FILE)[4]! + 10;
    await ix.update(counted(FILE.subarray(0, half)));
    const at = ix.position;
    reads.length = 0;
    await ix.update(counted(FILE.subarray(0, half)));
    assert.ok(reads.every((p) => p >= at), 'the same size reads only the torn tail again');
    reads.length = 0;
    await ix.update(counted(FILE));
    assert.ok(reads.length > 0 && reads.every((p) => p >= at), `read from ${Math.min(...reads)}, indexed up to ${at}`);
    reads.length = 0;
    await ix.update(counted(FILE));
    assert.deepEqual(reads, [], 'nothing new: nothing read');
  });

  test('garbage and damage never throw (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: FILE.length }), fc.nat(), async (junk, cut, at) => {
        for (const buf of [
          Buffer.from(junk),
          Buffer.concat([FILE.subarray(0, cut), Buffer.from(junk)]),
          Buffer.concat([FILE.subarray(0, at % FILE.length), Buffer.from(junk), FILE.subarray((at % FILE.length) + junk.length)]),
        ]) {
          const ix = await indexOf(buf);
          for (const f of ix.fragments) assert.ok(f.offset + f.length <= buf.length);
          groupFragments(ix.fragments, { complete: true });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('HLS segments and playlist', () => {
  test('segments start at keyframes and last at least 4 s; the growing last one is left out', async () => {
    const ix = await indexOf(FILE);
    const done = groupFragments(ix.fragments, { complete: true });
    assert.deepEqual(done.map((s) => Math.round(s.start)), [0, 4, 8, 12, 16]);
    assert.ok(done.every((s) => s.keyframe && Math.abs(s.duration - 4) < 0.05), JSON.stringify(done));
    assert.equal(done.reduce((n, s) => n + s.length, 0), FILE.length - ix.inits[0]!.length);
    const live = groupFragments(ix.fragments, { complete: false });
    assert.deepEqual(live, done.slice(0, -1));
    // More fragments only add segments.
    const fewer = groupFragments(ix.fragments.slice(0, 7), { complete: false });
    assert.deepEqual(fewer, done.slice(0, fewer.length));
  });

  test('a long GOP: cut at keyframes, or before 12 s', async () => {
    const ix = await indexOf(LONG_GOP);
    const segs = groupFragments(ix.fragments, { complete: true });
    assert.ok(segs.every((s) => s.duration <= 12.05), JSON.stringify(segs.map((s) => s.duration)));
    assert.ok(segs.filter((s) => s.keyframe).map((s) => Math.round(s.start)).join() === '0,10,20', JSON.stringify(segs));
  });

  test('the playlist: version 7, the init map and byte ranges, EVENT or VOD', async () => {
    const ix = await indexOf(FILE);
    const vod = fmp4Playlist(ix.inits, groupFragments(ix.fragments, { complete: true }), { uri: 'fragments.mp4', type: 'VOD', ended: true });
    const lines = vod.trim().split('\n');
    assert.deepEqual(lines.slice(0, 6), ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS']);
    assert.equal(lines[6], `#EXT-X-MAP:URI="fragments.mp4",BYTERANGE="${ix.inits[0]!.length}@0"`);
    assert.equal(lines.filter((l) => l.startsWith('#EXTINF:')).length, 5);
    assert.equal(lines.at(-1), '#EXT-X-ENDLIST');
    const ranges = lines.filter((l) => l.startsWith('#EXT-X-BYTERANGE:')).map((l) => l.slice(17).split('@').map(Number));
    for (const [len, off] of ranges) assert.equal(type(FILE, off!), 'moof', `range ${len}@${off}`);
    const event = fmp4Playlist(ix.inits, groupFragments(ix.fragments, { complete: false }), { uri: 'x', type: 'EVENT', ended: false });
    assert.match(event, /#EXT-X-PLAYLIST-TYPE:EVENT/);
    assert.doesNotMatch(event, /ENDLIST/);
    const empty = fmp4Playlist([], [], { uri: 'x', type: 'EVENT', ended: false });
    assert.match(empty, /#EXT-X-TARGETDURATION:1/);
  });

  test('a later init segment starts a discontinuity with its own map', () => {
    const f = (offset: number, start: number, init: number): Fmp4FragmentEntry => ({ offset, length: 10, start, duration: 4, keyframe: true, init, exact: true });
    const segs = groupFragments([f(100, 0, 0), f(110, 4, 0), f(300, 0, 1), f(310, 4, 1)], { complete: true });
    const text = fmp4Playlist([{ offset: 0, length: 100 }, { offset: 120, length: 180 }], segs, { uri: 'u', type: 'VOD', ended: true });
    assert.equal(text.match(/#EXT-X-MAP/g)?.length, 2);
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="u",BYTERANGE="180@120"/);
  });
});

describe('skeleton and reassembly', () => {
  test('the fragments come back byte for byte from the skeleton and index.mp4', async () => {
    // A torn tail is left out of both.
    const torn = Buffer.concat([FILE, FILE.subarray(FILE.length - 500, FILE.length - 100)]);
    const ix = await indexOf(torn);
    assert.equal(ix.position, FILE.length);
    const src = new BufferSource(torn);
    const skeleton = Buffer.concat(await Promise.all((await skeletonRanges(src, ix.position)).map((r) => src.read(r.position, r.length))));
    assert.ok(skeleton.length < FILE.length / 2, `skeleton ${skeleton.length} of ${FILE.length}`);
    const { output } = await fragmentedToProgressiveBuffer(torn);
    const mdatAt = output.indexOf('mdat') - 4;
    const mh = readBoxHeader(output, mdatAt)!;
    const r = await ReassembledSource.open(new BufferSource(skeleton), new BufferSource(output), mdatAt + mh.headerSize, mh.size - mh.headerSize);
    assert.ok(typeof r !== 'string', String(r));
    assert.equal(r.size, FILE.length);
    assert.ok((await r.read(0, r.size)).equals(FILE));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: FILE.length - 1 }), fc.integer({ min: 1, max: 5000 }), async (pos, len) => {
        const n = Math.min(len, FILE.length - pos);
        assert.ok((await r.read(pos, n)).equals(FILE.subarray(pos, pos + n)));
      }),
    );
    // A skeleton that does not belong to this index.mp4 is refused.
    const other = await ReassembledSource.open(new BufferSource(skeleton), new BufferSource(output), mdatAt + mh.headerSize, mh.size - mh.headerSize - 1);
    assert.equal(typeof other, 'string');
  });
});
