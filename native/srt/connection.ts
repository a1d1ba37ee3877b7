// One SRT connection in live mode, accepted by SrtServer or opened by
// connectSrt: each received message is a 'data' event, write() sends Buffers
// as messages of at most maxMessageSize bytes and drops what does not fit.
import { EventEmitter } from 'node:events';
import type { NativeEvent, SrtOptionName, SrtOptionValue, SrtStats } from './binding.js';
import { SrtError, messageOf, srtCodeOf } from './errors.js';
import type { SocketOwner, SrtRuntime } from './runtime.js';

export interface SrtPeer {
  streamId: string;
  remoteAddress: string;
  remotePort: number;
}

// 'local': close() was called; 'remote': the peer closed or the link broke;
// 'shutdown': shutdownSrt() closed everything.
export type SrtCloseReason = 'local' | 'remote' | 'shutdown';

export interface SrtConnectionEvents {
  data: [message: Buffer];
  close: [reason: SrtCloseReason, detail: string];
}

// Messages kept while nobody listens to 'data' (e.g. those arriving with the
// handshake, before connectSrt's caller attached a listener); beyond that they
// are dropped and counted.
const MAX_UNREAD_MESSAGES = 8192;

export class SrtConnection extends EventEmitter<SrtConnectionEvents> implements SocketOwner {
  readonly streamId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  // Bytes write() dropped because libsrt's send buffer was full.
  droppedBytes = 0;
  // Received messages dropped because nobody read them.
  droppedMessages = 0;
  private closedFlag = false;
  private reason: SrtCloseReason | null = null;
  private unread: Buffer[] = [];
  private flushQueued = false;

  constructor(
    private readonly runtime: SrtRuntime,
    // The libsrt socket id, for logs.
    readonly socketId: number,
    peer: SrtPeer,
    // Largest message write() sends (SRTO_PAYLOADSIZE, 1316 by default).
    readonly maxMessageSize: number,
  ) {
    super();
    this.streamId = peer.streamId;
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    runtime.own(socketId, this);
    // 'newListener' is not part of the typed event map; use the plain emitter.
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'data' && this.unread.length > 0) this.queueFlush();
    });
  }

  /** why it closed ('local', 'remote', 'shutdown'), or null while open: for code that looks after the event */
  get closeReason(): SrtCloseReason | null {
    return this.reason;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  // Sends data as live-mode messages of at most maxMessageSize bytes. Returns
  // false when some of it was dropped (send buffer full, or closed): live
  // media is not retried later. Write whole TS packets (188-byte multiples).
  write(data: Uint8Array): boolean {
    if (this.closedFlag) return false;
    if (data.length === 0) return true;
    const native = this.runtime.native;
    const sent = native.send(this.socketId, data, this.maxMessageSize);
    if (sent === data.length) return true;
    this.droppedBytes += data.length - Math.max(sent, 0);
    const { code, message } = native.lastError();
    if (code !== native.constants.SRT_EASYNCSND) {
      // The connection is gone; the reactor may not have reported it yet.
      this.finish('remote', `send failed: ${message}`);
    }
    return false;
  }

  // srt_bstats; clear resets the interval counters.
  stats(clear = false): SrtStats {
    try {
      return this.runtime.native.stats(this.socketId, clear);
    } catch (error) {
      throw new SrtError('SRT_SOCKET_ERROR', `SRT stats failed: ${messageOf(error)}`, {
        srtCode: srtCodeOf(error),
        cause: error,
      });
    }
  }

  getOption(name: SrtOptionName): SrtOptionValue {
    try {
      return this.runtime.native.getsockopt(this.socketId, name);
    } catch (error) {
      throw new SrtError('SRT_SOCKET_ERROR', messageOf(error), { srtCode: srtCodeOf(error), cause: error });
    }
  }

  setOption(name: SrtOptionName, value: SrtOptionValue): void {
    try {
      this.runtime.native.setsockopt(this.socketId, name, value);
    } catch (error) {
      throw new SrtError('SRT_SOCKET_ERROR', messageOf(error), { srtCode: srtCodeOf(error), cause: error });
    }
  }

  // Closes the connection; 'close' follows asynchronously. rejectReason
  // (SRT_REJX_*) is handed to srt_setrejectreason but only reaches a peer
  // still in its handshake; an accepted peer just sees the connection end.
  close(rejectReason?: number): void {
    this.finish('local', 'closed locally', rejectReason);
  }

  handleEvent(event: NativeEvent): void {
    switch (event.type) {
      case 'data': {
        const { data, sizes } = event;
        let offset = 0;
        for (let i = 0; i < sizes.length && !this.closedFlag; i++) {
          const size = sizes[i] ?? 0;
          this.deliver(data.subarray(offset, offset + size));
          offset += size;
        }
        break;
      }
      case 'close':
      case 'error':
        this.finish('remote', event.message || 'connection closed by peer');
        break;
      default:
        break;
    }
  }

  handleShutdown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.queueClose('shutdown', 'SRT shut down');
  }

  private deliver(message: Buffer): void {
    if (this.unread.length === 0 && this.listenerCount('data') > 0) {
      this.emit('data', message);
      return;
    }
    if (this.unread.length >= MAX_UNREAD_MESSAGES) {
      this.droppedMessages++;
      return;
    }
    this.unread.push(message);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.unread.length === 0 || this.listenerCount('data') === 0) return;
    const messages = this.unread;
    this.unread = [];
    for (const message of messages) this.emit('data', message);
  }

  private finish(reason: SrtCloseReason, detail: string, rejectReason?: number): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.runtime.disown(this.socketId);
    this.runtime.native.close(this.socketId, rejectReason);
    this.queueClose(reason, detail);
  }

  // A microtask, so messages queued before it (same batch) are emitted first.
  private queueClose(reason: SrtCloseReason, detail: string): void {
    this.reason = reason;
    queueMicrotask(() => {
      this.flush();
      this.unread = [];
      this.emit('close', reason, detail);
    });
  }
}
