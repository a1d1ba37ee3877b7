// Ogg/Opus (RFC 3533, RFC 7845): an ffmpeg-written stream is read back (CRC, granules, headers); pages we
// write are read back, lacing across 255-byte boundaries and packets continued over pages; Opus packet
// durations from the TOC byte (RFC 6716 3.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OggHeaderType,
  OggReader,
  oggCrc,
  opusHead,
  opusPacketSamples,
  opusTags,
  writeOggPage,
  type OggPageOut,
} from '../../../src/codecs/rtp/ogg-opus.js';

/** ffmpeg -f lavfi -i sine=...:duration=0.1 -c:a libopus -b:a 16k -frame_duration 20 -page_duration 20000 -f ogg */
const FFMPEG_OGG = Buffer.from(
  '4f6767530002000000000000000000000000000000000228b57201134f707573486561640101380180bb00000000004f6767530000000000000000000000000000010000004995be54012e4f707573546167730600000066666d7065670100000014000000656e636f6465723d4c617663206c69626f7075734f6767530000c0030000000000000000000002000000ebf7cad20145788201b76c4724ea02466ffab6038c8134d6e85e01eb1bb15eefc97818f20ab32141ccd1a69fe18a9b869d6b81ea049eeb408a2b47502809d0465300744db69f7ac3f400f94f6767530000800700000000000000000000030000008e75f34f013778a33ff7ac9885035c260aabff415a10469562c4b217d9990ff89089f215428062d73796b693ef7bb14b4fcb89e498771597ef0e94e9e54f6767530000400b00000000000000000000040000002f32224a0136789ba312514500ace3d5accce1dc799c2503c79386d360e29ca69e08dde411be33a35ddc9fc4a9639b5295ae4dd7b2cfe5fd3e94298b4f6767530000000f00000000000000000000050000006ceb0981013e789ba311b41cbf52288c781b1620c27b48a1967b5de645f0ea6cf136012dcbcc7d22fd2eeaeafe0055b4c7e4b0c571d408e4e28dabf699021812354495024f6767530000c0120000000000000000000006000000ebb75ae30136789ba35f759cfc4933bfc547ef35c9c6f38af862511ef7db8bd24b68655c45ac632ade209dabcb1eefe04d191f6c21e994a9abf0e9834f6767530004f8130000000000000000000007000000c0da953c0130788258361eb0c9ae89dc3f9bfb8e1569b03b8457fdf0eeb7ec8f34598fd3eb122e31f9ba1c0ac9ea2c2a05770cf3ff85',
  'hex',
);

function readAll(buf: Buffer, chunk = buf.length): OggPageOut[] {
  const pages: OggPageOut[] = [];
  const r = new OggReader((p) => pages.push(p));
  for (let i = 0; i < buf.length; i += chunk) r.push(buf.subarray(i, i + chunk));
  return pages;
}

test("reads ffmpeg's Ogg/Opus byte by byte: headers, granules, and its CRCs match ours", () => {
  const pages = readAll(FFMPEG_OGG, 1);
  assert.equal(pages.length, 8);
  assert.equal(pages[0]!.headerType, OggHeaderType.FirstPage);
  assert.equal(pages[0]!.packets[0]!.toString('latin1', 0, 8), 'OpusHead');
  assert.equal(pages[0]!.packets[0]!.readUInt16LE(10), 312, 'libopus pre-skip');
  assert.equal(pages[1]!.packets[0]!.toString('latin1', 0, 8), 'OpusTags');
  assert.deepEqual(pages.slice(2).map((p) => Number(p.granule)), [960, 1920, 2880, 3840, 4800, 5112]);
  assert.ok(pages[7]!.headerType & OggHeaderType.LastPage);
  for (const p of pages.slice(2)) for (const pkt of p.packets) assert.equal(opusPacketSamples(pkt), 960, '20 ms packets');
  // every page's CRC field equals our CRC of the page with that field zeroed
  let o = 0;
  while (o < FFMPEG_OGG.length) {
    const segs = FFMPEG_OGG[o + 26]!;
    let size = 27 + segs;
    for (let i = 0; i < segs; i++) size += FFMPEG_OGG[o + 27 + i]!;
    const page = Buffer.from(FFMPEG_OGG.subarray(o, o + size));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    assert.equal(oggCrc(page), crc);
    o += size;
  }
});

test('pages we write read back; lacing at 255-byte multiples; packets continued across pages', () => {
  const head = opusHead(2, 0);
  assert.equal(head.length, 19);
  const tags = opusTags('srs-node');
  const a = Buffer.alloc(255, 1);
  const b = Buffer.alloc(600, 2);
  const c = Buffer.alloc(0);
  const bytes = Buffer.concat([
    writeOggPage({ headerType: OggHeaderType.FirstPage, granule: 0n, serial: 9, sequence: 0, packets: [head] }),
    writeOggPage({ headerType: 0, granule: 0n, serial: 9, sequence: 1, packets: [tags] }),
    writeOggPage({ headerType: 0, granule: 960n, serial: 9, sequence: 2, packets: [a, b, c] }),
  ]);
  const pages = readAll(Buffer.concat([Buffer.from('junk'), bytes]), 7);
  assert.deepEqual(pages.map((p) => p.sequence), [0, 1, 2]);
  assert.deepEqual(pages[2]!.packets, [a, b, c]);
  assert.equal(pages[2]!.granule, 960n);
  // a 300-byte packet split over two pages (255 + 45, the second page flagged as continued)
  const big = Buffer.alloc(300, 7);
  const p1 = writeOggPage({ headerType: 0, granule: -1n, serial: 1, sequence: 0, packets: [] });
  const body1 = Buffer.concat([p1.subarray(0, 26), Buffer.from([1, 255]), big.subarray(0, 255)]);
  body1.writeUInt32LE(0, 22);
  body1.writeUInt32LE(oggCrc(body1), 22);
  const page2 = Buffer.concat([p1.subarray(0, 26), Buffer.from([1, 45]), big.subarray(255)]);
  page2[5] = OggHeaderType.Continued;
  page2.writeUInt32LE(0, 22);
  page2.writeUInt32LE(oggCrc(page2), 22);
  const split = readAll(Buffer.concat([body1, page2]));
  assert.deepEqual(split.map((p) => p.packets.length), [0, 1]);
  assert.deepEqual(split[1]!.packets[0], big);
});

test('Opus packet durations from the TOC byte', () => {
  const toc = (config: number, code: number, extra: number[] = []) => Buffer.from([(config << 3) | code, ...extra]);
  assert.equal(opusPacketSamples(toc(1, 0)), 960); // SILK 20 ms
  assert.equal(opusPacketSamples(toc(3, 0)), 2880); // SILK 60 ms
  assert.equal(opusPacketSamples(toc(13, 0)), 960); // hybrid 20 ms
  assert.equal(opusPacketSamples(toc(16, 0)), 120); // CELT 2.5 ms
  assert.equal(opusPacketSamples(toc(31, 1)), 1920); // CELT 20 ms x2
  assert.equal(opusPacketSamples(toc(31, 3, [3])), 2880); // CELT 20 ms x3 (code 3)
  assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
});
