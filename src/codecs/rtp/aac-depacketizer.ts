// AAC RTP depacketizer, RFC 3640 (mpeg4-generic): the fmtp parameters (3640 section 4.1: mode, config,
// sizeLength, indexLength, ...), the AU header section (3.2.1), the auxiliary section (3.2.2) and the access
// units (3.2.3), including an AU fragmented over several packets (3.2.3.1, marker on the last). AAC-hbr
// (sizeLength 13) is what cameras send; AAC-lbr and other header layouts work through the same fields.
// Packets must arrive in order (see RtpReorder); a lost fragment drops its AU. Pure: packets in, AUs out.
import { CodecError } from '../codec-error.js';

/** The fmtp of an m=audio mpeg4-generic track, as RFC 3640 4.1 names them (lengths in bits). */
export interface Mpeg4GenericParams {
  /** 'AAC-hbr', 'AAC-lbr', 'generic', ... as written */
  mode: string;
  /** the AudioSpecificConfig (fmtp config=, hex) */
  config: Buffer;
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
  ctsDeltaLength: number;
  dtsDeltaLength: number;
  randomAccessIndication: boolean;
  streamStateIndication: number;
  auxiliaryDataSizeLength: number;
}

const MAX_FIELD_BITS = 32;

/** Reads the fmtp of an mpeg4-generic track; throws CodecError when it cannot carry AAC. */
export function parseMpeg4GenericFmtp(params: ReadonlyMap<string, string>): Mpeg4GenericParams {
  const num = (name: string): number => {
    const v = params.get(name.toLowerCase());
    if (v === undefined || v === '') return 0;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > MAX_FIELD_BITS) throw new CodecError('CODEC_INVALID', `mpeg4-generic ${name}=${v} is not a number of bits from 0 to ${MAX_FIELD_BITS}`);
    return n;
  };
  const hex = params.get('config') ?? '';
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new CodecError('CODEC_INVALID', `mpeg4-generic has no AudioSpecificConfig (config=${JSON.stringify(hex)}): the camera's SDP is incomplete`);
  const out: Mpeg4GenericParams = {
    mode: params.get('mode') ?? '',
    config: Buffer.from(hex, 'hex'),
    sizeLength: num('sizeLength'),
    indexLength: num('indexLength'),
    indexDeltaLength: num('indexDeltaLength'),
    ctsDeltaLength: num('CTSDeltaLength'),
    dtsDeltaLength: num('DTSDeltaLength'),
    randomAccessIndication: params.get('randomaccessindication') === '1',
    streamStateIndication: num('streamStateIndication'),
    auxiliaryDataSizeLength: num('auxiliaryDataSizeLength'),
  };
  if (out.sizeLength === 0) throw new CodecError('CODEC_UNSUPPORTED', `mpeg4-generic mode ${out.mode || '(none)'} without sizeLength (constant-size AUs) is not supported`);
  return out;
}

/** One AAC access unit: a raw AAC frame (no ADTS) and its RTP timestamp. */
export interface AacAccessUnit {
  timestamp: number;
  data: Buffer;
}

export interface AacDepacketizerStats {
  frames: number;
  /** packets that could not be read, and fragments that lost their start */
  badPackets: number;
}

export interface AacDepacketizerOptions {
  params: Mpeg4GenericParams;
  onFrame(au: AacAccessUnit): void;
  /** samples per AU, the RTP timestamp step between AUs of one packet (1024 for AAC LC, HE-AAC core) */
  samplesPerFrame?: number;
}

/** MSB-first bit reader that says when it runs out instead of throwing. */
class Bits {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
  ) {}
  read(n: number): number | null {
    if (n === 0) return 0;
    if (this.pos + n > this.end) return null;
    let v = 0;
    for (let i = 0; i < n; i++) {
      v = v * 2 + ((this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
}

interface AuHeader {
  size: number;
  index: number;
}

/** Reads the AU header section: the headers, and the byte offset where the next section starts; null if malformed. */
export function readAuHeaders(p: Buffer, params: Mpeg4GenericParams): { headers: AuHeader[]; next: number } | null {
  if (p.length < 2) return null;
  const bits = p.readUInt16BE(0);
  const bytes = Math.ceil(bits / 8);
  if (2 + bytes > p.length) return null;
  const r = new Bits(p.subarray(2, 2 + bytes), bits);
  const headers: AuHeader[] = [];
  let consumed = 0;
  const perFirst = params.sizeLength + params.indexLength;
  if (perFirst === 0) return null;
  while (consumed < bits) {
    const first = headers.length === 0;
    const start = consumed;
    const size = r.read(params.sizeLength);
    const index = r.read(first ? params.indexLength : params.indexDeltaLength);
    if (size === null || index === null) return null;
    let extra = 0;
    // CTS-flag + CTS-delta, DTS-flag + DTS-delta (the first header's CTS-flag is 0, but present: 3.2.1.1).
    for (const len of [params.ctsDeltaLength, params.dtsDeltaLength]) {
      if (len === 0) continue;
      const flag = r.read(1);
      if (flag === null || (flag === 1 && r.read(len) === null)) return null;
      extra += 1 + (flag === 1 ? len : 0);
    }
    if (params.randomAccessIndication) {
      if (r.read(1) === null) return null;
      extra += 1;
    }
    if (params.streamStateIndication > 0) {
      if (r.read(params.streamStateIndication) === null) return null;
      extra += params.streamStateIndication;
    }
    consumed = start + params.sizeLength + (first ? params.indexLength : params.indexDeltaLength) + extra;
    headers.push({ size, index });
    if (headers.length > 4096) return null;
  }
  if (consumed !== bits) return null;
  let next = 2 + bytes;
  if (params.auxiliaryDataSizeLength > 0) {
    // The auxiliary section: its size in bits, then the data, padded to a byte (3.2.2).
    const ar = new Bits(p.subarray(next), (p.length - next) * 8);
    const auxBits = ar.read(params.auxiliaryDataSizeLength);
    if (auxBits === null) return null;
    next += Math.ceil((params.auxiliaryDataSizeLength + auxBits) / 8);
    if (next > p.length) return null;
  }
  return { headers, next };
}

/** The most bytes of one fragmented AU (an AAC frame is far smaller; this bounds a bad sender). */
const MAX_AU_BYTES = 1 << 16;

export class AacDepacketizer {
  readonly stats: AacDepacketizerStats = { frames: 0, badPackets: 0 };
  private readonly step: number;
  /** a fragmented AU being put together: its size, timestamp and the parts so far */
  private frag: { size: number; timestamp: number; parts: Buffer[]; have: number } | null = null;

  constructor(private readonly opts: AacDepacketizerOptions) {
    this.step = opts.samplesPerFrame ?? 1024;
  }

  /** One packet, in sequence order; `lost` says packets are missing before it (a fragment in progress is dropped). */
  push(pkt: { timestamp: number; marker: boolean; payload: Buffer }, lost = false): void {
    if (lost && this.frag) {
      this.frag = null;
      this.stats.badPackets++;
    }
    const h = readAuHeaders(pkt.payload, this.opts.params);
    if (!h || h.headers.length === 0) {
      this.stats.badPackets++;
      this.frag = null;
      return;
    }
    const data = pkt.payload.subarray(h.next);
    if (this.frag) {
      // A continuation: one AU header whose size is the whole AU's (3.2.3.1).
      const f = this.frag;
      if (h.headers.length !== 1 || h.headers[0]!.size !== f.size || pkt.timestamp !== f.timestamp || f.have + data.length > f.size) {
        this.frag = null;
        this.stats.badPackets++;
        return this.push(pkt); // it may be a new packet of whole AUs
      }
      f.parts.push(data);
      f.have += data.length;
      if (f.have === f.size) {
        this.frag = null;
        this.emit(pkt.timestamp, Buffer.concat(f.parts));
      } else if (pkt.marker) {
        this.frag = null;
        this.stats.badPackets++;
      }
      return;
    }
    if (h.headers.length === 1 && h.headers[0]!.size > data.length) {
      const size = h.headers[0]!.size;
      if (pkt.marker || size > MAX_AU_BYTES) {
        this.stats.badPackets++;
        return;
      }
      this.frag = { size, timestamp: pkt.timestamp, parts: [Buffer.from(data)], have: data.length };
      return;
    }
    let o = 0;
    const total = h.headers.reduce((n, x) => n + x.size, 0);
    if (total > data.length) {
      this.stats.badPackets++;
      return;
    }
    for (const [i, x] of h.headers.entries()) {
      if (x.size > 0) this.emit((pkt.timestamp + i * this.step) >>> 0, data.subarray(o, o + x.size));
      o += x.size;
    }
  }

  private emit(timestamp: number, data: Buffer): void {
    this.stats.frames++;
    this.opts.onFrame({ timestamp, data });
  }
}
