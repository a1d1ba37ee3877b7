// RTMP handshake, Adobe RTMP spec section 5.2 (C0/C1/C2, S0/S1/S2), plus the "complex" digest handshake
// of Flash Player / FMS that Flash-era clients and several encoders use: C1 and S1 carry an HMAC-SHA256
// digest at a position given by 4 offset bytes (schema 0: offset at 8..11, digest block first; schema 1:
// offset at 772..775), and C2/S2 end with an HMAC keyed by a hash of the peer's digest.

import { createHmac, randomFillSync } from 'node:crypto';

/** RTMP protocol version in C0/S0; 6 (RTMPE) and others are refused. */
export const RTMP_VERSION = 3;
/** Size of C1/S1/C2/S2. */
export const HANDSHAKE_SIZE = 1536;
const DIGEST_SIZE = 32;
/** Bytes of a 764-byte digest block available for the digest position after its 4 offset bytes. */
const DIGEST_RANGE = 728;

/** Public protocol constant shared by the two handshake keys. */
const KEY_TAIL = Buffer.from([
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
  0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
]);
/** 'Genuine Adobe Flash Player 001' + tail: 62 bytes; the first 30 sign C1. */
export const FLASH_PLAYER_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'latin1'), KEY_TAIL]);
/** 'Genuine Adobe Flash Media Server 001' + tail: 68 bytes; the first 36 sign S1. */
export const FLASH_MEDIA_SERVER_KEY = Buffer.concat([
  Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'),
  KEY_TAIL,
]);
const FP_KEY_PARTIAL = FLASH_PLAYER_KEY.subarray(0, 30);
const FMS_KEY_PARTIAL = FLASH_MEDIA_SERVER_KEY.subarray(0, 36);

/** Version field we put in a complex S1 (any non-zero value marks "digest present"). */
const SERVER_VERSION = 0x0d0e0a0d;
/** Flash Player version a complex C1 announces (9.0.124.2, as FFmpeg does). */
const CLIENT_VERSION = 0x09007c02;

/** Where the digest of a complex C1/S1 sits. */
export enum DigestSchema {
  /** offset bytes at 8..11, digest at 12 + (sum % 728) */
  Schema0 = 0,
  /** offset bytes at 772..775, digest at 776 + (sum % 728) */
  Schema1 = 1,
}

export class HandshakeError extends Error {
  readonly code = 'RTMP_HANDSHAKE';
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export interface HandshakeResult {
  /** bytes to send to the peer now */
  output?: Buffer;
  /** handshake complete: further bytes are chunk stream data */
  done: boolean;
  /** bytes of this push that follow the handshake (the peer's first chunks) */
  rest?: Buffer;
}

/** Offset of the 32-byte digest inside a 1536-byte C1/S1 for `schema`. */
export function digestOffset(packet: Buffer, schema: DigestSchema): number {
  const base = schema === DigestSchema.Schema0 ? 8 : 772;
  const sum = packet[base] + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return (sum % DIGEST_RANGE) + base + 4;
}

/** HMAC-SHA256 of `packet` without the 32 bytes at `skip`. */
function digestExcluding(packet: Buffer, skip: number, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(packet.subarray(0, skip))
    .update(packet.subarray(skip + DIGEST_SIZE))
    .digest();
}

/** The schema whose digest (keyed with `key`) validates in `packet`, or null. */
export function findDigestSchema(packet: Buffer, key: Buffer): DigestSchema | null {
  for (const schema of [DigestSchema.Schema0, DigestSchema.Schema1]) {
    const off = digestOffset(packet, schema);
    const expected = digestExcluding(packet, off, key);
    if (expected.equals(packet.subarray(off, off + DIGEST_SIZE))) return schema;
  }
  return null;
}

/** Writes a valid digest into a 1536-byte packet (random elsewhere) and returns the digest. */
export function signPacket(packet: Buffer, schema: DigestSchema, key: Buffer): Buffer {
  const off = digestOffset(packet, schema);
  const digest = digestExcluding(packet, off, key);
  digest.copy(packet, off);
  return digest;
}

/**
 * C2/S2 of the complex handshake: `random(1504) + HMAC(HMAC(fullKey, peerDigest), random(1504))`,
 * written at `target[offset..offset+1536)`.
 */
export function writeDigestResponse(target: Buffer, offset: number, peerDigest: Buffer, fullKey: Buffer): void {
  const packet = target.subarray(offset, offset + HANDSHAKE_SIZE);
  randomFillSync(packet, 0, HANDSHAKE_SIZE - DIGEST_SIZE);
  const key = createHmac('sha256', fullKey).update(peerDigest).digest();
  createHmac('sha256', key)
    .update(packet.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE))
    .digest()
    .copy(packet, HANDSHAKE_SIZE - DIGEST_SIZE);
}

function checkVersion(version: number, who: string): void {
  if (version !== RTMP_VERSION) {
    const hint = version === 6 || version === 8 || version === 9 ? ' (RTMPE encryption is not supported)' : '';
    throw new HandshakeError(`${who} requested RTMP version ${version}, only version ${RTMP_VERSION} is supported${hint}`);
  }
}

const enum ServerState {
  C0C1,
  C2,
  Done,
}

/**
 * Server side: consumes C0+C1, answers S0+S1+S2 (complex if C1 carries a valid Flash Player digest, simple
 * otherwise), then consumes C2 (not verified: many clients send garbage there).
 */
export class HandshakeServer {
  /** true once a complex (digest) C1 was recognized */
  complex = false;
  /** which schema the client used, when complex */
  schema: DigestSchema | null = null;
  private state = ServerState.C0C1;
  private readonly c0c1 = Buffer.allocUnsafe(1 + HANDSHAKE_SIZE);
  private filled = 0;
  private c2Received = 0;

  push(chunk: Buffer): HandshakeResult {
    let pos = 0;
    let output: Buffer | undefined;
    if (this.state === ServerState.C0C1) {
      const n = Math.min(this.c0c1.length - this.filled, chunk.length);
      chunk.copy(this.c0c1, this.filled, 0, n);
      this.filled += n;
      pos = n;
      if (this.filled > 0) checkVersion(this.c0c1[0], 'client');
      if (this.filled < this.c0c1.length) return { done: false };
      output = this.respond(this.c0c1.subarray(1));
      this.state = ServerState.C2;
    }
    if (this.state === ServerState.C2) {
      const n = Math.min(HANDSHAKE_SIZE - this.c2Received, chunk.length - pos);
      this.c2Received += n;
      pos += n;
      if (this.c2Received < HANDSHAKE_SIZE) return output ? { output, done: false } : { done: false };
      this.state = ServerState.Done;
    }
    const result: HandshakeResult = { done: true };
    if (output) result.output = output;
    if (pos < chunk.length) result.rest = chunk.subarray(pos);
    return result;
  }

  /** S0 + S1 + S2 in one buffer. */
  private respond(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const schema = c1.readUInt32BE(4) !== 0 ? findDigestSchema(c1, FP_KEY_PARTIAL) : null;
    if (schema !== null) {
      this.complex = true;
      this.schema = schema;
      const c1Off = digestOffset(c1, schema);
      const c1Digest = c1.subarray(c1Off, c1Off + DIGEST_SIZE);
      randomFillSync(s1);
      s1.writeUInt32BE(0, 0);
      s1.writeUInt32BE(SERVER_VERSION, 4);
      signPacket(s1, schema, FMS_KEY_PARTIAL);
      writeDigestResponse(out, 1 + HANDSHAKE_SIZE, c1Digest, FLASH_MEDIA_SERVER_KEY);
    } else {
      // Simple handshake (5.2.3): S1 = time, zero, random; S2 = echo of C1.
      s1.writeUInt32BE(0, 0);
      s1.writeUInt32BE(0, 4);
      randomFillSync(s1, 8);
      c1.copy(out, 1 + HANDSHAKE_SIZE);
    }
    return out;
  }
}

const enum ClientState {
  Idle,
  S0S1S2,
  Done,
}

export interface HandshakeClientOptions {
  /** send a digest C1 like Flash Player/FFmpeg (default true); servers that only do simple still accept it */
  complex?: boolean;
}

/** Client side, for pushing to other RTMP servers: start() gives C0+C1, push() takes S0+S1+S2 and yields C2. */
export class HandshakeClient {
  private state = ClientState.Idle;
  private readonly complex: boolean;
  private readonly s0s1s2 = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
  private filled = 0;

  constructor(opts: HandshakeClientOptions = {}) {
    this.complex = opts.complex ?? true;
  }

  /** C0 + C1. */
  start(): Buffer {
    if (this.state !== ClientState.Idle) throw new HandshakeError('handshake already started');
    const out = Buffer.allocUnsafe(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const c1 = out.subarray(1);
    randomFillSync(c1, 8);
    c1.writeUInt32BE(0, 0);
    c1.writeUInt32BE(this.complex ? CLIENT_VERSION : 0, 4);
    if (this.complex) signPacket(c1, DigestSchema.Schema0, FP_KEY_PARTIAL);
    this.state = ClientState.S0S1S2;
    return out;
  }

  push(chunk: Buffer): HandshakeResult {
    if (this.state === ClientState.Idle) throw new HandshakeError('HandshakeClient.push() before start()');
    if (this.state === ClientState.Done) return chunk.length > 0 ? { done: true, rest: chunk } : { done: true };
    const n = Math.min(this.s0s1s2.length - this.filled, chunk.length);
    chunk.copy(this.s0s1s2, this.filled, 0, n);
    this.filled += n;
    if (this.filled > 0) checkVersion(this.s0s1s2[0], 'server');
    if (this.filled < this.s0s1s2.length) return { done: false };
    this.state = ClientState.Done;
    const s1 = this.s0s1s2.subarray(1, 1 + HANDSHAKE_SIZE);
    const c2 = Buffer.allocUnsafe(HANDSHAKE_SIZE);
    const schema = this.complex && s1.readUInt32BE(4) !== 0 ? findDigestSchema(s1, FMS_KEY_PARTIAL) : null;
    if (schema !== null) {
      const off = digestOffset(s1, schema);
      writeDigestResponse(c2, 0, s1.subarray(off, off + DIGEST_SIZE), FLASH_PLAYER_KEY);
    } else {
      s1.copy(c2); // simple: C2 echoes S1
    }
    return n < chunk.length ? { output: c2, done: true, rest: chunk.subarray(n) } : { output: c2, done: true };
  }
}
