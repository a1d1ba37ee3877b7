// ISO BMFF box helpers (ISO/IEC 14496-12 4.2): build a tree whose sizes are known up front, then write it
// into one buffer allocated once; plus a field writer for payloads and a reader for box headers.

/** Largest size a 32-bit box size field can hold; above it a box uses `largesize` (size = 1). */
export const MAX_U32 = 0xffffffff;

/** A box ready to be written: every size is computed when it is built, so writing is one pass, one allocation. */
export interface Box {
  readonly type: string;
  /** total size, header included */
  readonly size: number;
  readonly headerSize: 8 | 16;
  readonly parts: readonly BoxPart[];
}

/** A payload piece: raw bytes or a nested box. */
export type BoxPart = Buffer | Box;

/** Optional parts may be left out with null/undefined/false, which keeps box trees declarative. */
export type MaybePart = BoxPart | null | undefined | false;

function partSize(p: BoxPart): number {
  return Buffer.isBuffer(p) ? p.length : p.size;
}

/** A box of `type` whose payload is `parts` in order. */
export function box(type: string, ...parts: MaybePart[]): Box {
  if (type.length !== 4) throw new RangeError(`box type must be 4 characters: "${type}"`);
  const kept: BoxPart[] = [];
  let payload = 0;
  for (const p of parts) {
    if (!p) continue;
    kept.push(p);
    payload += partSize(p);
  }
  const headerSize = payload + 8 > MAX_U32 ? 16 : 8;
  return { type, size: payload + headerSize, headerSize, parts: kept };
}

/** A FullBox: version (8 bits) and flags (24 bits) precede the payload. */
export function fullBox(type: string, version: number, flags: number, ...parts: MaybePart[]): Box {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version & 0xff) << 24 | (flags & 0xffffff)) >>> 0, 0);
  return box(type, vf, ...parts);
}

/** Size of a list of parts. */
export function sizeOf(parts: readonly BoxPart[]): number {
  let n = 0;
  for (const p of parts) n += partSize(p);
  return n;
}

/** Writes `part` at `offset` of `target`, returns the offset after it. */
export function writePart(target: Buffer, offset: number, part: BoxPart): number {
  if (Buffer.isBuffer(part)) {
    part.copy(target, offset);
    return offset + part.length;
  }
  offset = writeBoxHeader(target, offset, part.type, part.size, part.headerSize);
  for (const p of part.parts) offset = writePart(target, offset, p);
  return offset;
}

/** Serializes boxes (and raw buffers) into one new Buffer. */
export function serialize(...parts: BoxPart[]): Buffer {
  const out = Buffer.allocUnsafe(sizeOf(parts));
  let off = 0;
  for (const p of parts) off = writePart(out, off, p);
  return out;
}

function writeBoxHeader(target: Buffer, offset: number, type: string, size: number, headerSize: 8 | 16): number {
  if (headerSize === 16) {
    target.writeUInt32BE(1, offset);
    target.write(type, offset + 4, 4, 'latin1');
    target.writeBigUInt64BE(BigInt(size), offset + 8);
    return offset + 16;
  }
  target.writeUInt32BE(size, offset);
  target.write(type, offset + 4, 4, 'latin1');
  return offset + 8;
}

/**
 * The header alone of a box whose payload is written separately (an `mdat` streamed from disk).
 * Uses the 16-byte form when the box would not fit a 32-bit size, or when `large` asks for it.
 */
export function boxHeader(type: string, payloadSize: number, large = false): Buffer {
  const headerSize = large || payloadSize + 8 > MAX_U32 ? 16 : 8;
  const out = Buffer.allocUnsafe(headerSize);
  writeBoxHeader(out, 0, type, payloadSize + headerSize, headerSize);
  return out;
}

/** Big-endian field writer over a buffer of a size computed by the caller; `end()` checks it was filled. */
export class FieldWriter {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  u8(v: number): this {
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  i16(v: number): this {
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.buf.writeUIntBE(v, this.pos, 3);
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: number | bigint): this {
    this.buf.writeBigUInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  i64(v: number | bigint): this {
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  /** four characters, latin1 */
  fourcc(s: string): this {
    this.buf.write(s, this.pos, 4, 'latin1');
    this.pos += 4;
    return this;
  }

  bytes(b: Buffer): this {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  /** `n` zero bytes (the buffer starts zeroed) */
  zeros(n: number): this {
    this.pos += n;
    return this;
  }

  /** The filled buffer; throws if the size computed up front was wrong (a bug, never input-dependent). */
  end(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new Error(`FieldWriter: wrote ${this.pos} bytes into ${this.buf.length}`);
    }
    return this.buf;
  }
}

/** Unity transform matrix of mvhd/tkhd (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX: readonly number[] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000];

/** ISO-639-2/T code packed as in mdhd: "und". */
export const LANGUAGE_UND = 0x55c4;

/** Header of a box read from bytes. */
export interface BoxHeader {
  type: string;
  /** total size including the header; for size 0 ("to the end"), the bytes left in the container */
  size: number;
  headerSize: number;
}

/**
 * Reads a box header at `offset`; null if fewer bytes than a header are available before `end`.
 * `size` may extend past `end` (a torn box): the caller decides. Throws on a size smaller than its header.
 */
export function readBoxHeader(buf: Buffer, offset: number, end = buf.length): BoxHeader | null {
  if (offset + 8 > end) return null;
  let size = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  let headerSize = 8;
  if (size === 1) {
    if (offset + 16 > end) return null;
    size = Number(buf.readBigUInt64BE(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = end - offset;
  }
  if (size < headerSize) throw new RangeError(`box "${type}" at ${offset} has size ${size}`);
  return { type, size, headerSize };
}

/** A box found inside a buffer: where its payload starts and ends. */
export interface BoxView {
  type: string;
  start: number;
  payloadStart: number;
  end: number;
}

/** The complete child boxes of the region [start, end) of `buf`; stops at a truncated one. */
export function childBoxes(buf: Buffer, start: number, end: number): BoxView[] {
  const out: BoxView[] = [];
  let off = start;
  for (;;) {
    const h = readBoxHeader(buf, off, end);
    if (!h || off + h.size > end) break;
    out.push({ type: h.type, start: off, payloadStart: off + h.headerSize, end: off + h.size });
    off += h.size;
  }
  return out;
}

/** The first child of type `type` in [start, end), or undefined. */
export function findChild(buf: Buffer, start: number, end: number, type: string): BoxView | undefined {
  return childBoxes(buf, start, end).find((b) => b.type === type);
}

/** Follows a path of box types (e.g. ['moov', 'trak', 'mdia']) from the top of `buf`: the first match of each. */
export function findPath(buf: Buffer, path: readonly string[], start = 0, end = buf.length): BoxView | undefined {
  let found: BoxView | undefined;
  let s = start;
  let e = end;
  for (const t of path) {
    found = findChild(buf, s, e, t);
    if (!found) return undefined;
    s = found.payloadStart;
    e = found.end;
  }
  return found;
}

// ---- Boxes shared by the fragmented writer and the progressive converter (14496-12 8.2 - 8.7) ----

/** File type box. */
export function ftyp(major: string, minor: number, compatible: readonly string[]): Box {
  const w = new FieldWriter(8 + 4 * compatible.length).fourcc(major).u32(minor);
  for (const c of compatible) w.fourcc(c);
  return box('ftyp', w.end());
}

/** Movie header; version 1 when the duration needs 64 bits. */
export function mvhd(timescale: number, duration: number, nextTrackId: number): Box {
  const v1 = duration > MAX_U32;
  const w = new FieldWriter((v1 ? 28 : 16) + 80);
  if (v1) w.u64(0).u64(0).u32(timescale).u64(duration);
  else w.u32(0).u32(0).u32(timescale).u32(duration);
  w.u32(0x00010000).u16(0x0100).zeros(2 + 8);
  for (const m of UNITY_MATRIX) w.u32(m);
  w.zeros(24).u32(nextTrackId);
  return fullBox('mvhd', v1 ? 1 : 0, 0, w.end());
}

/** Track header (enabled, in movie); width/height in pixels, written as 16.16. */
export function tkhd(trackId: number, duration: number, width: number, height: number, audio: boolean): Box {
  const v1 = duration > MAX_U32;
  const w = new FieldWriter((v1 ? 32 : 20) + 60);
  if (v1) w.u64(0).u64(0).u32(trackId).u32(0).u64(duration);
  else w.u32(0).u32(0).u32(trackId).u32(0).u32(duration);
  w.zeros(8).i16(0).i16(audio ? 1 : 0).u16(audio ? 0x0100 : 0).zeros(2);
  for (const m of UNITY_MATRIX) w.u32(m);
  w.u32(Math.round(width * 65536)).u32(Math.round(height * 65536));
  return fullBox('tkhd', v1 ? 1 : 0, 3, w.end());
}

/** Media header. */
export function mdhd(timescale: number, duration: number): Box {
  const v1 = duration > MAX_U32;
  const w = new FieldWriter((v1 ? 28 : 16) + 4);
  if (v1) w.u64(0).u64(0).u32(timescale).u64(duration);
  else w.u32(0).u32(0).u32(timescale).u32(duration);
  w.u16(LANGUAGE_UND).u16(0);
  return fullBox('mdhd', v1 ? 1 : 0, 0, w.end());
}

/** Handler reference: 'vide' or 'soun'. */
export function hdlr(handler: string, name: string): Box {
  const nameBytes = Buffer.from(name + '\0', 'utf8');
  const w = new FieldWriter(20 + nameBytes.length).u32(0).fourcc(handler).zeros(12).bytes(nameBytes);
  return fullBox('hdlr', 0, 0, w.end());
}

/** The media information header of a handler: vmhd for video, smhd for sound, nmhd otherwise. */
export function mediaInfoHeader(handler: string): Box {
  if (handler === 'vide') return fullBox('vmhd', 0, 1, Buffer.alloc(8));
  if (handler === 'soun') return fullBox('smhd', 0, 0, Buffer.alloc(4));
  return fullBox('nmhd', 0, 0);
}

/** Data information: one self-contained data reference. */
export function dinf(): Box {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1, 0);
  return box('dinf', fullBox('dref', 0, 0, count, fullBox('url ', 0, 1)));
}

/** Sample description box holding already-built (or raw) sample entries. */
export function stsd(entries: readonly BoxPart[]): Box {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length, 0);
  return fullBox('stsd', 0, 0, count, ...entries);
}
