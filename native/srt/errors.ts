// Typed errors of the SRT binding: a stable code for programs and a message a
// person can act on.

export type SrtErrorCode =
  | 'SRT_NOT_BUILT' // the native addon is missing or failed to load
  | 'SRT_INVALID_ARGUMENT' // an option or address the binding refuses before calling libsrt
  | 'SRT_LISTEN_FAILED' // socket/bind/listen failed (port in use, bad address)
  | 'SRT_CONNECT_FAILED' // no answer, timeout, network error
  | 'SRT_REJECTED' // the peer rejected the handshake (passphrase, stream id, ...)
  | 'SRT_SOCKET_ERROR' // any other libsrt call failed
  | 'SRT_SHUTDOWN'; // shutdownSrt() was called while the operation was pending

export interface SrtErrorDetails {
  // libsrt error code (SRT_E*) when a libsrt call failed.
  srtCode?: number;
  // SRT_REJ_* / SRT_REJX_* code when a connection was rejected.
  rejectReason?: number;
  cause?: unknown;
}

export class SrtError extends Error {
  readonly srtCode: number | undefined;
  readonly rejectReason: number | undefined;

  constructor(
    readonly code: SrtErrorCode,
    message: string,
    details: SrtErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SrtError';
    this.srtCode = details.srtCode;
    this.rejectReason = details.rejectReason;
  }
}

// The libsrt error code attached by the addon to the errors it throws.
export function srtCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'srtCode' in error) {
    const code = (error as { srtCode: unknown }).srtCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
