// One UDP port for every WebRTC session (as SRS does), so a server behind NAT or Docker needs one port open.
// Datagrams are demultiplexed (RFC 7983) by the STUN USERNAME of ICE binding requests (our ufrag before the
// colon, checked with MESSAGE-INTEGRITY), which binds the sender's address to that session; DTLS, SRTP
// and SRTCP then go to the session bound to their source address. Anything else is counted and dropped.
// Bound to 0.0.0.0, the socket cannot tell which of our addresses a datagram was sent to, and the kernel
// picks a reply's source address by the route to the peer (for a peer on this machine: the peer's own
// interface address). ICE copes: of the pairs a browser checks (its address x each candidate we offer,
// see candidate.ts), the one whose reply comes from where it sent to succeeds.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { StunClass, classifyDatagram, stunClass, stunUsername, verifyStunIntegrity } from '../../codecs/rtp/stun.js';

export type UdpAddress = readonly [string, number];

/** A session may be reached from a few addresses (one per candidate pair the browser checks). */
const MAX_ADDRESSES_PER_SESSION = 8;
const JUNK_LOG_INTERVAL_MS = 60_000;
/**
 * The socket's kernel buffers, bytes (Linux caps them at net.core.rmem_max / wmem_max). Every session's
 * media comes in on this one socket; when the event loop stalls (a busy machine, a long GC) datagrams wait
 * in the kernel, and the default ~208 KB (about 90 datagrams with their overhead) overflows within a second
 * of a few publishers: the lost video packets cost a keyframe wait for every viewer of the stream.
 */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * One session's end of the shared port, shaped like werift's UDP transport (type, address, closed, onData,
 * send, close) so that werift's ICE agent can use it in place of a socket of its own.
 */
export class MuxTransport {
  readonly type = 'udp';
  closed = false;
  onData: (data: Buffer, addr: UdpAddress) => void = () => {};
  /** when the last datagram from the peer arrived (ms since epoch): consent freshness */
  lastReceived = Date.now();
  /** a datagram from the peer has arrived at all */
  reached = false;
  recvBytes = 0;
  sendBytes = 0;
  readonly remotes = new Set<string>();

  constructor(
    private readonly mux: RtcUdpMux,
    readonly ufrag: string,
    readonly password: string,
  ) {}

  get address(): AddressInfo {
    return this.mux.address;
  }

  send = async (data: Buffer, addr?: UdpAddress): Promise<void> => {
    if (this.closed || !addr) return;
    this.sendBytes += data.length;
    this.mux.sendTo(data, addr);
  };

  close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    this.mux.release(this);
  };

  /** called by the mux for each datagram of this session */
  deliver(data: Buffer, addr: UdpAddress): void {
    this.lastReceived = Date.now();
    this.reached = true;
    this.recvBytes += data.length;
    this.onData(data, addr);
  }
}

export interface RtcUdpMuxStats {
  /** datagrams that belonged to no session (unknown sender, bad STUN credentials, not WebRTC at all) */
  junk: number;
  /** datagrams handed to a session */
  delivered: number;
}

export class RtcUdpMux {
  readonly stats: RtcUdpMuxStats = { junk: 0, delivered: 0 };
  private socket: Socket | null = null;
  private readonly byUfrag = new Map<string, MuxTransport>();
  private readonly byAddr = new Map<string, MuxTransport>();
  private lastJunkLog = 0;
  private junkSinceLog = 0;

  constructor(private readonly log: Logger) {}

  get address(): AddressInfo {
    const a = this.socket?.address();
    return a ?? { address: '0.0.0.0', family: 'IPv4', port: 0 };
  }

  get port(): number {
    return this.address.port;
  }

  /** number of sessions registered */
  get size(): number {
    return this.byUfrag.size;
  }

  listen(port: number, host: string): Promise<number> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({ type, reuseAddr: false, recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) =>
        reject(new Error(`WebRTC cannot listen on UDP ${host}:${port}: ${e.message}; set RTC_PORT to a free UDP port`));
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        socket.on('error', (e) => this.log.warn({ err: e.message }, 'rtc udp socket error'));
        socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
        resolve(socket.address().port);
      });
    });
  }

  /** Whether a session already uses this ufrag. */
  has(ufrag: string): boolean {
    return this.byUfrag.has(ufrag);
  }

  /** A transport for a session whose local ICE credentials are `ufrag`/`password`. */
  create(ufrag: string, password: string): MuxTransport {
    if (this.byUfrag.has(ufrag)) throw new Error(`ICE ufrag ${ufrag} is already in use`);
    const t = new MuxTransport(this, ufrag, password);
    this.byUfrag.set(ufrag, t);
    return t;
  }

  /** Forgets a transport and the addresses bound to it. */
  release(t: MuxTransport): void {
    if (this.byUfrag.get(t.ufrag) === t) this.byUfrag.delete(t.ufrag);
    for (const k of t.remotes) if (this.byAddr.get(k) === t) this.byAddr.delete(k);
    t.remotes.clear();
  }

  sendTo(data: Buffer, addr: UdpAddress): void {
    const s = this.socket;
    if (!s) return;
    s.send(data, addr[1], addr[0], (err) => {
      if (err) this.log.debug({ err: err.message, to: `${addr[0]}:${addr[1]}` }, 'rtc udp send failed');
    });
  }

  close(): Promise<void> {
    for (const t of [...this.byUfrag.values()]) void t.close();
    const s = this.socket;
    this.socket = null;
    if (!s) return Promise.resolve();
    return new Promise((r) => s.close(() => r()));
  }

  private onMessage(buf: Buffer, rinfo: RemoteInfo): void {
    const ip = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    const key = `${ip}:${rinfo.port}`;
    const addr: UdpAddress = [ip, rinfo.port];
    let t: MuxTransport | undefined;
    const kind = classifyDatagram(buf);
    if (kind === 'stun' && stunClass(buf) === StunClass.Request) {
      // A binding request names its session: USERNAME is "<our ufrag>:<peer ufrag>".
      const user = stunUsername(buf);
      const cand = user ? this.byUfrag.get(user.split(':')[0]!) : undefined;
      if (cand && verifyStunIntegrity(buf, cand.password)) {
        t = cand;
        this.bind(key, t);
      } else {
        t = undefined;
      }
    } else if (kind !== 'unknown') {
      t = this.byAddr.get(key);
    }
    if (!t || t.closed) return this.junk(key, kind, buf.length);
    this.stats.delivered++;
    try {
      t.deliver(buf, addr);
    } catch (e) {
      this.log.debug({ err: (e as Error).message, from: key }, 'rtc datagram handler failed');
    }
  }

  private bind(key: string, t: MuxTransport): void {
    const old = this.byAddr.get(key);
    if (old === t) return;
    if (old) old.remotes.delete(key); // the address moved to a new session (a reconnecting browser)
    if (t.remotes.size >= MAX_ADDRESSES_PER_SESSION) return;
    this.byAddr.set(key, t);
    t.remotes.add(key);
  }

  private junk(from: string, kind: string, size: number): void {
    this.stats.junk++;
    this.junkSinceLog++;
    const now = Date.now();
    if (now - this.lastJunkLog >= JUNK_LOG_INTERVAL_MS) {
      this.log.warn(
        { from, kind, size, dropped: this.junkSinceLog },
        'rtc: dropped UDP datagrams that belong to no WebRTC session (unknown sender or bad ICE credentials)',
      );
      this.lastJunkLog = now;
      this.junkSinceLog = 0;
    }
  }
}
