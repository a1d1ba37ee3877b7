// AMF0 encoder/decoder, Adobe "Action Message Format -- AMF 0" specification (sections 2.1-2.18).
// Used by RTMP commands/data messages and FLV script tags. Decoding is defensive: every length is checked
// against the bytes actually present, so forged lengths can neither over-read nor allocate large buffers.

export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Value[] | Amf0Object;
export interface Amf0Object {
  [key: string]: Amf0Value;
}

/** AMF0 type markers (spec 2.1). */
export enum Amf0Marker {
  Number = 0x00,
  Boolean = 0x01,
  String = 0x02,
  Object = 0x03,
  MovieClip = 0x04,
  Null = 0x05,
  Undefined = 0x06,
  Reference = 0x07,
  EcmaArray = 0x08,
  ObjectEnd = 0x09,
  StrictArray = 0x0a,
  Date = 0x0b,
  LongString = 0x0c,
  Unsupported = 0x0d,
  RecordSet = 0x0e,
  XmlDocument = 0x0f,
  TypedObject = 0x10,
  AvmPlusObject = 0x11,
}

/** Invalid, truncated or unsupported AMF0 data (or a value that cannot be encoded). */
export class Amf0Error extends Error {
  readonly code = 'AMF0_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'Amf0Error';
  }
}

/** Nesting limit for objects/arrays, in both directions (guards the stack and cyclic input). */
export const AMF0_MAX_DEPTH = 64;
/** Largest UTF-8 byte length written with the short String marker (u16 length). */
const SHORT_STRING_MAX = 0xffff;

// ---------------------------------------------------------------------------------------------------------
// Encoding: one pass to size, one allocation, one pass to write.

/** Encodes `values` one after another (e.g. a command: name, transaction id, command object, args...). */
export function encodeAmf0(values: Amf0Value[]): Buffer {
  let size = 0;
  for (const v of values) size += sizeOfValue(v, 0);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const v of values) pos = writeValue(buf, pos, v, 0);
  return buf;
}

/** Encodes one ECMA array value (marker 0x08): the form `onMetaData` objects are normally written in. */
export function encodeAmf0EcmaArray(obj: Amf0Object): Buffer {
  const buf = Buffer.allocUnsafe(5 + sizeOfProperties(obj, 1));
  buf[0] = Amf0Marker.EcmaArray;
  buf.writeUInt32BE(Object.keys(obj).length, 1);
  writeProperties(buf, 5, obj, 1);
  return buf;
}

/** `"onMetaData", <ECMA array>` as FLV script tags and RTMP `@setDataFrame` payloads carry it. */
export function encodeAmf0OnMetaData(metadata: Amf0Object): Buffer {
  return Buffer.concat([encodeAmf0(['onMetaData']), encodeAmf0EcmaArray(metadata)]);
}

function checkDepth(depth: number): void {
  if (depth > AMF0_MAX_DEPTH) throw new Amf0Error(`AMF0 value nested deeper than ${AMF0_MAX_DEPTH} levels (cyclic?)`);
}

function sizeOfValue(v: Amf0Value, depth: number): number {
  switch (typeof v) {
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    case 'string': {
      const n = Buffer.byteLength(v, 'utf8');
      return n > SHORT_STRING_MAX ? 5 + n : 3 + n;
    }
    case 'undefined':
      return 1;
    case 'object':
      if (v === null) return 1;
      if (v instanceof Date) return 11;
      checkDepth(depth + 1);
      if (Array.isArray(v)) {
        let n = 5;
        for (let i = 0; i < v.length; i++) n += sizeOfValue(v[i], depth + 1);
        return n;
      }
      return 1 + sizeOfProperties(v, depth + 1);
    default:
      throw new Amf0Error(`cannot encode a ${typeof v} as AMF0`);
  }
}

/** Size of `key value ... 00 00 09` (property list plus the object-end marker). */
function sizeOfProperties(obj: Amf0Object, depth: number): number {
  let n = 3;
  for (const key of Object.keys(obj)) {
    const k = Buffer.byteLength(key, 'utf8');
    if (k > SHORT_STRING_MAX) throw new Amf0Error(`AMF0 property name longer than ${SHORT_STRING_MAX} bytes`);
    n += 2 + k + sizeOfValue(obj[key], depth);
  }
  return n;
}

function writeValue(buf: Buffer, pos: number, v: Amf0Value, depth: number): number {
  switch (typeof v) {
    case 'number':
      buf[pos] = Amf0Marker.Number;
      buf.writeDoubleBE(v, pos + 1);
      return pos + 9;
    case 'boolean':
      buf[pos] = Amf0Marker.Boolean;
      buf[pos + 1] = v ? 1 : 0;
      return pos + 2;
    case 'string': {
      const n = Buffer.byteLength(v, 'utf8');
      if (n > SHORT_STRING_MAX) {
        buf[pos] = Amf0Marker.LongString;
        buf.writeUInt32BE(n, pos + 1);
        buf.write(v, pos + 5, n, 'utf8');
        return pos + 5 + n;
      }
      buf[pos] = Amf0Marker.String;
      buf.writeUInt16BE(n, pos + 1);
      buf.write(v, pos + 3, n, 'utf8');
      return pos + 3 + n;
    }
    case 'undefined':
      buf[pos] = Amf0Marker.Undefined;
      return pos + 1;
    default: // 'object' (sizeOfValue already rejected everything else)
      if (v === null) {
        buf[pos] = Amf0Marker.Null;
        return pos + 1;
      }
      if (v instanceof Date) {
        buf[pos] = Amf0Marker.Date;
        buf.writeDoubleBE(v.getTime(), pos + 1);
        buf.writeInt16BE(0, pos + 9); // time-zone: reserved, "should be 0x0000" (spec 2.13)
        return pos + 11;
      }
      if (Array.isArray(v)) {
        buf[pos] = Amf0Marker.StrictArray;
        buf.writeUInt32BE(v.length, pos + 1);
        pos += 5;
        for (let i = 0; i < v.length; i++) pos = writeValue(buf, pos, v[i], depth + 1);
        return pos;
      }
      buf[pos] = Amf0Marker.Object;
      return writeProperties(buf, pos + 1, v as Amf0Object, depth + 1);
  }
}

function writeProperties(buf: Buffer, pos: number, obj: Amf0Object, depth: number): number {
  for (const key of Object.keys(obj)) {
    const k = Buffer.byteLength(key, 'utf8');
    buf.writeUInt16BE(k, pos);
    buf.write(key, pos + 2, k, 'utf8');
    pos = writeValue(buf, pos + 2 + k, obj[key], depth);
  }
  buf[pos] = 0;
  buf[pos + 1] = 0;
  buf[pos + 2] = Amf0Marker.ObjectEnd;
  return pos + 3;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** Decodes every value in `buf` up to its end. Throws Amf0Error on truncated/unknown/too deep input. */
export function decodeAmf0(buf: Buffer): Amf0Value[] {
  const r = new Reader(buf);
  const out: Amf0Value[] = [];
  while (r.pos < buf.length) out.push(r.value(0));
  return out;
}

/**
 * Decodes a single value at `offset` and returns it with the offset just past it, for callers that need
 * value boundaries (e.g. dropping `@setDataFrame` without re-encoding the rest).
 */
export function decodeAmf0Value(buf: Buffer, offset = 0): { value: Amf0Value; end: number } {
  const r = new Reader(buf);
  r.pos = offset;
  if (offset < 0 || offset >= buf.length) throw new Amf0Error(`no AMF0 value at offset ${offset}`);
  const value = r.value(0);
  return { value, end: r.pos };
}

class Reader {
  pos = 0;
  /** complex values in order of appearance, for Reference markers (spec 2.9) */
  private refs: Amf0Value[] = [];
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new Amf0Error(
        `truncated AMF0 ${what}: need ${n} bytes at offset ${this.pos}, only ${this.buf.length - this.pos} left`,
      );
    }
  }

  private u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private utf8(n: number, what: string): string {
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  value(depth: number): Amf0Value {
    this.need(1, 'type marker');
    const marker = this.buf[this.pos++];
    switch (marker) {
      case Amf0Marker.Number: {
        this.need(8, 'number');
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case Amf0Marker.Boolean:
        this.need(1, 'boolean');
        return this.buf[this.pos++] !== 0;
      case Amf0Marker.String:
        return this.utf8(this.u16('string length'), 'string');
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument:
        return this.utf8(this.u32('long string length'), 'long string');
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.Object:
        return this.properties(this.enter(depth), {});
      case Amf0Marker.TypedObject: {
        this.utf8(this.u16('class name length'), 'class name'); // the class name has no place in Amf0Value
        return this.properties(this.enter(depth), {});
      }
      case Amf0Marker.EcmaArray:
        // The count is only a hint (encoders get it wrong); the end marker terminates the list.
        this.u32('ECMA array count');
        return this.properties(this.enter(depth), {});
      case Amf0Marker.StrictArray: {
        const d = this.enter(depth);
        const count = this.u32('strict array count');
        // Each element takes at least one byte, so a forged count fails here instead of looping/allocating.
        if (count > this.buf.length - this.pos) {
          throw new Amf0Error(`truncated AMF0 strict array: ${count} elements declared, ${this.buf.length - this.pos} bytes left`);
        }
        const arr: Amf0Value[] = [];
        this.refs.push(arr);
        for (let i = 0; i < count; i++) arr.push(this.value(d));
        return arr;
      }
      case Amf0Marker.Date: {
        this.need(10, 'date');
        const ms = this.buf.readDoubleBE(this.pos);
        this.pos += 10; // the trailing s16 time-zone is reserved and ignored (spec 2.13)
        return new Date(ms);
      }
      case Amf0Marker.Reference: {
        const index = this.u16('reference');
        if (index >= this.refs.length) throw new Amf0Error(`AMF0 reference ${index} points to no earlier object`);
        return this.refs[index];
      }
      case Amf0Marker.ObjectEnd:
        throw new Amf0Error(`unexpected AMF0 object-end marker at offset ${this.pos - 1}`);
      case Amf0Marker.AvmPlusObject:
        throw new Amf0Error('AMF3 values (AVM+ marker 0x11) are not supported');
      default:
        throw new Amf0Error(`unknown AMF0 type marker 0x${marker.toString(16).padStart(2, '0')} at offset ${this.pos - 1}`);
    }
  }

  private enter(depth: number): number {
    if (depth + 1 > AMF0_MAX_DEPTH) throw new Amf0Error(`AMF0 data nested deeper than ${AMF0_MAX_DEPTH} levels`);
    return depth + 1;
  }

  /** `(u16 key, value)*` terminated by an empty key followed by the object-end marker. */
  private properties(depth: number, obj: Amf0Object): Amf0Object {
    this.refs.push(obj);
    for (;;) {
      const keyLen = this.u16('property name length');
      if (keyLen === 0) {
        this.need(1, 'object end marker');
        if (this.buf[this.pos] === Amf0Marker.ObjectEnd) {
          this.pos++;
          return obj;
        }
        // An empty property name that is not the end of the object: legal, if odd.
      }
      const key = this.utf8(keyLen, 'property name');
      const v = this.value(depth);
      if (key === '__proto__') {
        // Never let input change the prototype of the object we hand out.
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = v;
      }
    }
  }
}
