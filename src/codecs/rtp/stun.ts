// Just enough STUN (RFC 8489) to demultiplex one UDP port between WebRTC sessions: recognise a STUN
// message (RFC 7983 first-byte ranges), read its USERNAME, and check its MESSAGE-INTEGRITY with the ICE
// password. The ICE agent itself (werift) answers the binding requests.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const STUN_HEADER_SIZE = 20;
export const STUN_MAGIC_COOKIE = 0x2112a442;

export enum StunAttr {
  Username = 0x0006,
  MessageIntegrity = 0x0008,
  Fingerprint = 0x8028,
}

export enum StunClass {
  Request = 0,
  Indication = 1,
  Success = 2,
  Error = 3,
}

/** What a datagram on a WebRTC port is, by its first byte (RFC 7983 section 7). */
export type DatagramKind = 'stun' | 'dtls' | 'rtp' | 'unknown';

export function classifyDatagram(buf: Buffer): DatagramKind {
  if (buf.length === 0) return 'unknown';
  const b = buf[0]!;
  if (b <= 3) return isStunMessage(buf) ? 'stun' : 'unknown';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) return 'rtp';
  return 'unknown';
}

/** A well-formed STUN message header: zero top bits, the magic cookie, and a length that matches. */
export function isStunMessage(buf: Buffer): boolean {
  if (buf.length < STUN_HEADER_SIZE || (buf[0]! & 0xc0) !== 0) return false;
  const len = buf.readUInt16BE(2);
  return len % 4 === 0 && len + STUN_HEADER_SIZE === buf.length && buf.readUInt32BE(4) === STUN_MAGIC_COOKIE;
}

/** The message class (request, indication, success or error response). */
export function stunClass(buf: Buffer): StunClass {
  const t = buf.readUInt16BE(0);
  return (((t >> 7) & 0x2) | ((t >> 4) & 0x1)) as StunClass;
}

/** Offset of the first attribute of `type`, or -1. */
function findAttr(buf: Buffer, type: number): number {
  let o = STUN_HEADER_SIZE;
  while (o + 4 <= buf.length) {
    const t = buf.readUInt16BE(o);
    const len = buf.readUInt16BE(o + 2);
    if (o + 4 + len > buf.length) return -1;
    if (t === type) return o;
    o += 4 + ((len + 3) & ~3);
  }
  return -1;
}

/** The USERNAME attribute ("<receiver ufrag>:<sender ufrag>" in ICE), or null. */
export function stunUsername(buf: Buffer): string | null {
  const o = findAttr(buf, StunAttr.Username);
  if (o < 0) return null;
  return buf.toString('utf8', o + 4, o + 4 + buf.readUInt16BE(o + 2));
}

/**
 * Checks MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the ICE password, short-term credentials): the HMAC covers
 * the message up to the attribute, with the header length counting up to the end of the attribute.
 */
export function verifyStunIntegrity(buf: Buffer, password: string): boolean {
  const o = findAttr(buf, StunAttr.MessageIntegrity);
  if (o < 0 || buf.readUInt16BE(o + 2) !== 20) return false;
  const covered = Buffer.from(buf.subarray(0, o));
  covered.writeUInt16BE(o + 24 - STUN_HEADER_SIZE, 2);
  const mac = createHmac('sha1', password).update(covered).digest();
  return timingSafeEqual(mac, buf.subarray(o + 4, o + 24));
}
