// SRT for the media server: a TypeScript API over the srt_native addon
// (libsrt, live mode). SrtServer accepts callers, connectSrt calls a listener,
// both hand out SrtConnection objects. Build the addon with
// `node native/srt/build.mjs` (Debian package libsrt-openssl-dev).
import type { NativeEvent } from './binding.js';
import { loadNative } from './binding.js';
import { SrtConnection } from './connection.js';
import { SrtError, messageOf, srtCodeOf } from './errors.js';
import { applySocketOptions, type SrtSocketOptions } from './options.js';
import { resolveHost } from './resolve.js';
import { existingSrtRuntime, srtRuntime } from './runtime.js';

export type {
  SrtAddress,
  SrtOptionName,
  SrtOptionValue,
  SrtSocketState,
  SrtStats,
} from './binding.js';
export { ADDON_NOT_BUILT_MESSAGE } from './binding.js';
export { SrtConnection } from './connection.js';
export type { SrtCloseReason, SrtConnectionEvents, SrtPeer } from './connection.js';
export { SrtError } from './errors.js';
export type { SrtErrorCode } from './errors.js';
export type { SrtNumericSocketOptions, SrtSocketOptions } from './options.js';
export { SRT_BUFFER_BYTES_PER_PACKET, SRT_MIN_FLIGHT_PACKETS } from './options.js';
export { SrtServer } from './server.js';
export type { SrtServerEvents, SrtServerOptions } from './server.js';

export interface SrtConnectOptions extends SrtSocketOptions {
  // SRTO_STREAMID sent to the listener, e.g. "#!::r=live/cam1,m=request".
  streamId?: string;
}

// True when the addon is built and loads; never throws.
export function srtAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

// libsrt's version, e.g. "1.5.1".
export function srtVersion(): string {
  return loadNative().version;
}

// Which SrtErrorCode a failed connect gets, from its SRT_REJ_* reason.
function connectErrorCode(rejectReason: number): 'SRT_REJECTED' | 'SRT_CONNECT_FAILED' {
  const c = loadNative().constants;
  const rejected =
    rejectReason === c.SRT_REJ_PEER ||
    rejectReason === c.SRT_REJ_BADSECRET ||
    rejectReason === c.SRT_REJ_UNSECURE ||
    rejectReason >= c.SRT_REJC_PREDEFINED;
  return rejected ? 'SRT_REJECTED' : 'SRT_CONNECT_FAILED';
}

// Calls an SRT listener (non-blocking; resolved by the reactor thread's
// 'connected' event). Rejects with SrtError: SRT_REJECTED (wrong passphrase,
// stream id refused, ...) or SRT_CONNECT_FAILED (timeout, unreachable).
export async function connectSrt(host: string, port: number, options: SrtConnectOptions = {}): Promise<SrtConnection> {
  const runtime = srtRuntime();
  const native = runtime.native;
  const ip = await resolveHost(host);
  const fd = native.socket();
  try {
    applySocketOptions(native, fd, options);
    if (options.streamId !== undefined) native.setsockopt(fd, 'SRTO_STREAMID', options.streamId);
    native.connect(fd, ip, port);
  } catch (error) {
    native.close(fd);
    if (error instanceof SrtError) throw error;
    throw new SrtError('SRT_CONNECT_FAILED', `SRT connect to ${host}:${port} failed: ${messageOf(error)}`, {
      srtCode: srtCodeOf(error),
      cause: error,
    });
  }
  const messageSize = options.payloadSize ?? native.constants.SRT_LIVE_DEF_PLSIZE;
  return new Promise<SrtConnection>((resolve, reject) => {
    runtime.own(fd, {
      handleEvent(event: NativeEvent): void {
        if (event.type === 'connected') {
          // libsrt 1.5.1 reports no peer address for callers; use the target.
          const connection = new SrtConnection(
            runtime,
            fd,
            {
              streamId: options.streamId ?? event.streamId,
              remoteAddress: event.address || ip,
              remotePort: event.port || port,
            },
            messageSize,
          );
          resolve(connection);
        } else if (event.type === 'error' || event.type === 'close') {
          runtime.disown(fd);
          native.close(fd);
          const rejectReason = event.type === 'error' ? event.code : undefined;
          const code = rejectReason === undefined ? 'SRT_CONNECT_FAILED' : connectErrorCode(rejectReason);
          reject(new SrtError(code, `SRT connect to ${host}:${port} failed: ${event.message}`, { rejectReason }));
        }
      },
      handleShutdown(): void {
        reject(new SrtError('SRT_SHUTDOWN', `SRT shut down while connecting to ${host}:${port}`));
      },
    });
  });
}

// Closes every SRT socket, stops the addon's thread and calls srt_cleanup.
// Not needed for the process to exit (idle SRT keeps no event-loop handle),
// but tests and graceful shutdown call it. Later calls start SRT again.
export function shutdownSrt(): void {
  existingSrtRuntime()?.shutdown();
}
