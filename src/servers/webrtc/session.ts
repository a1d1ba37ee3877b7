// One WebRTC session (a WHIP publisher or a WHEP player): its werift peer connection on the shared port,
// the client record the APIs list, negotiation, and the end of the session (DELETE, peer gone, stream
// ended, kicked), after which nothing of it is referenced.
import type { Logger } from 'pino';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { randomId } from '../../core/ids.js';
import type { Client, ClientType } from '../../hub/client.js';
import type { StreamUrl } from '../../hub/stream-url.js';
import { attachSharedPort } from './werift-port.js';
import type { MuxTransport, RtcUdpMux } from './udp-mux.js';
import { createPeerConnection } from './peer.js';

/** What a session needs from the server that owns it. */
export interface SessionContext {
  logger: Logger;
  mux: RtcUdpMux;
  /** the session ended: forget it */
  onClosed(s: RtcSession): void;
  /** a child process is ending: shutdown waits for it */
  track(exited: Promise<void>): void;
}

export abstract class RtcSession implements Client {
  readonly id: string;
  readonly createdAt = Date.now();
  abstract readonly type: ClientType;
  abstract readonly publish: boolean;
  readonly pc: RTCPeerConnection;
  readonly log: Logger;
  /** DTLS is up: media can flow */
  connected = false;
  closed = false;
  closeReason = '';
  protected transports: MuxTransport[] = [];

  constructor(
    readonly ip: string,
    readonly url: StreamUrl,
    readonly requestUrl: string,
    protected readonly ctx: SessionContext,
    /** the client id, when the caller named the session before creating it (a WHEP play check) */
    id?: string,
  ) {
    this.id = id ?? randomId(8);
    this.log = ctx.logger.child({ cid: this.id, ip });
    this.pc = createPeerConnection();
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && !this.connected && !this.closed) {
        this.connected = true;
        this.log.info({ event: 'connected', url: this.urlForLog() }, 'rtc session connected');
        this.onConnected();
      } else if (state === 'failed' || state === 'closed') {
        this.close(`peer connection ${state}`);
      }
    });
  }

  get sendBytes(): number {
    return this.transports.reduce((n, t) => n + t.sendBytes, 0);
  }

  get recvBytes(): number {
    return this.transports.reduce((n, t) => n + t.recvBytes, 0);
  }

  /** when the peer was last heard from (any datagram), ms since epoch */
  get lastReceived(): number {
    let last = this.createdAt;
    for (const t of this.transports) last = Math.max(last, t.lastReceived);
    return last;
  }

  urlForLog(): string {
    return `${this.url.vhost}/${this.url.app}/${this.url.stream}`;
  }

  /**
   * Applies the (already checked and narrowed) offer and returns the answer, whose host candidates are
   * `candidateIps` (most preferred first) on the shared port.
   */
  async negotiate(offer: string, candidateIps: readonly string[]): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    if (this.closed) throw new Error('session closed during negotiation');
    this.transports = attachSharedPort(this.pc, this.ctx.mux, candidateIps, this.ctx.mux.port);
    for (const t of this.pc.getTransceivers()) this.configureTransceiver(t);
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.closed) throw new Error('session closed during negotiation');
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no answer');
    return sdp;
  }

  /** Sets each negotiated transceiver's direction (and keeps what the session needs of it). */
  protected abstract configureTransceiver(t: RTCRtpTransceiver): void;
  /** DTLS connected. */
  protected abstract onConnected(): void;
  /** Releases what the subclass holds (publish, transcoder, source); called once. */
  protected abstract onClose(reason: string): void;

  /** Ends the session; safe to call more than once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    try {
      this.onClose(reason);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'rtc session cleanup failed');
    }
    for (const t of this.transports) void t.close();
    this.pc.close().catch(() => {});
    this.ctx.onClosed(this);
    this.log.info(
      { event: 'disconnect', url: this.urlForLog(), reason, recv: this.recvBytes, sent: this.sendBytes },
      `rtc session end: ${reason}`,
    );
  }
}
