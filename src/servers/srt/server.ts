// SRT (UDP, default port 10080) over the native libsrt binding: publishers send MPEG-TS (srt -> TS demuxer ->
// hub), players receive the stream's shared TS serialization (hub -> TS -> srt). Stream ids follow SRT's
// AccessControl.md ("#!::h=vhost,r=app/stream?query,m=publish|request") or the plain "app/stream?query".
import type { Logger } from 'pino';
import { randomId } from '../../core/ids.js';
import type { Client, ClientType } from '../../hub/client.js';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import type { ByteSink, Viewer } from '../../hub/channel.js';
import { DEFAULT_VHOST, isValidName, queryParams, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { MediaHooks, SessionInfo } from '../ports.js';
import { PublishGate } from '../publish-gate.js';
import { TsIngest } from '../mpegts/ts-ingest.js';
import { tsFormat } from '../mpegts/ts-format.js';
import { SrtServer, type SrtConnection } from '../../../native/srt/index.js';
import { srtBufferPlan } from './buffers.js';

export interface SrtServerDeps {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
  /** SRTO_LATENCY, ms */
  latencyMs: number;
  /** SRTO_PASSPHRASE, or null for none */
  passphrase: string | null;
  /** SRTO_MAXBW, bytes/s (-1 infinite) */
  maxBw: number;
}

export interface ParsedStreamId {
  url: StreamUrl;
  publish: boolean;
}

/** Parses an SRT stream id; null when it names no stream. */
export function parseSrtStreamId(sid: string): ParsedStreamId | null {
  let resource = '';
  let host = '';
  let mode = '';
  if (sid.startsWith('#!::')) {
    for (const kv of splitKeyValues(sid.slice(4))) {
      const eq = kv.indexOf('=');
      if (eq < 0) continue;
      const k = kv.slice(0, eq).trim();
      const v = kv.slice(eq + 1).trim();
      if (k === 'r') resource = v;
      else if (k === 'h') host = v;
      else if (k === 'm') mode = v;
    }
  } else {
    resource = sid.trim();
  }
  const q = resource.indexOf('?');
  const path = (q < 0 ? resource : resource.slice(0, q)).replace(/^\/+/, '');
  const param = q < 0 ? '' : resource.slice(q);
  const params = queryParams(param);
  if (!mode) mode = params.get('m') ?? 'request';
  const slash = path.lastIndexOf('/');
  if (slash <= 0) return null;
  const app = path.slice(0, slash);
  const stream = path.slice(slash + 1);
  if (!isValidName(app) || !isValidName(stream)) return null;
  const vhost = params.get('vhost') || (host && !/^[0-9.]+$/.test(host) && host !== 'localhost' ? host : '') || DEFAULT_VHOST;
  return { url: { vhost, app, stream, param }, publish: mode === 'publish' };
}

/** Splits "r=live/s?a=1,m=publish" on commas that start a new key (a query may hold commas too). */
function splitKeyValues(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const part of s.split(',')) {
    if (cur && /^\s*[a-zA-Z]+=/.test(part)) {
      out.push(cur);
      cur = part;
    } else {
      cur = cur ? `${cur},${part}` : part;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** A player's SRT connection as a hub byte sink: SRT drops what its send buffer cannot take (live mode). */
class SrtSink implements ByteSink {
  readonly writableLength = 0;
  dropped = 0;
  constructor(private readonly conn: SrtConnection) {}
  write(buf: Buffer): boolean {
    const ok = this.conn.write(buf);
    if (!ok) this.dropped += buf.length;
    return ok;
  }
}

class SrtSession implements Client {
  readonly id = randomId(8);
  readonly createdAt = Date.now();
  sendBytes = 0;
  recvBytes = 0;
  readonly ip: string;
  readonly type: ClientType;
  readonly publish: boolean;
  readonly requestUrl: string;
  private stream: Stream | null = null;
  private viewer: Viewer | null = null;
  private gate: PublishGate | null = null;
  private closed = false;
  /** the play was allowed (on_stop is owed when it ends) */
  private playing = false;
  private readonly log: Logger;

  constructor(
    private readonly conn: SrtConnection,
    readonly url: StreamUrl,
    publish: boolean,
    private readonly deps: SrtServerDeps,
  ) {
    this.ip = conn.remoteAddress;
    this.publish = publish;
    this.type = publish ? 'srt-publish' : 'srt-play';
    this.requestUrl = `srt://?streamid=${conn.streamId}`;
    this.log = deps.logger.child({ cid: this.id, ip: this.ip });
    conn.on('close', (_reason, detail) => this.cleanup(detail || 'connection closed'));
  }

  private get urlForLog(): string {
    return `${this.url.vhost}${streamPath(this.url)}`;
  }

  private info(): SessionInfo {
    return { clientId: this.id, ip: this.ip, type: this.type, url: this.url, requestUrl: this.requestUrl };
  }

  close(reason: string): void {
    if (this.closed) return;
    this.log.info({ reason, url: this.urlForLog }, 'srt close');
    this.cleanup(reason);
    this.conn.close();
  }

  async start(): Promise<void> {
    this.log.info({ event: 'connect', proto: 'srt', url: this.urlForLog, streamid: this.conn.streamId, publish: this.publish }, 'srt connection');
    if (!this.publish) {
      const refusal = await this.deps.hooks.onPlay(this.info());
      if (this.closed) return;
      if (refusal) {
        this.log.warn({ event: 'play-refused', url: this.urlForLog, reason: refusal.message }, 'srt play refused');
        return this.close(`play refused: ${refusal.message}`);
      }
      this.playing = true;
      this.deps.hub.clients.add(this);
      return this.startPlay();
    }
    // Hold what arrives while the publish is being authorized (bounded, in the gate).
    const gate = new PublishGate(this, 'srt', () => this.info(), this.deps);
    this.gate = gate;
    const hold = (d: Buffer) => {
      this.recvBytes += d.length;
      gate.hold(d, d.length);
    };
    this.conn.on('data', hold);
    const out = await gate.open();
    this.conn.off('data', hold);
    if (this.closed) return;
    if (!out.ok) return this.close(out.why === 'busy' ? 'stream busy' : 'publish refused');
    this.stream = out.publisher.stream;
    const ingest = new TsIngest(out.publisher, this.log);
    for (const d of gate.takeHeld()) ingest.push(d);
    this.conn.on('data', (d) => {
      this.recvBytes += d.length;
      ingest.push(d);
    });
  }

  private startPlay(): void {
    const stream = this.deps.hub.get(this.url);
    if (!stream || !stream.active) {
      this.log.warn({ url: this.urlForLog }, `srt play refused: stream ${streamPath(this.url)} is not published`);
      return this.close('stream not found');
    }
    this.stream = stream;
    const sink = new SrtSink(this.conn);
    this.viewer = stream.addViewer(tsFormat, this, sink, {
      onEnd: () => {
        this.viewer = null;
        this.close('stream ended');
      },
    });
    this.log.info({ event: 'play', url: this.urlForLog, proto: 'srt' }, 'play start');
  }

  private cleanup(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const { hub } = this.deps;
    const s = this.stream;
    this.stream = null;
    this.gate?.close();
    this.gate = null;
    if (s && this.viewer) {
      s.removeViewer(this.viewer);
      this.log.info({ event: 'stop', url: this.urlForLog, drops: this.viewer.drops }, 'play end');
    }
    this.viewer = null;
    hub.clients.remove(this);
    if (this.playing) this.deps.hooks.onStop(this.info());
    this.log.info({ event: 'disconnect', reason, recv: this.recvBytes, sent: this.sendBytes }, 'srt connection end');
  }
}

export class SrtMediaServer {
  private readonly server: SrtServer;
  private readonly sessions = new Set<SrtSession>();

  constructor(private readonly deps: SrtServerDeps) {
    // Publishers keep the listener's receive buffers; players, which only receive ACKs, get libsrt's
    // minimum receive window and a send buffer sized for retransmission (buffers.ts).
    const buffers = srtBufferPlan(deps.latencyMs, deps.maxBw);
    deps.logger.debug({ listener: buffers.listener, player: buffers.player }, 'srt buffer sizes');
    this.server = new SrtServer({
      latency: deps.latencyMs,
      ...(deps.passphrase ? { passphrase: deps.passphrase } : {}),
      maxBw: deps.maxBw,
      ...buffers.listener,
      playerOptions: buffers.player,
    });
    this.server.on('error', (e) => deps.logger.error({ err: e.message }, 'srt server error'));
    this.server.on('rejected', (peer, reason) => deps.logger.warn({ ip: peer.remoteAddress, streamid: peer.streamId, reason }, 'srt connection rejected during handshake'));
    this.server.on('connection', (conn) => this.onConnection(conn));
  }

  private onConnection(conn: SrtConnection): void {
    const parsed = parseSrtStreamId(conn.streamId);
    if (!parsed) {
      this.deps.logger.warn(
        { ip: conn.remoteAddress, streamid: conn.streamId },
        'srt connection refused: the streamid names no stream; use #!::r=live/STREAM,m=publish (or m=request to play)',
      );
      conn.close();
      return;
    }
    const s = new SrtSession(conn, parsed.url, parsed.publish, this.deps);
    this.sessions.add(s);
    conn.on('close', () => this.sessions.delete(s));
    void s.start();
  }

  async listen(port: number, host: string): Promise<number> {
    try {
      const a = await this.server.listen(port, host);
      return a.port;
    } catch (e) {
      throw new Error(`SRT cannot listen on ${host}:${port}: ${(e as Error).message}; set SRT_PORT to a free UDP port`);
    }
  }

  close(): void {
    for (const s of this.sessions) s.close('server shutdown');
    this.server.close();
  }
}
