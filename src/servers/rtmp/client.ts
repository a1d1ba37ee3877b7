// An RTMP client (Adobe RTMP spec 7.2): connects to rtmp://host[:port]/app/stream or, over TLS,
// rtmps://host[:443]/app/stream and publishes frames or plays them. RtmpPush and RtmpPull drive it; tests
// and benchmarks use it directly.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { enhancedConnectRequest } from '../../codecs/rtmp/enhanced.js';
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import type { Amf0Value } from '../../codecs/amf0.js';
import { writeFlvBodyPrefix } from '../../codecs/flv.js';
import { HandshakeClient } from '../../codecs/rtmp/handshake.js';
import { ChunkDecoder, ChunkEncoder, type RtmpMessage } from '../../codecs/rtmp/chunk.js';
import { RtmpIngest } from './ingest.js';
import { MessageType, UserControlEvent, decodeCommand, encodeCommand, parseUserControl, setChunkSize, userControl, acknowledgement } from '../../codecs/rtmp/messages.js';

export interface RtmpClientOptions {
  /** outgoing chunk size (default 60000) */
  chunkSize?: number;
  /** ms to wait for each step before failing (default 10000) */
  timeoutMs?: number;
  /**
   * rtmps:// only: accept any certificate (self-signed, expired, another host's), as SRS Stack's forwards
   * do. Off by default: the server's certificate is verified against the system's CAs.
   */
  insecureSkipTlsVerify?: boolean;
}

export interface ParsedRtmpUrl {
  /** rtmps:// */
  tls: boolean;
  host: string;
  port: number;
  app: string;
  stream: string;
  tcUrl: string;
}

export function parseRtmpTarget(url: string): ParsedRtmpUrl {
  const m = /^(rtmps?):\/\/([^/:]+)(?::(\d+))?\/(.+)\/([^/]+)$/.exec(url);
  if (!m) throw new Error(`invalid RTMP URL ${url}: expected rtmp://host[:port]/app/stream or rtmps://host[:port]/app/stream`);
  const tls = m[1] === 'rtmps';
  const host = m[2]!;
  const port = m[3] ? Number(m[3]) : tls ? 443 : 1935;
  if (port < 1 || port > 65535) throw new Error(`invalid RTMP URL ${url}: port ${port} is out of range`);
  const app = m[4]!;
  return { tls, host, port, app, stream: m[5]!, tcUrl: `${m[1]}://${host}:${port}/${app}` };
}

export class RtmpClient {
  readonly frame = new TypedEvent<[Frame]>();
  /** the connection closed; the error that closed it, if any */
  readonly closed = new TypedEvent<[Error | null]>();
  /** every onStatus (code, description), also after publish/play started (e.g. NetStream.Play.Stop) */
  readonly status = new TypedEvent<[string, string]>();
  /** media messages -> frames; its counters say how many frames came and how many messages were skipped */
  readonly ingest = new RtmpIngest((f) => this.frame.emit(f));
  /** onStatus codes received, in order */
  readonly statuses: string[] = [];
  private socket: Socket | null = null;
  private readonly enc = new ChunkEncoder();
  private readonly decoder: ChunkDecoder;
  private readonly prefix = Buffer.alloc(16);
  private tx = 1;
  private readonly pending = new Map<number, (values: Amf0Value[]) => void>();
  private statusWaiter: ((code: string, description: string) => void) | null = null;
  private streamId = 0;
  private ackWindow = 0;
  private closeWatched = false;
  private markEnded: () => void = () => {};
  /** resolves once the connection is closed, or failed to open, or close() came before connect() */
  readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });
  private lastAck = 0;
  /** the Enhanced RTMP FourCCs the server answered our connect with ([] for a legacy server) */
  serverFourCcs: string[] = [];

  constructor(private readonly opts: RtmpClientOptions = {}) {
    this.decoder = new ChunkDecoder({ onMessage: (m) => this.onMessage(m), maxMessageSize: 64 * 1024 * 1024 });
  }

  get bytesReceived(): number {
    return this.decoder.bytesReceived;
  }

  /** Connects, handshakes and sends `connect`; resolves when the server accepted it. */
  async connect(url: string): Promise<ParsedRtmpUrl> {
    try {
      return await this.connectOnce(url);
    } catch (e) {
      this.socket?.destroy();
      if (!this.closeWatched) this.markEnded();
      throw e;
    }
  }

  /** connect() then publish() or play(); on failure the connection is closed (await `ended`). */
  async open(url: string, mode: 'publish' | 'play'): Promise<void> {
    const t = await this.connect(url);
    try {
      await (mode === 'publish' ? this.publish(t.stream) : this.play(t.stream));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private async connectOnce(url: string): Promise<ParsedRtmpUrl> {
    const t = parseRtmpTarget(url);
    const timeout = this.opts.timeoutMs ?? 10000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = t.tls
        ? tlsConnect({ port: t.port, host: t.host, servername: /^[\d.]+$|:/.test(t.host) ? undefined : t.host, rejectUnauthorized: !this.opts.insecureSkipTlsVerify }, () => resolve(s))
        : connect(t.port, t.host, () => resolve(s));
      s.once('error', (e: Error) => reject(new Error(`RTMP connect to ${t.tls ? 'rtmps' : 'rtmp'}://${t.host}:${t.port} failed: ${e.message}`)));
      // A TLS socket emits 'connect' when TCP is up: a timeout after it is a TLS handshake that never ended.
      let tcpUp = false;
      s.once('connect', () => (tcpUp = true));
      s.setTimeout(timeout, () =>
        s.destroy(new Error(t.tls && tcpUp ? `the TLS handshake did not finish within ${timeout} ms (is it an RTMPS port?)` : `RTMP connect to ${t.host}:${t.port} timed out`)),
      );
    });
    socket.setNoDelay(true);
    this.socket = socket;
    const hs = new HandshakeClient();
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        try {
          const r = hs.push(d);
          if (r.output) socket.write(r.output);
          if (r.done) {
            socket.off('data', onData);
            socket.off('error', reject);
            socket.on('data', (x: Buffer) => this.onData(x));
            if (r.rest) this.onData(r.rest);
            resolve();
          }
        } catch (e) {
          reject(e);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(hs.start());
    });
    socket.setTimeout(0);
    let lastError: Error | null = null;
    socket.on('error', (e) => {
      lastError = e;
    });
    this.closeWatched = true;
    socket.on('close', () => {
      this.markEnded();
      this.closed.emit(lastError);
    });
    const chunk = this.opts.chunkSize ?? 60000;
    socket.write(setChunkSize(chunk));
    this.enc.chunkSize = chunk;
    const res = await this.call('connect', { app: t.app, tcUrl: t.tcUrl, flashVer: 'FMLE/3.0', type: 'nonprivate', fpad: false, capabilities: 15, audioCodecs: 3191, videoCodecs: 252, videoFunction: 1, objectEncoding: 0, ...enhancedConnectRequest() });
    const info = res[3] as { code?: string; description?: string } | undefined;
    if (res[0] !== '_result') throw new Error(`RTMP connect refused: ${info?.description ?? info?.code ?? 'unknown'}`);
    const props = res[2];
    const list = props && typeof props === 'object' && !Array.isArray(props) && !(props instanceof Date) ? props.fourCcList : undefined;
    this.serverFourCcs = Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
    return t;
  }

  private call(name: string, obj: Amf0Value, ...args: Amf0Value[]): Promise<Amf0Value[]> {
    const tx = this.tx++;
    return this.withTimeout(
      new Promise<Amf0Value[]>((resolve) => {
        this.pending.set(tx, resolve);
        this.write(encodeCommand(this.enc, 3, 0, [name, tx, obj, ...args]));
      }),
      name,
    );
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = this.opts.timeoutMs ?? 10000;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`RTMP ${what}: no answer within ${ms} ms`)), ms);
      const onClose = this.closed.on(() => reject(new Error(`RTMP ${what}: connection closed`)));
      p.then(
        (v) => {
          clearTimeout(t);
          onClose();
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          onClose();
          reject(e);
        },
      );
    });
  }

  private waitStatus(expect: string, what: string): Promise<void> {
    return this.withTimeout(
      new Promise<void>((resolve, reject) => {
        this.statusWaiter = (code, description) => {
          if (code === expect) {
            this.statusWaiter = null;
            resolve();
          } else if (/Failed|Rejected|BadName|NotFound|error/i.test(code)) {
            this.statusWaiter = null;
            reject(new Error(`RTMP ${what} refused: ${code}: ${description}`));
          }
        };
      }),
      what,
    );
  }

  /** createStream + publish; resolves on NetStream.Publish.Start. */
  async publish(stream: string): Promise<void> {
    this.write(encodeCommand(this.enc, 3, 0, ['releaseStream', this.tx++, null, stream]));
    this.write(encodeCommand(this.enc, 3, 0, ['FCPublish', this.tx++, null, stream]));
    const r = await this.call('createStream', null);
    this.streamId = typeof r[3] === 'number' ? r[3] : 1;
    const started = this.waitStatus('NetStream.Publish.Start', 'publish');
    this.write(encodeCommand(this.enc, 4, this.streamId, ['publish', this.tx++, null, stream, 'live']));
    await started;
  }

  /** createStream + play; resolves on NetStream.Play.Start. Frames arrive on `frame`. */
  async play(stream: string): Promise<void> {
    const r = await this.call('createStream', null);
    this.streamId = typeof r[3] === 'number' ? r[3] : 1;
    const started = this.waitStatus('NetStream.Play.Start', 'play');
    this.write(encodeCommand(this.enc, 4, this.streamId, ['play', this.tx++, null, stream, -2]));
    await started;
  }

  /** Sends one frame of a publish. Returns false when the socket's buffer is full (caller may wait for drain). */
  sendFrame(f: Frame): boolean {
    const n = writeFlvBodyPrefix(f, this.prefix, 0);
    const type = f.type === 'video' ? MessageType.Video : f.type === 'audio' ? MessageType.Audio : MessageType.DataAmf0;
    const csid = f.type === 'video' ? 6 : f.type === 'audio' ? 7 : 5;
    return this.write(this.enc.encodeWithPrefix(csid, type, this.streamId, f.dts, this.prefix, n, f.data));
  }

  /** Writes raw bytes (tests use it to send malformed chunks). */
  write(b: Buffer): boolean {
    if (!this.socket || this.socket.destroyed) return false;
    return this.socket.write(b);
  }

  get rawSocket(): Socket | null {
    return this.socket;
  }

  close(): void {
    if (!this.socket) this.markEnded();
    this.socket?.destroy();
  }

  private onData(d: Buffer): void {
    try {
      this.decoder.push(d);
    } catch (e) {
      this.socket?.destroy(e as Error);
      return;
    }
    if (this.ackWindow > 0 && this.decoder.bytesReceived - this.lastAck >= this.ackWindow) {
      this.lastAck = this.decoder.bytesReceived;
      this.write(acknowledgement(this.lastAck >>> 0));
    }
  }

  private onMessage(m: RtmpMessage): void {
    switch (m.type) {
      case MessageType.WindowAckSize:
        this.ackWindow = m.payload.readUInt32BE(0);
        return;
      case MessageType.UserControl: {
        const uc = parseUserControl(m.payload);
        if (uc.event === UserControlEvent.PingRequest) this.write(userControl(UserControlEvent.PingResponse, uc.value));
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3: {
        const c = decodeCommand(m);
        if (c.name === '_result' || c.name === '_error') {
          const cb = this.pending.get(c.transactionId);
          if (cb) {
            this.pending.delete(c.transactionId);
            cb([c.name, c.transactionId, c.commandObject, ...c.args]);
          }
        } else if (c.name === 'onStatus') {
          const info = (c.args[0] ?? {}) as { code?: string; description?: string };
          const code = String(info.code ?? '');
          this.statuses.push(code);
          const description = String(info.description ?? '');
          this.statusWaiter?.(code, description);
          this.status.emit(code, description);
        }
        return;
      }
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
      case MessageType.Aggregate:
        this.ingest.push(m);
        return;
      default:
        return;
    }
  }
}
