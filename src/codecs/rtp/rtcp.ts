// RTCP, RFC 3550 section 6: what an RTSP client reads and sends. It reads sender reports (6.4.1: the NTP time
// of an RTP timestamp, which aligns the tracks of one camera) out of a compound packet, and writes receiver
// reports (6.4.2) so that senders that watch for them keep the session. Pure: bytes in, objects out.

export enum RtcpType {
  SenderReport = 200,
  ReceiverReport = 201,
  SourceDescription = 202,
  Bye = 203,
}

export interface SenderReport {
  ssrc: number;
  /** the NTP timestamp as ms since 1900 (fractions kept) */
  ntpMs: number;
  /** the RTP timestamp of the same instant */
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

/** The sender reports in a compound RTCP packet (the other packets are skipped); [] when it is malformed. */
export function parseSenderReports(buf: Buffer): SenderReport[] {
  const out: SenderReport[] = [];
  let o = 0;
  while (o + 4 <= buf.length) {
    if (buf[o]! >> 6 !== 2) return out;
    const type = buf[o + 1]!;
    const len = (buf.readUInt16BE(o + 2) + 1) * 4;
    if (o + len > buf.length) return out;
    if (type === RtcpType.SenderReport && len >= 28) {
      const sec = buf.readUInt32BE(o + 8);
      const frac = buf.readUInt32BE(o + 12);
      out.push({
        ssrc: buf.readUInt32BE(o + 4),
        ntpMs: sec * 1000 + (frac / 0x100000000) * 1000,
        rtpTimestamp: buf.readUInt32BE(o + 16),
        packets: buf.readUInt32BE(o + 20),
        octets: buf.readUInt32BE(o + 24),
      });
    }
    o += len;
  }
  return out;
}

/** The 32 middle bits of an NTP timestamp in ms (the "LSR" field of a report block). */
export function ntpMiddle(ntpMs: number): number {
  const sec = Math.floor(ntpMs / 1000);
  const frac = Math.floor(((ntpMs - sec * 1000) / 1000) * 0x10000);
  return ((sec & 0xffff) * 0x10000 + frac) >>> 0;
}

export interface ReportBlock {
  ssrc: number;
  /** highest sequence number received, extended with the wrap count */
  highestSeq: number;
  /** packets lost in total (clamped to 24 bits) */
  lost: number;
  /** the LSR of the last sender report (0 when none) */
  lastSr: number;
  /** delay since that report, 1/65536 s */
  delaySinceLastSr: number;
}

/** A receiver report from `ssrc` with one report block (or none). */
export function buildReceiverReport(ssrc: number, block?: ReportBlock): Buffer {
  const out = Buffer.alloc(block ? 32 : 8);
  out[0] = 0x80 | (block ? 1 : 0);
  out[1] = RtcpType.ReceiverReport;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  if (block) {
    out.writeUInt32BE(block.ssrc >>> 0, 8);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, block.lost));
    out.writeUInt32BE((lost & 0xffffff) >>> 0, 12); // fraction lost 0
    out.writeUInt32BE(block.highestSeq >>> 0, 16);
    out.writeUInt32BE(0, 20); // jitter
    out.writeUInt32BE(block.lastSr >>> 0, 24);
    out.writeUInt32BE(block.delaySinceLastSr >>> 0, 28);
  }
  return out;
}
