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
}

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
};

function validate(options: SrtSocketOptions): void {
  const { passphrase, payloadSize } = options;
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
