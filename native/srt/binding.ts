// Loads the compiled srt_native addon (native/srt/build/Release) and types its
// API: a one-to-one map of the libsrt calls the binding uses (src/addon.cc).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrtError, messageOf } from './errors.js';

// Options accepted by setsockopt/getsockopt, by their libsrt names
// (SRT API-socket-options.md). Read-only ones fail on set, write-only ones
// (SRTO_PASSPHRASE, SRTO_TRANSTYPE) fail on get, as in libsrt.
export type SrtOptionName =
  | 'SRTO_LATENCY'
  | 'SRTO_RCVLATENCY'
  | 'SRTO_PEERLATENCY'
  | 'SRTO_PASSPHRASE'
  | 'SRTO_PBKEYLEN'
  | 'SRTO_ENFORCEDENCRYPTION'
  | 'SRTO_KMSTATE'
  | 'SRTO_SNDKMSTATE'
  | 'SRTO_RCVKMSTATE'
  | 'SRTO_MAXBW'
  | 'SRTO_INPUTBW'
  | 'SRTO_MININPUTBW'
  | 'SRTO_OHEADBW'
  | 'SRTO_STREAMID'
  | 'SRTO_TRANSTYPE'
  | 'SRTO_PAYLOADSIZE'
  | 'SRTO_MESSAGEAPI'
  | 'SRTO_RCVSYN'
  | 'SRTO_SNDSYN'
  | 'SRTO_CONNTIMEO'
  | 'SRTO_PEERIDLETIMEO'
  | 'SRTO_TSBPDMODE'
  | 'SRTO_TLPKTDROP'
  | 'SRTO_SNDDROPDELAY'
  | 'SRTO_NAKREPORT'
  | 'SRTO_LOSSMAXTTL'
  | 'SRTO_MSS'
  | 'SRTO_FC'
  | 'SRTO_SNDBUF'
  | 'SRTO_RCVBUF'
  | 'SRTO_UDP_SNDBUF'
  | 'SRTO_UDP_RCVBUF'
  | 'SRTO_LINGER'
  | 'SRTO_REUSEADDR'
  | 'SRTO_IPV6ONLY'
  | 'SRTO_IPTTL'
  | 'SRTO_IPTOS'
  | 'SRTO_CONGESTION'
  | 'SRTO_PACKETFILTER'
  | 'SRTO_RETRANSMITALGO'
  | 'SRTO_MINVERSION'
  | 'SRTO_VERSION'
  | 'SRTO_PEERVERSION'
  | 'SRTO_STATE'
  | 'SRTO_EVENT'
  | 'SRTO_SNDDATA'
  | 'SRTO_RCVDATA';

// number for integer options (SRTO_MAXBW is int64, bytes/s; SRTO_LINGER is
// seconds, 0 = off), boolean for flags, string for SRTO_PASSPHRASE,
// SRTO_STREAMID, SRTO_CONGESTION, SRTO_PACKETFILTER; SRTO_TRANSTYPE takes
// 'live' | 'file' (or SRTT_LIVE / SRTT_FILE).
export type SrtOptionValue = number | boolean | string;

export type SrtSocketState =
  | 'unknown'
  | 'init'
  | 'opened'
  | 'listening'
  | 'connecting'
  | 'connected'
  | 'broken'
  | 'closing'
  | 'closed'
  | 'nonexist';

export interface SrtAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

// srt_bstats counters (SRT statistics.md). Interval counters (pktSent, ...)
// cover the time since the last stats(true); *Total ones since connection.
export interface SrtStats {
  msTimeStamp: number;
  pktSent: number;
  pktRecv: number;
  pktSndLoss: number;
  pktRcvLoss: number;
  pktRetrans: number;
  pktRcvRetrans: number;
  pktSndDrop: number;
  pktRcvDrop: number;
  pktRcvUndecrypt: number;
  byteSent: number;
  byteRecv: number;
  byteRetrans: number;
  byteSndDrop: number;
  byteRcvDrop: number;
  pktSentTotal: number;
  pktRecvTotal: number;
  pktSndLossTotal: number;
  pktRcvLossTotal: number;
  pktRetransTotal: number;
  pktSndDropTotal: number;
  pktRcvDropTotal: number;
  byteSentTotal: number;
  byteRecvTotal: number;
  msRTT: number;
  mbpsSendRate: number;
  mbpsRecvRate: number;
  mbpsBandwidth: number;
  mbpsMaxBW: number;
  pktFlowWindow: number;
  pktCongestionWindow: number;
  pktFlightSize: number;
  byteAvailSndBuf: number;
  byteAvailRcvBuf: number;
  pktSndBuf: number;
  pktRcvBuf: number;
  msSndBuf: number;
  msRcvBuf: number;
  msSndTsbPdDelay: number;
  msRcvTsbPdDelay: number;
}

// Events the reactor thread hands over, in batches, in the order they happened.
export interface NativeAcceptEvent {
  type: 'accept';
  fd: number;
  listener: number;
  address: string;
  port: number;
  streamId: string;
}
export interface NativeConnectedEvent {
  type: 'connected';
  fd: number;
  address: string; // '' when libsrt does not report the peer of a caller
  port: number;
  streamId: string;
}
export interface NativeDataEvent {
  type: 'data';
  fd: number;
  data: Buffer; // the messages back to back
  sizes: Uint32Array; // the size of each message
}
export interface NativeCloseEvent {
  type: 'close';
  fd: number;
  code: number; // SRT_E* code, 0 when unknown
  message: string;
}
export interface NativeErrorEvent {
  type: 'error';
  fd: number;
  code: number; // SRT_REJ_* / SRT_REJX_* reason for a failed connect
  message: string;
}
export type NativeEvent =
  | NativeAcceptEvent
  | NativeConnectedEvent
  | NativeDataEvent
  | NativeCloseEvent
  | NativeErrorEvent;

export interface NativeConstants {
  SRT_EASYNCSND: number;
  SRT_EASYNCRCV: number;
  SRT_ECONNLOST: number;
  SRT_ENOCONN: number;
  SRT_EINVSOCK: number;
  SRT_ELARGEMSG: number;
  SRT_ECONNREJ: number;
  SRT_REJ_PEER: number;
  SRT_REJ_BADSECRET: number;
  SRT_REJ_UNSECURE: number;
  SRT_REJ_TIMEOUT: number;
  SRT_REJ_CLOSE: number;
  SRT_REJC_PREDEFINED: number;
  SRT_REJX_BAD_REQUEST: number;
  SRT_REJX_UNAUTHORIZED: number;
  SRT_REJX_FORBIDDEN: number;
  SRT_REJX_NOTFOUND: number;
  SRT_REJX_CONFLICT: number;
  SRT_LIVE_DEF_PLSIZE: number;
  SRT_LIVE_MAX_PLSIZE: number;
  SRTT_LIVE: number;
  SRTT_FILE: number;
}

// The addon. Methods throw an Error with a numeric `srtCode` when libsrt fails.
export interface NativeSrt {
  readonly version: string;
  readonly constants: NativeConstants;
  // Receives every batch; must be set before the first socket().
  setEventHandler(handler: (events: NativeEvent[]) => void): void;
  // srt_create_socket in live mode, non-blocking send and receive.
  socket(): number;
  bind(fd: number, host: string, port: number): void;
  // srt_listen; with checkStreamIdSyntax, a listen callback rejects malformed
  // "#!::" stream ids with SRT_REJX_BAD_REQUEST during the handshake. The same
  // callback sets playerOptions (numeric options) on each new socket whose
  // stream id does not contain "publish" (any case), before libsrt sizes its
  // buffers; other sockets keep what they inherit from the listener.
  listen(fd: number, backlog: number, checkStreamIdSyntax: boolean, playerOptions?: [SrtOptionName, number][]): void;
  // Non-blocking srt_connect; the result is a 'connected' or 'error' event.
  connect(fd: number, host: string, port: number): void;
  // srt_sendmsg2 per chunk of at most chunkSize bytes (0: one message).
  // Returns the bytes accepted, or -1 if none; lastError() says why.
  send(fd: number, data: Uint8Array, chunkSize?: number): number;
  // srt_close (after srt_setrejectreason when given). False if not open.
  close(fd: number, rejectReason?: number): boolean;
  setsockopt(fd: number, name: SrtOptionName, value: SrtOptionValue): void;
  getsockopt(fd: number, name: SrtOptionName): SrtOptionValue;
  getsockname(fd: number): Partial<SrtAddress>;
  getpeername(fd: number): Partial<SrtAddress>;
  getsockstate(fd: number): SrtSocketState;
  stats(fd: number, clear?: boolean): SrtStats;
  // The error of the last failed send().
  lastError(): { code: number; message: string };
  // libsrt log level (syslog numbers, 2 = critical only, 7 = debug).
  setLogLevel(level: number): void;
  // Sockets JavaScript holds open (they keep the event loop alive).
  openSockets(): number;
  // Stops the reactor thread, closes every socket, srt_cleanup.
  shutdown(): void;
}

export const ADDON_NOT_BUILT_MESSAGE =
  'SRT addon not built: run npm run build:srt; needs Debian package libsrt-openssl-dev';

const ADDON_RELATIVE_PATH = join('native', 'srt', 'build', 'Release', 'srt_native.node');

// The repository root is the nearest directory above this file holding
// package.json and native/srt/binding.gyp; this works from native/srt and from
// dist/native/srt alike. SRT_NATIVE_ADDON overrides (e.g. a sanitizer build).
export function addonPath(): string | undefined {
  const override = process.env.SRT_NATIVE_ADDON;
  if (override !== undefined && override !== '') return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native', 'srt', 'binding.gyp'))) {
      return join(dir, ADDON_RELATIVE_PATH);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let cached: NativeSrt | undefined;

// Loads the addon once; throws SrtError('SRT_NOT_BUILT') when it is missing.
export function loadNative(): NativeSrt {
  if (cached !== undefined) return cached;
  const path = addonPath();
  if (path === undefined || !existsSync(path)) {
    throw new SrtError('SRT_NOT_BUILT', `${ADDON_NOT_BUILT_MESSAGE} (looked for ${path ?? ADDON_RELATIVE_PATH})`);
  }
  try {
    const required: unknown = createRequire(import.meta.url)(path);
    cached = required as NativeSrt;
  } catch (error) {
    throw new SrtError('SRT_NOT_BUILT', `${ADDON_NOT_BUILT_MESSAGE} (loading ${path} failed: ${messageOf(error)})`, {
      cause: error,
    });
  }
  return cached;
}
