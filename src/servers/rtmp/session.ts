// One RTMP connection (Adobe RTMP spec 7: NetConnection and NetStream commands): handshake, chunk stream,
// then either a publisher (rtmp -> hub) or a player (hub -> rtmp).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Frame } from '../../core/frame.js';
import { randomId } from '../../core/ids.js';
import { encodeAmf0, type Amf0Object, type Amf0Value } from '../../codecs/amf0.js';
import { enhancedConnectAnswer } from '../../codecs/rtmp/enhanced.js';
import { HandshakeServer } from '../../codecs/rtmp/handshake.js';
import { ChunkDecoder, ChunkEncoder, type RtmpMessage } from '../../codecs/rtmp/chunk.js';
import {
  MessageType,
  UserControlEvent,
  acknowledgement,
  decodeCommand,
  encodeCommand,
  parseUserControl,
  setChunkSize,
  setPeerBandwidth,
  userControl,
  windowAckSize,
} from '../../codecs/rtmp/messages.js';
import type { Client, ClientType } from '../../hub/client.js';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import type { Viewer } from '../../hub/channel.js';
import { parseRtmpUrl, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { MediaHooks, SessionInfo } from '../ports.js';
import { PublishGate } from '../publish-gate.js';
import { PLAY_CHUNK_SIZE, PLAY_STREAM_ID, rtmpFormat } from './rtmp-format.js';
import { RtmpIngest } from './ingest.js';

const WINDOW_ACK_SIZE = 2_500_000;
const CONTROL_CSID = 3;
const DEFAULT_IDLE_TIMEOUT_MS = 20000;

export interface RtmpSessionDeps {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
  maxMessageSize: number;
  /** a connection that sends nothing this long before it plays is closed, ms (default 20000) */
  idleTimeoutMs?: number;
}

type State = 'handshake' | 'connected' | 'authorizing' | 'publishing' | 'play-authorizing' | 'playing' | 'closed';

export class RtmpSession implements Client {
  readonly id = randomId(8);
  readonly ip: string;
  readonly createdAt = Date.now();
  type: ClientType = 'rtmp-play';
  url: StreamUrl = { vhost: '', app: '', stream: '', param: '' };
  requestUrl = '';
  publish = false;
  sendBytes = 0;
  recvBytes = 0;

  private state: State = 'handshake';
  private readonly handshake = new HandshakeServer();
  private readonly decoder: ChunkDecoder;
  private readonly enc = new ChunkEncoder();
  /** RTMP media messages -> Frames into the stream being published */
  private readonly ingest = new RtmpIngest((f) => this.stream?.publish(f));
  private readonly log: Logger;
  private app = '';
  private tcUrl = '';
  private pageUrl = '';
  private stream: Stream | null = null;
  private viewer: Viewer | null = null;
  private peerAckWindow = 0;
  private lastAcked = 0;
  private gate: PublishGate<RtmpMessage> | null = null;
  private registered = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: RtmpSessionDeps,
  ) {
    this.ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.log = deps.logger.child({ cid: this.id, ip: this.ip });
    this.decoder = new ChunkDecoder({
      maxMessageSize: deps.maxMessageSize,
      onMessage: (m) => this.onMessage(m),
    });
    socket.setNoDelay(true);
    // A handshake, connect or publish that stalls this long is dropped; players are exempt (they only read).
    const idleMs = deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    socket.setTimeout(idleMs, () => {
      if (this.state !== 'playing') this.close(`no data for ${idleMs / 1000} s while ${this.state}`);
    });
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.log.debug({ err: e.message }, 'rtmp socket error'));
    socket.on('close', () => this.cleanup('connection closed'));
    this.log.info({ event: 'connect', proto: 'rtmp' }, 'rtmp connection');
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.log.info({ reason }, 'rtmp close');
    this.cleanup(reason);
    this.socket.destroy();
  }

  private fail(reason: string): void {
    this.log.warn({ url: this.urlForLog() }, `rtmp protocol error, closing: ${reason}`);
    this.close(reason);
  }

  private urlForLog(): string {
    return this.url.stream ? `${this.url.vhost}${streamPath(this.url)}` : this.tcUrl;
  }

  private onData(d: Buffer): void {
    this.recvBytes += d.length;
    try {
      if (this.state === 'handshake') {
        const r = this.handshake.push(d);
        if (r.output) this.write(r.output);
        if (!r.done) return;
        this.state = 'connected';
        if (!r.rest || r.rest.length === 0) return;
        d = r.rest;
      }
      if (this.state === 'closed') return;
      this.decoder.push(d);
      this.maybeAck();
    } catch (e) {
      this.fail((e as Error).message);
    }
  }

  private maybeAck(): void {
    if (this.peerAckWindow <= 0) return;
    if (this.recvBytes - this.lastAcked >= this.peerAckWindow) {
      this.lastAcked = this.recvBytes;
      this.write(acknowledgement(this.recvBytes >>> 0));
    }
  }

  private write(b: Buffer): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.sendBytes += b.length;
    this.socket.write(b);
  }

  private onMessage(m: RtmpMessage): void {
    if (this.state === 'closed') return;
    switch (m.type) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.SetPeerBandwidth:
        return;
      case MessageType.WindowAckSize:
        if (m.payload.length >= 4) this.peerAckWindow = m.payload.readUInt32BE(0);
        return;
      case MessageType.UserControl: {
        const uc = parseUserControl(m.payload);
        if (uc.event === UserControlEvent.PingRequest) this.write(userControl(UserControlEvent.PingResponse, uc.value));
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(m);
        return;
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.onMedia(m);
        return;
      case MessageType.Aggregate:
        this.ingest.split(m, (sub) => this.onMedia(sub));
        return;
      default:
        return;
    }
  }

  private onMedia(m: RtmpMessage): void {
    if (this.state === 'authorizing') {
      // The payload may be a view into the socket's buffer: copy what we hold.
      this.gate?.hold({ ...m, payload: Buffer.from(m.payload) }, m.payload.length);
      return;
    }
    if (this.state !== 'publishing' || !this.stream) return;
    this.ingest.push(m);
  }

  private onCommand(m: RtmpMessage): void {
    const cmd = decodeCommand(m);
    const tx = cmd.transactionId;
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(tx, cmd.commandObject);
      case 'releaseStream':
      case 'FCPublish':
        this.sendCommand(0, ['_result', tx, null, undefined]);
        if (cmd.name === 'FCPublish') {
          this.sendCommand(0, ['onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: String(cmd.args[0] ?? '') }]);
        }
        return;
      case 'createStream':
        return this.sendCommand(0, ['_result', tx, null, PLAY_STREAM_ID]);
      case 'getStreamLength':
        return this.sendCommand(0, ['_result', tx, null, 0]);
      case 'publish':
        void this.onPublish(tx, String(cmd.args[0] ?? ''));
        return;
      case 'play':
        void this.onPlay(tx, String(cmd.args[0] ?? ''));
        return;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        if (this.state === 'publishing') {
          this.sendStatus('status', 'NetStream.Unpublish.Success', `unpublished ${this.urlForLog()}`);
          this.stopPublishing();
          this.state = 'connected';
        } else if (this.state === 'playing') {
          this.stopPlaying();
          this.state = 'connected';
        }
        if (cmd.name === 'FCUnpublish') this.sendCommand(0, ['_result', tx, null, undefined]);
        return;
      case 'pause':
      case 'receiveAudio':
      case 'receiveVideo':
      case '_checkbw':
      case '_result':
      case '_error':
      case 'onBWDone':
        return;
      default:
        this.log.debug({ command: cmd.name }, 'rtmp command ignored');
        if (tx > 0) this.sendCommand(0, ['_error', tx, null, statusObject('error', 'NetConnection.Call.Failed', `unknown command ${cmd.name}`)]);
    }
  }

  private onConnect(tx: number, obj: Amf0Value): void {
    const o = (obj && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Date) ? obj : {}) as Amf0Object;
    this.app = typeof o.app === 'string' ? o.app : '';
    this.tcUrl = typeof o.tcUrl === 'string' ? o.tcUrl : '';
    this.pageUrl = typeof o.pageUrl === 'string' ? o.pageUrl : '';
    this.write(windowAckSize(WINDOW_ACK_SIZE));
    this.write(setPeerBandwidth(WINDOW_ACK_SIZE, 2));
    this.write(setChunkSize(PLAY_CHUNK_SIZE));
    this.enc.chunkSize = PLAY_CHUNK_SIZE;
    this.sendCommand(0, [
      '_result',
      tx,
      { fmsVer: 'FMS/3,5,3,888', capabilities: 127, mode: 1, ...enhancedConnectAnswer(o) },
      {
        level: 'status',
        code: 'NetConnection.Connect.Success',
        description: 'Connection succeeded.',
        objectEncoding: typeof o.objectEncoding === 'number' ? o.objectEncoding : 0,
      },
    ]);
  }

  private resolveUrl(name: string): StreamUrl | null {
    return parseRtmpUrl(this.tcUrl, this.app, name);
  }

  private async onPublish(tx: number, name: string): Promise<void> {
    if (this.state !== 'connected') return this.fail(`publish while ${this.state}`);
    const url = this.resolveUrl(name);
    if (!url) {
      this.sendStatus('error', 'NetStream.Publish.BadName', `publish refused: missing or invalid stream name ${JSON.stringify(name)}; use rtmp://host/app/stream`);
      return this.close('bad stream name');
    }
    this.url = url;
    this.requestUrl = `${this.tcUrl.replace(/\/$/, '')}/${name}`;
    this.type = 'fmle-publish';
    this.publish = true;
    this.state = 'authorizing';
    const gate = new PublishGate<RtmpMessage>(this, 'rtmp', () => this.sessionInfo(), this.deps);
    this.gate = gate;
    const out = await gate.open();
    if (this.state !== 'authorizing') return;
    if (!out.ok) {
      this.sendStatus('error', out.why === 'busy' ? 'NetStream.Publish.BadName' : 'NetStream.Publish.Rejected', out.message);
      return this.close(out.why === 'busy' ? 'stream busy' : 'publish refused');
    }
    this.stream = out.publisher.stream;
    this.state = 'publishing';
    this.write(userControl(UserControlEvent.StreamBegin, PLAY_STREAM_ID));
    this.sendStatus('status', 'NetStream.Publish.Start', `Started publishing stream ${name}.`);
    for (const m of gate.takeHeld()) this.onMedia(m);
  }

  private async onPlay(tx: number, name: string): Promise<void> {
    void tx;
    if (this.state !== 'connected') return this.fail(`play while ${this.state}`);
    const url = this.resolveUrl(name);
    if (!url) {
      this.sendStatus('error', 'NetStream.Play.StreamNotFound', `play refused: missing or invalid stream name ${JSON.stringify(name)}`);
      return this.close('bad stream name');
    }
    this.url = url;
    this.requestUrl = `${this.tcUrl.replace(/\/$/, '')}/${name}`;
    this.type = 'rtmp-play';
    this.state = 'play-authorizing';
    const refusal = await this.deps.hooks.onPlay(this.sessionInfo());
    if (this.state !== 'play-authorizing') return; // the connection went away meanwhile
    if (refusal) {
      this.log.warn({ event: 'play-refused', url: this.urlForLog(), reason: refusal.message }, 'rtmp play refused');
      this.sendStatus('error', 'NetStream.Play.Failed', refusal.message);
      return this.close('play refused');
    }
    this.state = 'playing';
    this.register();
    const stream = this.deps.hub.stream(url);
    this.stream = stream;
    this.write(userControl(UserControlEvent.StreamBegin, PLAY_STREAM_ID));
    this.sendStatus('status', 'NetStream.Play.Reset', `Playing and resetting ${name}.`);
    this.sendStatus('status', 'NetStream.Play.Start', `Started playing ${name}.`);
    this.write(this.encodeData(['|RtmpSampleAccess', false, false]));
    this.viewer = stream.addViewer(rtmpFormat, this, this.socket, {
      onUnpublish: () => this.sendStatus('status', 'NetStream.Play.UnpublishNotify', `${name} is now unpublished.`),
      onRepublish: () => {
        this.write(userControl(UserControlEvent.StreamBegin, PLAY_STREAM_ID));
        this.sendStatus('status', 'NetStream.Play.PublishNotify', `${name} is now published.`);
      },
      onEnd: () => {
        this.viewer = null;
        this.write(userControl(UserControlEvent.StreamEOF, PLAY_STREAM_ID));
        this.sendStatus('status', 'NetStream.Play.Stop', `Stopped playing ${name}: the stream ended.`);
        this.socket.end();
      },
    });
    this.log.info({ event: 'play', url: this.urlForLog(), proto: 'rtmp' }, 'play start');
  }

  private register(): void {
    if (this.registered) return;
    this.registered = true;
    this.deps.hub.clients.add(this);
  }

  private sessionInfo(): SessionInfo {
    return { clientId: this.id, ip: this.ip, type: this.type, url: this.url, requestUrl: this.requestUrl, ...(this.pageUrl ? { pageUrl: this.pageUrl } : {}) };
  }

  private stopPublishing(): void {
    this.stream = null;
    this.gate?.close();
    this.gate = null;
  }

  private stopPlaying(): void {
    const s = this.stream;
    this.stream = null;
    if (s && this.viewer) {
      s.removeViewer(this.viewer);
      this.log.info({ event: 'stop', url: this.urlForLog(), drops: this.viewer.drops }, 'play end');
    }
    if (s) this.deps.hooks.onStop(this.sessionInfo());
    this.viewer = null;
  }

  private cleanup(reason: string): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    if (was === 'publishing' || was === 'authorizing') this.stopPublishing();
    if (was === 'playing') this.stopPlaying();
    this.deps.hub.clients.remove(this);
    this.log.info({ event: 'disconnect', reason, recv: this.recvBytes, sent: this.sendBytes }, 'rtmp connection end');
  }

  private sendCommand(streamId: number, values: Amf0Value[]): void {
    this.write(encodeCommand(this.enc, CONTROL_CSID, streamId, values));
  }

  private encodeData(values: Amf0Value[]): Buffer {
    return this.enc.encode(5, MessageType.DataAmf0, PLAY_STREAM_ID, 0, [encodeAmf0(values)]);
  }

  private sendStatus(level: 'status' | 'error', code: string, description: string): void {
    this.sendCommand(PLAY_STREAM_ID, ['onStatus', 0, null, statusObject(level, code, description)]);
  }
}

function statusObject(level: string, code: string, description: string): Amf0Object {
  return { level, code, description, clientid: 'srs-node' };
}

