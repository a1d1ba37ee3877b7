// H.264 RTP payload format, RFC 6184, packetization-mode 1 (non-interleaved): single NAL unit packets,
// STAP-A (5.7.1) for the parameter sets ahead of each keyframe, FU-A (5.8) for NAL units larger than the
// payload budget. Pure: one access unit's NAL units in, RTP payloads out.
import { BitReader, removeEmulationPrevention } from '../bit-reader.js';
import { NalUnitType } from '../h264.js';

/** RFC 6184 NAL unit types used by the payload format itself. */
export enum H264RtpType {
  StapA = 24,
  StapB = 25,
  Mtap16 = 26,
  Mtap24 = 27,
  FuA = 28,
  FuB = 29,
}

/** Default payload budget: 1200 bytes keeps RTP + SRTP + UDP + IP well under a 1500-byte MTU (SRS uses it). */
export const DEFAULT_RTP_PAYLOAD_SIZE = 1200;

export interface RtpPayload {
  payload: Buffer;
  /** the last packet of the access unit (RTP marker bit) */
  marker: boolean;
}

export interface H264PacketizeOptions {
  /** largest payload, bytes (default 1200) */
  maxPayload?: number;
  /** the access unit is a random access point: SPS and PPS go first, in one STAP-A */
  keyframe: boolean;
  /** parameter sets to send ahead of a keyframe when the access unit does not carry them */
  sps?: readonly Buffer[];
  pps?: readonly Buffer[];
}

/** NAL units a WebRTC receiver does not need: access unit delimiters, end of sequence/stream, filler. */
function isDropped(type: number): boolean {
  return (
    type === NalUnitType.AUD ||
    type === NalUnitType.EndOfSequence ||
    type === NalUnitType.EndOfStream ||
    type === NalUnitType.Filler
  );
}

/**
 * Packetizes one access unit. NAL units are given without start codes or length prefixes. On a keyframe
 * the SPS/PPS (from the access unit, else from `sps`/`pps`) are sent first, aggregated in one STAP-A when
 * they fit; other NAL units are sent whole when they fit and as FU-A fragments otherwise.
 */
export function packetizeH264(nalus: readonly Buffer[], opts: H264PacketizeOptions): RtpPayload[] {
  const max = opts.maxPayload ?? DEFAULT_RTP_PAYLOAD_SIZE;
  if (max < 16) throw new RangeError(`RTP payload size ${max} is too small`);
  const params: Buffer[] = [];
  const rest: Buffer[] = [];
  for (const n of nalus) {
    if (n.length === 0) continue;
    const t = n[0]! & 0x1f;
    if (isDropped(t)) continue;
    if (t === NalUnitType.SPS || t === NalUnitType.PPS) params.push(n);
    else rest.push(n);
  }
  if (opts.keyframe && params.length === 0) {
    for (const s of opts.sps ?? []) params.push(s);
    for (const p of opts.pps ?? []) params.push(p);
  }
  const out: RtpPayload[] = [];
  if (params.length > 0) {
    const stap = stapA(params, max);
    if (stap) out.push({ payload: stap, marker: false });
    else for (const p of params) pushNal(out, p, max);
  }
  for (const n of rest) pushNal(out, n, max);
  if (out.length > 0) out[out.length - 1]!.marker = true;
  return out;
}

/** One STAP-A holding all `nalus`, or null when they do not fit in `max` bytes. */
export function stapA(nalus: readonly Buffer[], max: number): Buffer | null {
  let size = 1;
  let nri = 0;
  for (const n of nalus) {
    if (n.length > 0xffff) return null;
    size += 2 + n.length;
    nri = Math.max(nri, n[0]! & 0x60);
  }
  if (size > max) return null;
  const buf = Buffer.allocUnsafe(size);
  buf[0] = nri | H264RtpType.StapA;
  let p = 1;
  for (const n of nalus) {
    buf.writeUInt16BE(n.length, p);
    n.copy(buf, p + 2);
    p += 2 + n.length;
  }
  return buf;
}

function pushNal(out: RtpPayload[], nal: Buffer, max: number): void {
  if (nal.length <= max) {
    out.push({ payload: nal, marker: false });
    return;
  }
  // FU-A: the NAL header is replaced by the FU indicator (F/NRI of the NAL, type 28) and the FU header
  // (S/E bits + the NAL type); fragments carry the NAL's payload bytes.
  const indicator = (nal[0]! & 0xe0) | H264RtpType.FuA;
  const type = nal[0]! & 0x1f;
  const chunk = max - 2;
  for (let p = 1; p < nal.length; p += chunk) {
    const end = Math.min(p + chunk, nal.length);
    const buf = Buffer.allocUnsafe(2 + end - p);
    buf[0] = indicator;
    buf[1] = (p === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    nal.copy(buf, 2, p, end);
    out.push({ payload: buf, marker: false });
  }
}

/** slice_type of a slice NAL unit (14496-10 7.4.3, 0..4 with the +5 "all slices alike" forms folded), or -1. */
export function sliceType(nal: Buffer): number {
  const t = nal[0]! & 0x1f;
  if (t !== NalUnitType.NonIdr && t !== NalUnitType.IDR) return -1;
  try {
    const r = new BitReader(removeEmulationPrevention(nal.subarray(1, 9)), 'slice header');
    r.readUE(); // first_mb_in_slice
    return r.readUE() % 5;
  } catch {
    return -1;
  }
}

/**
 * True when an access unit is a B picture (its first slice is a B slice). Browsers' WebRTC H.264 decoders
 * do not reorder frames, so B pictures are left out for WebRTC viewers (SRS's keep_bframe off); P pictures
 * never reference them.
 */
export function isBPicture(nalus: readonly Buffer[]): boolean {
  for (const n of nalus) {
    const st = sliceType(n);
    if (st >= 0) return st === 1;
  }
  return false;
}
