// Socket options in camelCase for the TypeScript API, applied through
// setsockopt before bind/connect (libsrt requires most of them pre-connection).
import type { NativeSrt, SrtOptionName } from './binding.js';
import { SrtError, messageOf, srtCodeOf } from './errors.js';

export interface SrtSocketOptions {
  // SRTO_LATENCY: receiver and peer latency in ms (libsrt default 120).
  latency?: number;
  // SRTO_RCVLATENCY / SRTO_PEERLATENCY, ms.
  rcvLatency?: number;
  peerLatency?: number;
  // SRTO_PASSPHRASE: 10 to 79 characters; enables AES encryption.
  passphrase?: string;
  // SRTO_PBKEYLEN: AES key length in bytes.
  pbKeyLen?: 0 | 16 | 24 | 32;
  // SRTO_ENFORCEDENCRYPTION: reject peers whose passphrase does not match (default true).
  enforcedEncryption?: boolean;
  // SRTO_MAXBW: bytes/s, -1 = infinite, 0 = relative to the input rate.
  maxBw?: number;
  // SRTO_PAYLOADSIZE: largest message in bytes (live default 1316 = 7 TS packets).
  payloadSize?: number;
  // SRTO_CONNTIMEO: connect timeout in ms (default 3000).
  connectTimeout?: number;
  // SRTO_PEERIDLETIMEO: ms of silence from the peer before the connection breaks (default 5000).
  peerIdleTimeout?: number;
  // SRTO_FC: flow window in packets (libsrt default 25600, minimum 32): how
  // many unacknowledged packets the peer may send us, and the size of our
  // receiver loss list (16 bytes a packet, allocated and filled at connect).
  flowWindow?: number;
  // SRTO_RCVBUF: receive buffer in bytes (libsrt default 8192 packets of
  // MSS - 28 = 1472 bytes; at least 32 packets, at most flowWindow packets):
  // must hold latency's worth of what the peer sends. 16 bytes a packet are
  // allocated at connect, packet memory only as used.
  rcvBuf?: number;
  // SRTO_SNDBUF: send buffer limit in bytes (libsrt default 8192 packets of
  // 1472 bytes). Only a cap, allocated as used: a full buffer makes write()
  // drop (droppedBytes).
  sndBuf?: number;
}

// The options that can be set per caller from the listen callback.
export type SrtNumericSocketOptions = Omit<SrtSocketOptions, 'passphrase' | 'enforcedEncryption'>;

// libsrt counts SRTO_RCVBUF/SRTO_SNDBUF in packets of MSS - 28 bytes; with the
// default MSS of 1500 a packet is this many bytes of option value.
export const SRT_BUFFER_BYTES_PER_PACKET = 1472;
// SRTO_FC and SRTO_RCVBUF minimum, packets (libsrt DEF_MIN_FLIGHT_PKT).
export const SRT_MIN_FLIGHT_PACKETS = 32;

const OPTION_NAMES: { readonly [K in keyof Required<SrtSocketOptions>]: SrtOptionName } = {
  latency: 'SRTO_LATENCY',
  rcvLatency: 'SRTO_RCVLATENCY',
  peerLatency: 'SRTO_PEERLATENCY',
  passphrase: 'SRTO_PASSPHRASE',
  pbKeyLen: 'SRTO_PBKEYLEN',
  enforcedEncryption: 'SRTO_ENFORCEDENCRYPTION',
  maxBw: 'SRTO_MAXBW',
  payloadSize: 'SRTO_PAYLOADSIZE',
  connectTimeout: 'SRTO_CONNTIMEO',
  peerIdleTimeout: 'SRTO_PEERIDLETIMEO',
  // Before rcvBuf: libsrt clamps SRTO_RCVBUF to the flow window set at the time.
  flowWindow: 'SRTO_FC',
  rcvBuf: 'SRTO_RCVBUF',
  sndBuf: 'SRTO_SNDBUF',
};

// The numeric options in the order applySocketOptions sets them, as
// [libsrt name, value] pairs (for SrtServerOptions.playerOptions).
export function numericOptionList(options: SrtNumericSocketOptions): [SrtOptionName, number][] {
  validate(options);
  const out: [SrtOptionName, number][] = [];
  for (const key of Object.keys(OPTION_NAMES) as (keyof SrtSocketOptions)[]) {
    const value = (options as SrtSocketOptions)[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') {
      throw new SrtError('SRT_INVALID_ARGUMENT', `SRT option ${key} cannot be set per caller (numeric options only)`);
    }
    out.push([OPTION_NAMES[key], value]);
  }
  return out;
}

function validate(options: SrtSocketOptions): void {
  const { passphrase, payloadSize, flowWindow, rcvBuf, sndBuf } = options;
  if (flowWindow !== undefined && (!Number.isInteger(flowWindow) || flowWindow < SRT_MIN_FLIGHT_PACKETS)) {
    throw new SrtError('SRT_INVALID_ARGUMENT', `SRT flowWindow must be an integer >= ${SRT_MIN_FLIGHT_PACKETS} packets`);
  }
  for (const [key, value] of [['rcvBuf', rcvBuf], ['sndBuf', sndBuf]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0 || value > 0x7fffffff)) {
      throw new SrtError('SRT_INVALID_ARGUMENT', `SRT ${key} must be a positive integer number of bytes`);
    }
  }
  if (passphrase !== undefined && passphrase !== '' && (passphrase.length < 10 || passphrase.length > 79)) {
    throw new SrtError('SRT_INVALID_ARGUMENT', 'SRT passphrase must be 10 to 79 characters long');
  }
  if (payloadSize !== undefined && (payloadSize < 1 || payloadSize > 1456)) {
    throw new SrtError('SRT_INVALID_ARGUMENT', 'SRT payloadSize must be 1..1456 bytes in live mode');
  }
}

export function applySocketOptions(native: NativeSrt, fd: number, options: SrtSocketOptions): void {
  validate(options);
  for (const key of Object.keys(OPTION_NAMES) as (keyof SrtSocketOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    try {
      native.setsockopt(fd, OPTION_NAMES[key], value);
    } catch (error) {
      const shown = key === 'passphrase' ? '(hidden)' : String(value);
      throw new SrtError('SRT_INVALID_ARGUMENT', `SRT option ${key}=${shown} refused: ${messageOf(error)}`, {
        srtCode: srtCodeOf(error),
        cause: error,
      });
    }
  }
}

// The live-mode message size a connection writes with.
export function payloadSizeOf(options: SrtSocketOptions, fallback: number): number {
  return options.payloadSize ?? fallback;
}
