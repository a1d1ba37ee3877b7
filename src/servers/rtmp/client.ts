// An RTMP client (Adobe RTMP spec 7.2): connects to rtmp://host[:port]/app/stream and publishes frames or
// plays them. Used to push streams to other servers (forwarding) and by tests and benchmarks.
import { connect, type Socket } from 'node:net';
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import type { Amf0Value } from '../../codecs/amf0.js';
import { flvBodyToFrame, FlvTagType, writeFlvBodyPrefix } from '../../codecs/flv.js';
import { HandshakeClient } from '../../codecs/rtmp/handshake.js';
import { ChunkDecoder, ChunkEncoder, type RtmpMessage } from '../../codecs/rtmp/chunk.js';
import { MessageType, UserControlEvent, decodeCommand, encodeCommand, parseUserControl, setChunkSize, userControl, acknowledgement } from '../../codecs/rtmp/messages.js';

export interface RtmpClientOptions {
  /** outgoing chunk size (default 60000) */
  chunkSize?: number;
  /** ms to wait for each step before failing (default 10000) */
  timeoutMs?: number;
}

interface ParsedRtmpUrl {
  host: string;
  port: number;
  app: string;
  stream: string;
  tcUrl: string;
}

export function parseRtmpTarget(url: string): ParsedRtmpUrl {
  const m = /^rtmp:\/\/([^/:]+)(?::(\d+))?\/(.+)\/([^/]+)$/.exec(url);
  if (!m) throw new Error(`invalid RTMP URL ${url}: expected rtmp://host[:port]/app/stream`);
  const host = m[1]!;
  const port = m[2] ? Number(m[2]) : 1935;
  const app = m[3]!;
  return { host, port, app, stream: m[4]!, tcUrl: `rtmp://${host}:${port}/${app}` };
}

export class RtmpClient {
  readonly frame = new TypedEvent<[Frame]>();
  readonly closed = new TypedEvent<[Error | null]>();
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
  private lastAck = 0;

  constructor(private readonly opts: RtmpClientOptions = {}) {
    this.decoder = new ChunkDecoder({ onMessage: (m) => this.onMessage(m), maxMessageSize: 64 * 1024 * 1024 });
  }

  get bytesReceived(): number {
    return this.decoder.bytesReceived;
  }

  /** Connects, handshakes and sends `connect`; resolves when the server accepted it. */
  async connect(url: string): Promise<ParsedRtmpUrl> {
    const t = parseRtmpTarget(url);
    const timeout = this.opts.timeoutMs ?? 10000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(t.port, t.host, () => resolve(s));
      s.once('error', reject);
      s.setTimeout(timeout, () => s.destroy(new Error(`RTMP connect to ${t.host}:${t.port} timed out`)));
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
    socket.on('error', () => {});
    socket.on('close', () => this.closed.emit(null));
    const chunk = this.opts.chunkSize ?? 60000;
    socket.write(setChunkSize(chunk));
    this.enc.chunkSize = chunk;
    const res = await this.call('connect', { app: t.app, tcUrl: t.tcUrl, flashVer: 'FMLE/3.0', type: 'nonprivate', fpad: false, capabilities: 15, audioCodecs: 3191, videoCodecs: 252, videoFunction: 1, objectEncoding: 0 });
    const info = res[3] as { code?: string; description?: string } | undefined;
    if (res[0] !== '_result') throw new Error(`RTMP connect refused: ${info?.description ?? info?.code ?? 'unknown'}`);
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
          this.statusWaiter?.(code, String(info.description ?? ''));
        }
        return;
      }
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0: {
        const t = m.type === MessageType.Audio ? FlvTagType.Audio : m.type === MessageType.Video ? FlvTagType.Video : FlvTagType.Script;
        try {
          const f = flvBodyToFrame(t, m.timestamp, m.payload);
          if (f) this.frame.emit(f);
        } catch {
          /* a frame we cannot read is skipped */
        }
        return;
      }
      default:
        return;
    }
  }
}
