// An SRT listener: emits a SrtConnection per accepted caller, with the stream
// id the caller sent (SRT AccessControl.md "#!::r=...,m=..." or free text).
import { EventEmitter } from 'node:events';
import type { NativeEvent, SrtAddress } from './binding.js';
import { SrtConnection, type SrtPeer } from './connection.js';
import { SrtError, messageOf, srtCodeOf } from './errors.js';
import { resolveHost } from './resolve.js';
import { applySocketOptions, numericOptionList, type SrtNumericSocketOptions, type SrtSocketOptions } from './options.js';
import { srtRuntime, type SocketOwner, type SrtRuntime } from './runtime.js';

export interface SrtServerOptions extends SrtSocketOptions {
  // srt_listen backlog (default 64).
  backlog?: number;
  // Reject "#!::" stream ids that are not key=value lists during the
  // handshake, natively, with SRT_REJX_BAD_REQUEST (default true).
  checkStreamIdSyntax?: boolean;
  // Decides right after accept: true keeps the connection, false or an
  // SRT_REJX_* code closes it before any 'connection' event. (libsrt's listen
  // callback runs on its own thread and cannot wait for JavaScript, so the
  // caller sees a closed connection, not a reject code.)
  accept?: (peer: SrtPeer) => boolean | number;
  // Options for callers that only play, overriding the listener's (which the
  // other callers inherit). Set natively in the listen callback, before libsrt
  // sizes the new socket's buffers, on each caller whose stream id does not
  // contain "publish" (in any case; a loose test, so a publisher always keeps
  // the listener's values). For a sending socket's small receive side, e.g.
  // { flowWindow: 32, rcvBuf: 32 * 1472 }. Numeric options only.
  playerOptions?: SrtNumericSocketOptions;
}

export interface SrtServerEvents {
  connection: [connection: SrtConnection];
  // The connection closed by `accept` returning false or a code.
  rejected: [peer: SrtPeer, rejectReason: number | undefined];
  error: [error: SrtError];
  close: [];
}

const DEFAULT_BACKLOG = 64;

export class SrtServer extends EventEmitter<SrtServerEvents> implements SocketOwner {
  // Open connections accepted by this server.
  readonly connections = new Set<SrtConnection>();
  private readonly runtime: SrtRuntime;
  private fd: number | undefined;
  private bound: SrtAddress | undefined;
  private readonly messageSize: number;

  constructor(private readonly options: SrtServerOptions = {}) {
    super();
    this.runtime = srtRuntime();
    this.messageSize = options.payloadSize ?? this.runtime.native.constants.SRT_LIVE_DEF_PLSIZE;
  }

  // Binds and listens on UDP host:port (port 0 picks a free one).
  async listen(port: number, host = '0.0.0.0'): Promise<SrtAddress> {
    if (this.fd !== undefined) throw new SrtError('SRT_INVALID_ARGUMENT', 'SRT server is already listening');
    const ip = await resolveHost(host);
    const native = this.runtime.native;
    const fd = native.socket();
    try {
      // Options set on the listener are inherited by every accepted socket.
      applySocketOptions(native, fd, this.options);
      const playerOptions = this.options.playerOptions === undefined ? undefined : numericOptionList(this.options.playerOptions);
      native.bind(fd, ip, port);
      native.listen(fd, this.options.backlog ?? DEFAULT_BACKLOG, this.options.checkStreamIdSyntax ?? true, playerOptions);
      const name = native.getsockname(fd);
      this.bound = {
        address: name.address ?? ip,
        port: name.port ?? port,
        family: name.family ?? (ip.includes(':') ? 'IPv6' : 'IPv4'),
      };
    } catch (error) {
      native.close(fd);
      if (error instanceof SrtError) throw error;
      throw new SrtError('SRT_LISTEN_FAILED', `SRT listen on ${host}:${port} failed: ${messageOf(error)}`, {
        srtCode: srtCodeOf(error),
        cause: error,
      });
    }
    this.fd = fd;
    this.runtime.own(fd, this);
    return this.bound;
  }

  address(): SrtAddress | null {
    return this.bound ?? null;
  }

  // Stops listening and closes every connection it accepted.
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.bound = undefined;
    this.runtime.disown(fd);
    this.runtime.native.close(fd);
    for (const connection of [...this.connections]) connection.close();
    queueMicrotask(() => this.emit('close'));
  }

  handleEvent(event: NativeEvent): void {
    if (event.type === 'accept') {
      this.onAccept(event.fd, { streamId: event.streamId, remoteAddress: event.address, remotePort: event.port });
    } else if (event.type === 'error') {
      const error = new SrtError('SRT_SOCKET_ERROR', `SRT listener failed: ${event.message}`);
      if (this.listenerCount('error') > 0) this.emit('error', error);
      this.close();
    }
  }

  handleShutdown(): void {
    if (this.fd === undefined) return;
    this.fd = undefined;
    this.bound = undefined;
    this.connections.clear();
    queueMicrotask(() => this.emit('close'));
  }

  private onAccept(fd: number, peer: SrtPeer): void {
    const verdict = this.options.accept === undefined ? true : this.decide(peer);
    if (verdict !== true) {
      const reason = typeof verdict === 'number' ? verdict : undefined;
      this.runtime.native.close(fd, reason);
      this.emit('rejected', peer, reason);
      return;
    }
    const connection = new SrtConnection(this.runtime, fd, peer, this.messageSize);
    this.connections.add(connection);
    connection.once('close', () => this.connections.delete(connection));
    this.emit('connection', connection);
  }

  private decide(peer: SrtPeer): boolean | number {
    try {
      return this.options.accept?.(peer) ?? true;
    } catch {
      // A throwing policy must not let the caller in.
      return false;
    }
  }
}
