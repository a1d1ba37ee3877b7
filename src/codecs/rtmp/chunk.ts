// RTMP chunk stream, Adobe RTMP spec section 5.3 (5.3.1 chunk format: basic header, message header types
// 0-3, extended timestamp) and the two protocol control messages the chunk layer itself acts on (5.4.1 Set
// Chunk Size, 5.4.2 Abort Message). Decoding copies each payload byte at most once; encoding produces one
// contiguous Buffer per message.

export interface RtmpMessage {
  /** chunk stream id the message arrived on (2..65599) */
  csid: number;
  /** message type id (see MessageType in messages.ts) */
  type: number;
  /** message stream id */
  streamId: number;
  /** absolute timestamp, ms, wrapping at 2^32 */
  timestamp: number;
  payload: Buffer;
}

export class RtmpProtocolError extends Error {
  readonly code = 'RTMP_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'RtmpProtocolError';
  }
}

/** Chunk size both directions start with (5.4.1). */
export const RTMP_DEFAULT_CHUNK_SIZE = 128;
/** Largest chunk size the spec allows (31 bits). */
export const RTMP_SPEC_MAX_CHUNK_SIZE = 0x7fffffff;
/** Largest chunk size we accept or use: a chunk is never larger than a message, whose length has 24 bits. */
export const RTMP_MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** Default cap on one message's length. */
export const RTMP_DEFAULT_MAX_MESSAGE_SIZE = 8 * 1024 * 1024;
export const RTMP_MIN_CSID = 2;
export const RTMP_MAX_CSID = 65599;

/** Chunk message header formats (5.3.1.2). */
export enum ChunkFormat {
  /** 11 bytes: absolute timestamp, length, type, stream id */
  Full = 0,
  /** 7 bytes: timestamp delta, length, type */
  SameStream = 1,
  /** 3 bytes: timestamp delta */
  TimestampOnly = 2,
  /** 0 bytes: continuation, or a new message repeating everything incl. the delta */
  Continuation = 3,
}

const TYPE_SET_CHUNK_SIZE = 1; // MessageType.SetChunkSize (messages.ts imports this file, not vice versa)
const TYPE_ABORT = 2; // MessageType.Abort
const EXTENDED_TIMESTAMP = 0xffffff;
/** basic header (3) + type 0 message header (11) + extended timestamp (4) */
const MAX_HEADER_SIZE = 18;

/** Validates a Set Chunk Size value (ours or the peer's). */
export function checkChunkSize(size: number, who: string): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new RtmpProtocolError(`${who} chunk size ${size} is invalid: it must be at least 1`);
  }
  if (size > RTMP_SPEC_MAX_CHUNK_SIZE) {
    throw new RtmpProtocolError(`${who} chunk size ${size} is invalid: the spec maximum is ${RTMP_SPEC_MAX_CHUNK_SIZE}`);
  }
  if (size > RTMP_MAX_CHUNK_SIZE) {
    throw new RtmpProtocolError(`${who} chunk size ${size} is larger than the ${RTMP_MAX_CHUNK_SIZE} bytes this server accepts`);
  }
}

/** Per chunk stream id state: the last header (for delta formats) and the message being assembled. */
class ChunkStream {
  /** a type 0 header has been seen, so types 1-3 have something to refer to */
  started = false;
  timestamp = 0;
  /** the delta types 2/3 re-apply; after a type 0 header it is that header's timestamp (5.3.1.2.4) */
  delta = 0;
  length = 0;
  type = 0;
  streamId = 0;
  /** the last type 0/1/2 header used the extended timestamp field, so type 3 chunks carry it too */
  extended = false;
  /** a message is being assembled */
  inProgress = false;
  received = 0;
  payload: Buffer | null = null;
  constructor(readonly csid: number) {}
}

export interface ChunkDecoderOptions {
  /** longest message accepted (default 8 MiB) */
  maxMessageSize?: number;
  /**
   * cap on the sum of the lengths of all messages being assembled at once (default 4 x maxMessageSize):
   * stops a peer from opening thousands of chunk streams each announcing a large message
   */
  maxPendingBytes?: number;
  /** each complete message; payloads are subarrays of the pushed chunk when a message fits in one chunk */
  onMessage: (m: RtmpMessage) => void;
}

/**
 * Push parser for the peer's chunk stream. Pushed chunks may split anywhere and must not be reused by the
 * caller (payloads can be views into them). After an RtmpProtocolError the connection must be closed.
 */
export class ChunkDecoder {
  /** total bytes pushed, for Acknowledgement messages (the caller wraps it at 2^32) */
  bytesReceived = 0;
  /** current incoming chunk size (changed by the peer's Set Chunk Size) */
  chunkSize = RTMP_DEFAULT_CHUNK_SIZE;
  private readonly maxMessageSize: number;
  private readonly maxPendingBytes: number;
  private readonly onMessage: (m: RtmpMessage) => void;
  private readonly low: (ChunkStream | undefined)[] = new Array(64).fill(undefined);
  private readonly high = new Map<number, ChunkStream>();
  /** chunk whose payload is being read, or null when a header is expected */
  private cur: ChunkStream | null = null;
  private chunkRemaining = 0;
  private pendingBytes = 0;
  /** partial chunk header carried over between pushes */
  private readonly scratch = Buffer.allocUnsafe(MAX_HEADER_SIZE);
  private scratchLen = 0;

  constructor(opts: ChunkDecoderOptions) {
    this.maxMessageSize = opts.maxMessageSize ?? RTMP_DEFAULT_MAX_MESSAGE_SIZE;
    this.maxPendingBytes = opts.maxPendingBytes ?? this.maxMessageSize * 4;
    this.onMessage = opts.onMessage;
  }

  push(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let pos = 0;
    const end = chunk.length;
    for (;;) {
      if (this.cur === null) {
        if (pos >= end) return;
        if (this.scratchLen === 0) {
          const next = this.parseHeader(chunk, pos, end);
          if (next < 0) {
            chunk.copy(this.scratch, 0, pos, end);
            this.scratchLen = end - pos;
            return;
          }
          pos = next;
        } else {
          const had = this.scratchLen;
          const take = Math.min(MAX_HEADER_SIZE - had, end - pos);
          chunk.copy(this.scratch, had, pos, pos + take);
          const next = this.parseHeader(this.scratch, 0, had + take);
          if (next < 0) {
            this.scratchLen = had + take;
            return;
          }
          this.scratchLen = 0;
          pos += next - had;
        }
      }
      const st = this.cur as ChunkStream;
      const need = this.chunkRemaining;
      const avail = end - pos;
      if (st.payload === null) {
        if (st.received === 0 && need === st.length && avail >= need) {
          // The whole message is in this chunk: hand out a view, no copy.
          const payload = chunk.subarray(pos, pos + need);
          pos += need;
          this.cur = null;
          this.complete(st, payload);
          continue;
        }
        if (this.pendingBytes + st.length > this.maxPendingBytes) {
          throw new RtmpProtocolError(
            `too many incomplete messages at once (${this.pendingBytes + st.length} bytes pending, limit ${this.maxPendingBytes})`,
          );
        }
        this.pendingBytes += st.length;
        st.payload = Buffer.allocUnsafe(st.length);
      }
      const n = need < avail ? need : avail;
      if (n > 0) {
        chunk.copy(st.payload, st.received, pos, pos + n);
        st.received += n;
        pos += n;
        this.chunkRemaining = need - n;
      }
      if (this.chunkRemaining > 0) return; // input exhausted mid-chunk
      this.cur = null;
      if (st.received === st.length) {
        const payload = st.payload;
        this.pendingBytes -= st.length;
        this.complete(st, payload);
      }
    }
  }

  private stream(csid: number): ChunkStream | undefined {
    return csid < 64 ? this.low[csid] : this.high.get(csid);
  }

  private newStream(csid: number): ChunkStream {
    const st = new ChunkStream(csid);
    if (csid < 64) this.low[csid] = st;
    else this.high.set(csid, st);
    return st;
  }

  /**
   * Parses one chunk header at b[pos..end). Returns the position after it, or -1 if incomplete (nothing is
   * changed then). On success the chunk stream state is updated and `cur`/`chunkRemaining` set.
   */
  private parseHeader(b: Buffer, pos: number, end: number): number {
    const b0 = b[pos];
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let p = pos + 1;
    if (csid === 0) {
      if (p + 1 > end) return -1;
      csid = 64 + b[p];
      p += 1;
    } else if (csid === 1) {
      if (p + 2 > end) return -1;
      csid = 64 + b[p] + (b[p + 1] << 8);
      p += 2;
    }
    let st = this.stream(csid);
    if (fmt !== ChunkFormat.Full && (st === undefined || !st.started)) {
      throw new RtmpProtocolError(`chunk of type ${fmt} on chunk stream ${csid}, which never had a type 0 header`);
    }
    if (fmt === ChunkFormat.Continuation) {
      const s = st as ChunkStream;
      if (s.extended) {
        if (p + 4 > end) return -1;
        p += 4; // repeats the last extended value; the spec leaves nothing to take from it
      }
      if (!s.inProgress) this.startMessage(s, (s.timestamp + s.delta) >>> 0);
      this.cur = s;
      this.chunkRemaining = Math.min(this.chunkSize, s.length - s.received);
      return p;
    }
    const hlen = fmt === ChunkFormat.Full ? 11 : fmt === ChunkFormat.SameStream ? 7 : 3;
    if (p + hlen > end) return -1;
    let ts = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    const extended = ts === EXTENDED_TIMESTAMP;
    if (extended) {
      if (p + hlen + 4 > end) return -1;
      ts = b.readUInt32BE(p + hlen);
    }
    if (st === undefined) st = this.newStream(csid);
    if (st.inProgress) {
      throw new RtmpProtocolError(
        `new message header on chunk stream ${csid} while a message is incomplete (${st.received} of ${st.length} bytes)`,
      );
    }
    if (fmt !== ChunkFormat.TimestampOnly) {
      const length = (b[p + 3] << 16) | (b[p + 4] << 8) | b[p + 5];
      if (length > this.maxMessageSize) {
        throw new RtmpProtocolError(`message of ${length} bytes on chunk stream ${csid} exceeds the limit of ${this.maxMessageSize}`);
      }
      st.length = length;
      st.type = b[p + 6];
      if (fmt === ChunkFormat.Full) st.streamId = b.readUInt32LE(p + 7);
    }
    st.extended = extended;
    st.delta = ts;
    if (fmt === ChunkFormat.Full) {
      st.started = true;
      this.startMessage(st, ts);
    } else {
      this.startMessage(st, (st.timestamp + ts) >>> 0);
    }
    this.cur = st;
    this.chunkRemaining = Math.min(this.chunkSize, st.length);
    return p + hlen + (extended ? 4 : 0);
  }

  private startMessage(st: ChunkStream, timestamp: number): void {
    st.timestamp = timestamp;
    st.inProgress = true;
    st.received = 0;
    st.payload = null;
  }

  private complete(st: ChunkStream, payload: Buffer): void {
    st.inProgress = false;
    st.payload = null;
    st.received = 0;
    const type = st.type;
    if (type === TYPE_SET_CHUNK_SIZE) {
      if (payload.length < 4) throw new RtmpProtocolError(`Set Chunk Size message of ${payload.length} bytes, need 4`);
      const size = payload.readUInt32BE(0);
      checkChunkSize(size, 'peer');
      this.chunkSize = size;
    } else if (type === TYPE_ABORT) {
      if (payload.length < 4) throw new RtmpProtocolError(`Abort message of ${payload.length} bytes, need 4`);
      this.abort(payload.readUInt32BE(0));
    }
    this.onMessage({ csid: st.csid, type, streamId: st.streamId, timestamp: st.timestamp, payload });
  }

  /** Drops the partial message of `csid` (5.4.2). Unknown or idle chunk streams are ignored. */
  private abort(csid: number): void {
    const st = csid <= RTMP_MAX_CSID ? this.stream(csid) : undefined;
    if (st === undefined || !st.inProgress) return;
    if (st.payload !== null) this.pendingBytes -= st.length;
    st.inProgress = false;
    st.payload = null;
    st.received = 0;
  }
}

/** Size of the basic header for a chunk stream id (5.3.1.1). */
function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

function writeBasicHeader(buf: Buffer, pos: number, fmt: ChunkFormat, csid: number): number {
  if (csid < 64) {
    buf[pos] = (fmt << 6) | csid;
    return pos + 1;
  }
  if (csid < 320) {
    buf[pos] = fmt << 6;
    buf[pos + 1] = csid - 64;
    return pos + 2;
  }
  const v = csid - 64;
  buf[pos] = (fmt << 6) | 1;
  buf[pos + 1] = v & 0xff;
  buf[pos + 2] = v >> 8;
  return pos + 3;
}

/**
 * Chunks outgoing messages: a type 0 header on the first chunk, type 3 on the rest, the extended timestamp
 * on every chunk when the timestamp needs it. One Buffer allocation per message.
 */
export class ChunkEncoder {
  private size = RTMP_DEFAULT_CHUNK_SIZE;

  /** Outgoing chunk size; change it only right after sending Set Chunk Size with the same value. */
  get chunkSize(): number {
    return this.size;
  }

  set chunkSize(n: number) {
    checkChunkSize(n, 'outgoing');
    this.size = n;
  }

  /** Chunks a message whose payload is `payload` (or the concatenation of the parts, `payloadLength` bytes). */
  encode(
    csid: number,
    type: number,
    streamId: number,
    timestamp: number,
    payload: Buffer[] | Buffer,
    payloadLength?: number,
  ): Buffer {
    if (Buffer.isBuffer(payload)) return this.build(csid, type, streamId, timestamp, null, 0, payload, null, payload.length);
    let total = 0;
    for (let i = 0; i < payload.length; i++) total += payload[i].length;
    if (payloadLength !== undefined && payloadLength !== total) {
      throw new RtmpProtocolError(`payloadLength ${payloadLength} does not match the ${total} bytes of the payload parts`);
    }
    return this.build(csid, type, streamId, timestamp, null, 0, null, payload, total);
  }

  /**
   * Chunks `prefix[0..prefixLength) + data` without concatenating them first, e.g. an FLV body prefix
   * written by writeFlvBodyPrefix into a reusable scratch Buffer followed by frame.data.
   */
  encodeWithPrefix(
    csid: number,
    type: number,
    streamId: number,
    timestamp: number,
    prefix: Buffer | null,
    prefixLength: number,
    data: Buffer,
  ): Buffer {
    if (prefix === null) prefixLength = 0;
    else if (prefixLength > prefix.length || prefixLength < 0) {
      throw new RtmpProtocolError(`prefixLength ${prefixLength} is outside the ${prefix.length}-byte prefix buffer`);
    }
    return this.build(csid, type, streamId, timestamp, prefix, prefixLength, data, null, prefixLength + data.length);
  }

  /** Total output size for a message, e.g. to size a batch. */
  encodedLength(csid: number, timestamp: number, payloadLength: number): number {
    const chunks = payloadLength === 0 ? 1 : Math.ceil(payloadLength / this.size);
    const ext = (Math.round(timestamp) >>> 0) >= EXTENDED_TIMESTAMP ? 4 : 0;
    return 11 + chunks * (basicHeaderSize(csid) + ext) + payloadLength;
  }

  private build(
    csid: number,
    type: number,
    streamId: number,
    timestamp: number,
    prefix: Buffer | null,
    prefixLength: number,
    single: Buffer | null,
    parts: Buffer[] | null,
    length: number,
  ): Buffer {
    if (!(csid >= RTMP_MIN_CSID && csid <= RTMP_MAX_CSID) || !Number.isInteger(csid)) {
      throw new RtmpProtocolError(`chunk stream id ${csid} is outside ${RTMP_MIN_CSID}..${RTMP_MAX_CSID}`);
    }
    if (length > 0xffffff) throw new RtmpProtocolError(`message of ${length} bytes exceeds the 24-bit RTMP length field`);
    const ts = Math.round(timestamp) >>> 0;
    const extended = ts >= EXTENDED_TIMESTAMP;
    const out = Buffer.allocUnsafe(this.encodedLength(csid, ts, length));
    let pos = writeBasicHeader(out, 0, ChunkFormat.Full, csid);
    const tsField = extended ? EXTENDED_TIMESTAMP : ts;
    out[pos] = tsField >> 16;
    out[pos + 1] = (tsField >> 8) & 0xff;
    out[pos + 2] = tsField & 0xff;
    out[pos + 3] = length >> 16;
    out[pos + 4] = (length >> 8) & 0xff;
    out[pos + 5] = length & 0xff;
    out[pos + 6] = type;
    out.writeUInt32LE(streamId >>> 0, pos + 7);
    pos += 11;
    if (extended) {
      out.writeUInt32BE(ts, pos);
      pos += 4;
    }
    // Source cursor: the prefix, then `single` or each of `parts`.
    let srcIndex = prefixLength > 0 ? -1 : 0;
    let srcOffset = 0;
    let remaining = length;
    let first = true;
    const size = this.size;
    while (remaining > 0 || first) {
      if (!first) {
        pos = writeBasicHeader(out, pos, ChunkFormat.Continuation, csid);
        if (extended) {
          out.writeUInt32BE(ts, pos);
          pos += 4;
        }
      }
      first = false;
      let n = remaining < size ? remaining : size;
      remaining -= n;
      while (n > 0) {
        let src: Buffer;
        let srcEnd: number;
        if (srcIndex < 0) {
          src = prefix as Buffer;
          srcEnd = prefixLength;
        } else if (single !== null) {
          src = single;
          srcEnd = single.length;
        } else {
          src = (parts as Buffer[])[srcIndex];
          srcEnd = src.length;
        }
        const take = srcEnd - srcOffset < n ? srcEnd - srcOffset : n;
        if (take > 0) {
          src.copy(out, pos, srcOffset, srcOffset + take);
          pos += take;
          srcOffset += take;
          n -= take;
        }
        if (srcOffset === srcEnd) {
          srcIndex++;
          srcOffset = 0;
        }
      }
    }
    return out;
  }
}
