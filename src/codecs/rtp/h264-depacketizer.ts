// H.264 RTP depacketizer, RFC 6184 packetization-mode 1: single NAL unit packets, STAP-A and FU-A are
// reassembled into access units by the shared AccessUnitDepacketizer (reordering, loss, keyframe requests).
// Pure: packets and the arrival time in, access units out.
import { NalUnitType } from '../h264.js';
import { H264RtpType } from './h264-packetizer.js';
import {
  AccessUnitDepacketizer,
  type AccessUnit,
  type DepacketizerOptions,
  type DepacketizerStats,
  type NalPayloadFormat,
  type RtpIn,
} from './access-unit-depacketizer.js';

export type { RtpIn } from './access-unit-depacketizer.js';
export type H264AccessUnit = AccessUnit;
export type H264DepacketizerOptions = DepacketizerOptions;
export type H264DepacketizerStats = DepacketizerStats;

/** RFC 6184's payload format, for the shared depacketizer. */
export const H264_PAYLOAD: NalPayloadFormat = {
  beginsPicture: (p) => beginsPicture(p),
  assemble: (pkts) => assemble(pkts),
  keyframe: (nalus) => nalus.some((n) => (n[0]! & 0x1f) === NalUnitType.IDR),
};

export class H264Depacketizer extends AccessUnitDepacketizer {
  constructor(opts: H264DepacketizerOptions) {
    super(H264_PAYLOAD, opts);
  }
}

/** True when a payload starts an access unit: parameter sets, SEI, AUD, or the first slice of a picture. */
export function beginsPicture(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const type = payload[0]! & 0x1f;
  if (type === H264RtpType.StapA) return payload.length >= 4 && beginsWithNal(payload[3]!, payload[4]);
  if (type === H264RtpType.FuA) {
    if ((payload[1]! & 0x80) === 0) return false;
    return beginsWithNal(payload[1]! & 0x1f, payload[2]);
  }
  return beginsWithNal(type, payload[1]);
}

function beginsWithNal(headerOrType: number, next: number | undefined): boolean {
  const type = headerOrType & 0x1f;
  if (type === NalUnitType.SPS || type === NalUnitType.PPS || type === NalUnitType.SEI || type === NalUnitType.AUD) return true;
  // A slice whose first_mb_in_slice is 0 (ue(v) "1" bit first) starts a picture.
  if (type === NalUnitType.IDR || type === NalUnitType.NonIdr) return next !== undefined && (next & 0x80) !== 0;
  return false;
}

/** The NAL units of one access unit's packets, or null when they are malformed or incomplete. */
export function assemble(pkts: readonly RtpIn[]): Buffer[] | null {
  const out: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const { payload: p } of pkts) {
    if (p.length === 0) continue;
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      if (fu) return null;
      out.push(p);
    } else if (type === H264RtpType.StapA) {
      if (fu) return null;
      let o = 1;
      while (o < p.length) {
        if (o + 2 > p.length) return null;
        const len = p.readUInt16BE(o);
        o += 2;
        if (len === 0 || o + len > p.length) return null;
        out.push(p.subarray(o, o + len));
        o += len;
      }
    } else if (type === H264RtpType.FuA) {
      if (p.length < 2) return null;
      const start = (p[1]! & 0x80) !== 0;
      const end = (p[1]! & 0x40) !== 0;
      if (start) {
        if (fu) return null;
        fu = [Buffer.from([(p[0]! & 0xe0) | (p[1]! & 0x1f)]), p.subarray(2)];
      } else {
        if (!fu) return null;
        fu.push(p.subarray(2));
      }
      if (end) {
        out.push(Buffer.concat(fu));
        fu = null;
      }
    } else {
      return null; // STAP-B, MTAP, FU-B: not in packetization-mode 1
    }
  }
  if (fu) return null;
  return out.length > 0 ? out : null;
}
