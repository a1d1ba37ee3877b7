// Ogg encapsulation (RFC 3533) of Opus (RFC 7845), and Opus packet durations (RFC 6716 section 3.1): the
// container the per-stream FFmpeg audio transcoders read and write over pipes. Pure: bytes in, objects out.

const CAPTURE = Buffer.from('OggS');
const PAGE_HEADER_SIZE = 27;
const MAX_SEGMENTS = 255;

export enum OggHeaderType {
  Continued = 0x01,
  FirstPage = 0x02,
  LastPage = 0x04,
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value and final xor 0. */
export function oggCrc(buf: Buffer): number {
  let crc = 0;
  for (let i = 0; i < buf.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ buf[i]!) & 0xff]!) >>> 0;
  return crc >>> 0;
}

export interface OggPageIn {
  headerType: number;
  /** granule position after the last packet that ends on this page (Opus: 48 kHz samples) */
  granule: bigint;
  serial: number;
  sequence: number;
  /** whole packets; each must fit in one page with the others (255 lacing values in all) */
  packets: readonly Buffer[];
}

/** Writes one page holding whole packets. */
export function writeOggPage(p: OggPageIn): Buffer {
  const lacing: number[] = [];
  let body = 0;
  for (const pkt of p.packets) {
    let n = pkt.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n);
    body += pkt.length;
  }
  if (lacing.length > MAX_SEGMENTS) throw new RangeError(`Ogg page would need ${lacing.length} lacing values (max 255)`);
  const buf = Buffer.alloc(PAGE_HEADER_SIZE + lacing.length + body);
  CAPTURE.copy(buf, 0);
  buf[4] = 0; // version
  buf[5] = p.headerType;
  buf.writeBigInt64LE(p.granule, 6);
  buf.writeUInt32LE(p.serial >>> 0, 14);
  buf.writeUInt32LE(p.sequence >>> 0, 18);
  buf[26] = lacing.length;
  for (let i = 0; i < lacing.length; i++) buf[PAGE_HEADER_SIZE + i] = lacing[i]!;
  let o = PAGE_HEADER_SIZE + lacing.length;
  for (const pkt of p.packets) {
    pkt.copy(buf, o);
    o += pkt.length;
  }
  buf.writeUInt32LE(oggCrc(buf), 22);
  return buf;
}

/** The identification header, RFC 7845 section 5.1 (channel mapping family 0). */
export function opusHead(channels: number, preSkip: number, inputSampleRate = 48000): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1;
  b[9] = channels;
  b.writeUInt16LE(preSkip, 10);
  b.writeUInt32LE(inputSampleRate, 12);
  b.writeInt16LE(0, 16);
  b[18] = 0;
  return b;
}

/** The comment header, RFC 7845 section 5.2, with no user comments. */
export function opusTags(vendor: string): Buffer {
  const v = Buffer.from(vendor, 'utf8');
  const b = Buffer.alloc(8 + 4 + v.length + 4);
  b.write('OpusTags', 0, 'latin1');
  b.writeUInt32LE(v.length, 8);
  v.copy(b, 12);
  b.writeUInt32LE(0, 12 + v.length);
  return b;
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte (and the frame count byte for code 3). */
export function opusPacketSamples(packet: Buffer): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frame: number; // samples at 48 kHz
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3]!;
  else if (config < 16) frame = [480, 960][config & 1]!;
  else frame = [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) frames = packet.length > 1 ? packet[1]! & 0x3f : 0;
  else frames = 2;
  return frame * frames;
}

/** One page as read: the packets that end on it and the page's granule position. */
export interface OggPageOut {
  headerType: number;
  granule: bigint;
  serial: number;
  sequence: number;
  /** packets completed on this page (a packet continued from earlier pages comes whole) */
  packets: Buffer[];
}

/** Push parser for an Ogg byte stream; chunks may split anywhere. Resynchronizes on "OggS" after garbage. */
export class OggReader {
  private pending: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];
  /** bytes skipped looking for a page */
  skipped = 0;

  constructor(private readonly onPage: (p: OggPageOut) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (buf.length - pos < PAGE_HEADER_SIZE) break;
      if (buf.compare(CAPTURE, 0, 4, pos, pos + 4) !== 0) {
        const next = buf.indexOf(CAPTURE, pos + 1);
        const to = next < 0 ? Math.max(pos, buf.length - 3) : next;
        this.skipped += to - pos;
        this.partial = [];
        pos = to;
        if (next < 0) break;
        continue;
      }
      const segs = buf[pos + 26]!;
      if (buf.length - pos < PAGE_HEADER_SIZE + segs) break;
      let body = 0;
      for (let i = 0; i < segs; i++) body += buf[pos + PAGE_HEADER_SIZE + i]!;
      const size = PAGE_HEADER_SIZE + segs + body;
      if (buf.length - pos < size) break;
      this.page(buf.subarray(pos, pos + size), segs);
      pos += size;
    }
    buf = buf.subarray(pos);
    // Keep a copy: the caller may reuse its chunk.
    this.pending = Buffer.from(buf);
  }

  private page(page: Buffer, segs: number): void {
    const headerType = page[5]!;
    if ((headerType & OggHeaderType.Continued) === 0) this.partial = [];
    const packets: Buffer[] = [];
    let len = 0;
    let start = PAGE_HEADER_SIZE + segs;
    for (let i = 0; i < segs; i++) {
      const lace = page[PAGE_HEADER_SIZE + i]!;
      len += lace;
      if (lace < 255) {
        const piece = page.subarray(start, start + len);
        if (this.partial.length > 0) {
          this.partial.push(piece);
          packets.push(Buffer.concat(this.partial));
          this.partial = [];
        } else {
          packets.push(Buffer.from(piece));
        }
        start += len;
        len = 0;
      }
    }
    if (len > 0 || (segs > 0 && page[PAGE_HEADER_SIZE + segs - 1] === 255)) {
      this.partial.push(Buffer.from(page.subarray(start, start + len)));
    }
    this.onPage({
      headerType,
      granule: page.readBigInt64LE(6),
      serial: page.readUInt32LE(14),
      sequence: page.readUInt32LE(18),
      packets,
    });
  }
}
