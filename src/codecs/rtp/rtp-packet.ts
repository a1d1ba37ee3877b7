// RTP fixed header, RFC 3550 section 5.1: read and write the 12-byte header (plus CSRCs and the header
// extension when reading). Pure: bytes in, objects out.

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;

/** The fields of an RTP packet this server reads or writes. */
export interface RtpPacketFields {
  payloadType: number;
  sequenceNumber: number;
  /** media clock units (90 kHz video, 48 kHz Opus) */
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

/** Writes a packet with a 12-byte header (no CSRC, no extension, no padding). */
export function serializeRtp(p: RtpPacketFields): Buffer {
  const buf = Buffer.allocUnsafe(RTP_HEADER_SIZE + p.payload.length);
  buf[0] = RTP_VERSION << 6;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  p.payload.copy(buf, RTP_HEADER_SIZE);
  return buf;
}

/**
 * Reads an RTP packet; the payload is a subarray of `buf` with CSRCs, the header extension and padding
 * removed. Returns null when the bytes are not a well-formed RTP version 2 packet.
 */
export function parseRtp(buf: Buffer): RtpPacketFields | null {
  if (buf.length < RTP_HEADER_SIZE || buf[0]! >> 6 !== RTP_VERSION) return null;
  const padding = (buf[0]! & 0x20) !== 0;
  const extension = (buf[0]! & 0x10) !== 0;
  const csrcCount = buf[0]! & 0x0f;
  let offset = RTP_HEADER_SIZE + csrcCount * 4;
  if (extension) {
    if (offset + 4 > buf.length) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (padding) {
    const pad = buf[buf.length - 1]!;
    if (pad === 0) return null;
    end -= pad;
  }
  if (offset > end) return null;
  return {
    payloadType: buf[1]! & 0x7f,
    marker: (buf[1]! & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/** a - b for 16-bit sequence numbers, in -32768..32767 (RFC 3550 appendix A.1 style wrap handling). */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** Extends 32-bit RTP timestamps to a monotonic-ish number line across wraps. */
export class TimestampUnwrapper {
  private last: number | null = null;
  private high = 0;

  unwrap(ts: number): number {
    ts >>>= 0;
    if (this.last !== null) {
      const d = ts - this.last;
      if (d < -0x80000000) this.high += 0x100000000;
      else if (d > 0x80000000) this.high -= 0x100000000;
    }
    this.last = ts;
    return ts + this.high;
  }
}
