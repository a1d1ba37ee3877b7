// H.265 RTP depacketizer, RFC 7798: single NAL unit packets (4.4.1), aggregation packets (AP, 4.4.2) and
// fragmentation units (FU, 4.4.3) are reassembled into access units by the shared AccessUnitDepacketizer
// (reordering, loss, keyframe requests). Without sprop-max-don-diff (what cameras send) there is no DONL
// field; PACI packets (type 50) are not used by cameras and are refused. Pure: packets in, access units out.
import { HevcNalType, isHevcKeyframe } from '../h265.js';
import { AccessUnitDepacketizer, type AccessUnit, type DepacketizerOptions, type NalPayloadFormat, type RtpIn } from './access-unit-depacketizer.js';

/** The RTP payload types of RFC 7798 beyond the NAL unit types (48..50). */
export enum H265RtpType {
  Ap = 48,
  Fu = 49,
  Paci = 50,
}

export type H265AccessUnit = AccessUnit;

const nalType = (b0: number): number => (b0 >> 1) & 0x3f;

/** True when a payload starts an access unit: parameter sets, AUD, prefix SEI, or the first slice of a picture. */
export function beginsHevcPicture(payload: Buffer): boolean {
  if (payload.length < 3) return false;
  const type = nalType(payload[0]!);
  if (type === H265RtpType.Ap) return payload.length >= 5 && beginsWithNal(nalType(payload[4]!), payload[6]);
  if (type === H265RtpType.Fu) {
    if ((payload[2]! & 0x80) === 0) return false;
    return beginsWithNal(payload[2]! & 0x3f, payload[3]);
  }
  return beginsWithNal(type, payload[2]);
}

function beginsWithNal(type: number, afterHeader: number | undefined): boolean {
  if (type === HevcNalType.VPS || type === HevcNalType.SPS || type === HevcNalType.PPS || type === HevcNalType.AUD || type === HevcNalType.PREFIX_SEI) return true;
  // A VCL NAL unit whose first_slice_segment_in_pic_flag (the first bit after the 2-byte header) is set.
  if (type <= 31) return afterHeader !== undefined && (afterHeader & 0x80) !== 0;
  return false;
}

/** The NAL units of one access unit's packets, or null when they are malformed or incomplete. */
export function assembleHevc(pkts: readonly RtpIn[]): Buffer[] | null {
  const out: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const { payload: p } of pkts) {
    if (p.length === 0) continue;
    if (p.length < 3 || (p[0]! & 0x80) !== 0) return null; // the forbidden_zero_bit is set
    const type = nalType(p[0]!);
    if (type < H265RtpType.Ap) {
      if (fu) return null;
      out.push(p);
    } else if (type === H265RtpType.Ap) {
      if (fu) return null;
      let o = 2;
      while (o < p.length) {
        if (o + 2 > p.length) return null;
        const len = p.readUInt16BE(o);
        o += 2;
        if (len < 2 || o + len > p.length) return null;
        out.push(p.subarray(o, o + len));
        o += len;
      }
    } else if (type === H265RtpType.Fu) {
      const start = (p[2]! & 0x80) !== 0;
      const end = (p[2]! & 0x40) !== 0;
      if (start && end) return null; // RFC 7798 4.4.3: S and E must not both be set
      if (start) {
        if (fu) return null;
        const header = Buffer.from([(p[0]! & 0x81) | ((p[2]! & 0x3f) << 1), p[1]!]);
        fu = [header, p.subarray(3)];
      } else {
        if (!fu) return null;
        fu.push(p.subarray(3));
      }
      if (end) {
        out.push(Buffer.concat(fu));
        fu = null;
      }
    } else {
      return null; // PACI and the reserved types
    }
  }
  if (fu) return null;
  return out.length > 0 ? out : null;
}

/** RFC 7798's payload format, for the shared depacketizer. */
export const H265_PAYLOAD: NalPayloadFormat = {
  beginsPicture: beginsHevcPicture,
  assemble: assembleHevc,
  keyframe: (nalus) => nalus.some((n) => isHevcKeyframe(nalType(n[0]!))),
};

export class H265Depacketizer extends AccessUnitDepacketizer {
  constructor(opts: DepacketizerOptions) {
    super(H265_PAYLOAD, opts);
  }
}
