// The load client (a child of the orchestrator): many HTTP-FLV or RTMP viewers in one process that parse only
// what they must — the HTTP head and chunked-encoding sizes, FLV tag headers, RTMP chunk headers and the few
// control/command messages needed to start playing — and skip media bodies, keeping only the first bytes of
// each video frame to read its keyframe flag and the bench publisher's wall-clock stamp.
// argv: <target JSON>. Commands arrive over IPC (see ClientCommand in common.ts).
import { connect, type Socket } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { ChunkEncoder } from '../src/codecs/rtmp/chunk.js';
import {
  MessageType,
  UserControlEvent,
  acknowledgement,
  decodeCommand,
  encodeCommand,
  userControl,
} from '../src/codecs/rtmp/messages.js';
import {
  Histogram,
  STAMP_CAPTURE,
  STAMP_HEX_OFFSET,
  readStamp,
  wallNow,
  type ClientCommand,
  type ClientReply,
  type Target,
  type ViewerWindow,
} from './common.js';

const target = JSON.parse(process.argv[2] ?? '{}') as Target;
const CONNECT_TIMEOUT_MS = 15000;

/** Process-wide measurement state. */
const state = {
  window: false,
  /** wall ms at the middle of the window */
  half: 0,
  hist: new Histogram(),
  closed: 0,
};

abstract class Viewer {
  /** payload bytes received (FLV tag bodies / RTMP message payloads of media and data) */
  payload = 0;
  /** per keyframe in the window: ts, payload before it, arrival wall ms, latency ms or -1 */
  keys: number[] = [];
  windowBytes0 = 0;
  /** latency sums and counts of stamped frames in the first and second half of the window */
  lat1 = 0;
  n1 = 0;
  lat2 = 0;
  n2 = 0;
  stalled = false;
  /** the stall viewer pauses at its first media bytes */
  stallOnMedia = false;
  playing = false;
  dead = false;
  readonly startedAt = wallNow();
  firstKeyAt = 0;
  onPlaying: ((ok: boolean, err?: string) => void) | null = null;
  onFirstKey: (() => void) | null = null;
  protected readonly cap = Buffer.alloc(STAMP_CAPTURE);
  protected capLen = 0;
  protected capNeed = 0;
  protected now = 0;

  constructor(readonly sock: Socket) {
    sock.on('error', (e) => this.fail(e.message));
    sock.on('close', () => {
      if (!this.dead) {
        this.dead = true;
        if (this.playing) state.closed++;
        this.onPlaying?.(false, 'connection closed');
        this.onPlaying = null;
      }
    });
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (!this.playing) this.fail('timed out before playing');
    });
  }

  protected abstract onData(d: Buffer): void;

  /** Bytes read into the process-wide read buffer (valid only during this call). */
  onRead(buf: Buffer, n: number): boolean {
    this.now = wallNow();
    try {
      this.onData(buf.subarray(0, n));
    } catch (e) {
      this.fail((e as Error).message);
    }
    return !this.stalled;
  }

  protected started(): void {
    this.playing = true;
    this.sock.setTimeout(0);
    this.onPlaying?.(true);
    this.onPlaying = null;
  }

  fail(msg: string): void {
    if (this.dead) return;
    this.onPlaying?.(false, msg);
    this.onPlaying = null;
    this.sock.destroy();
  }

  protected mediaSeen(): void {
    if (this.stallOnMedia && !this.stalled) {
      this.stalled = true;
      this.sock.pause();
    }
  }

  /** A video body's first bytes are in `cap` (capLen of them); `ts` is the tag timestamp, `before` the payload before it. */
  protected onVideo(ts: number, before: number): void {
    const c = this.cap;
    const key = c[0]! >> 4 === 1 && c[1] === 1;
    let lat = -1;
    if (this.capLen >= STAMP_CAPTURE && c[9] === 0x06 && c[10] === 0x05) {
      const st = readStamp(c, STAMP_HEX_OFFSET);
      if (st === st) {
        lat = this.now - st;
        if (state.window && !this.stalled) {
          state.hist.add(lat);
          if (this.now < state.half) {
            this.lat1 += lat;
            this.n1++;
          } else {
            this.lat2 += lat;
            this.n2++;
          }
        }
      }
    }
    if (key) {
      if (this.firstKeyAt === 0) {
        this.firstKeyAt = this.now;
        this.onFirstKey?.();
      }
      if (state.window && !this.stalled) this.keys.push(ts, before, this.now, lat);
    }
  }
}

const enum Http {
  Head,
  SizeLine,
  Data,
  DataEnd,
  Identity,
}

const enum Flv {
  FileHeader,
  TagHeader,
  Body,
}

/** An HTTP-FLV viewer: GET, then chunked (or identity) body carrying FLV tags. */
class FlvViewer extends Viewer {
  private http = Http.Head;
  private head = '';
  private chunkLeft = 0;
  private sizeVal = 0;
  private endLeft = 0;
  private flv = Flv.FileHeader;
  private skip = 13;
  private readonly hdr = Buffer.alloc(11);
  private hdrLen = 0;
  private tagType = 0;
  private tagTs = 0;
  private tagBefore = 0;
  private left = 0;

  constructor(sock: Socket) {
    super(sock);
    sock.once('connect', () => {
      sock.write(`GET /${target.app}/${target.stream}.flv${target.query ?? ''} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUser-Agent: srs-node-bench\r\nAccept: */*\r\n\r\n`);
    });
  }

  protected onData(d: Buffer): void {
    let p = 0;
    const end = d.length;
    while (p < end) {
      switch (this.http) {
        case Http.Head: {
          let head: string;
          if (this.head === '') {
            const i = d.indexOf('\r\n\r\n', p, 'latin1');
            if (i < 0) {
              this.head = d.toString('latin1', p, end);
              return;
            }
            head = d.toString('latin1', p, i);
            p = i + 4;
          } else {
            // the head spans packets: it is short, so search a string of it plus this packet's start
            const all = this.head + d.toString('latin1', p, Math.min(end, p + 4096));
            const i = all.indexOf('\r\n\r\n');
            if (i < 0) {
              this.head = all;
              if (all.length > 16384) return this.fail('HTTP head too long');
              return;
            }
            head = all.slice(0, i);
            p += i + 4 - this.head.length;
            this.head = '';
          }
          if (!/^HTTP\/1\.[01] 200/.test(head)) return this.fail(`HTTP ${head.split('\r\n')[0]}`);
          this.http = /\r\ntransfer-encoding:\s*chunked/i.test(head) ? Http.SizeLine : Http.Identity;
          this.started();
          break;
        }
        case Http.SizeLine: {
          const c = d[p++]!;
          if (c === 0x0a) {
            if (this.sizeVal === 0) return void this.sock.end();
            this.chunkLeft = this.sizeVal;
            this.sizeVal = 0;
            this.http = Http.Data;
          } else if (c >= 0x30 && c <= 0x39) this.sizeVal = this.sizeVal * 16 + (c - 0x30);
          else if (c >= 0x61 && c <= 0x66) this.sizeVal = this.sizeVal * 16 + (c - 0x57);
          else if (c >= 0x41 && c <= 0x46) this.sizeVal = this.sizeVal * 16 + (c - 0x37);
          break;
        }
        case Http.Data: {
          const n = Math.min(this.chunkLeft, end - p);
          this.flvBytes(d, p, p + n);
          p += n;
          this.chunkLeft -= n;
          if (this.chunkLeft === 0) {
            this.http = Http.DataEnd;
            this.endLeft = 2;
          }
          break;
        }
        case Http.DataEnd: {
          const n = Math.min(this.endLeft, end - p);
          p += n;
          this.endLeft -= n;
          if (this.endLeft === 0) this.http = Http.SizeLine;
          break;
        }
        case Http.Identity:
          this.flvBytes(d, p, end);
          p = end;
          break;
      }
      if (this.stalled) return;
    }
  }

  private flvBytes(d: Buffer, p: number, end: number): void {
    while (p < end) {
      if (this.flv === Flv.FileHeader) {
        const n = Math.min(this.skip, end - p);
        p += n;
        this.skip -= n;
        if (this.skip === 0) {
          this.flv = Flv.TagHeader;
          this.hdrLen = 0;
        }
      } else if (this.flv === Flv.TagHeader) {
        const n = Math.min(11 - this.hdrLen, end - p);
        d.copy(this.hdr, this.hdrLen, p, p + n);
        this.hdrLen += n;
        p += n;
        if (this.hdrLen === 11) {
          const h = this.hdr;
          this.tagType = h[0]! & 0x1f;
          const size = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
          this.tagTs = (((h[4]! << 16) | (h[5]! << 8) | h[6]!) + h[7]! * 16777216) >>> 0;
          this.tagBefore = this.payload;
          this.payload += size;
          this.left = size + 4;
          this.capLen = 0;
          this.capNeed = this.tagType === 9 ? Math.min(STAMP_CAPTURE, size) : 0;
          this.flv = Flv.Body;
          this.mediaSeen();
          if (this.capNeed === 0 && this.tagType === 9) this.onVideo(this.tagTs, this.tagBefore);
        }
      } else {
        if (this.capLen < this.capNeed) {
          const n = Math.min(this.capNeed - this.capLen, end - p);
          d.copy(this.cap, this.capLen, p, p + n);
          this.capLen += n;
          p += n;
          this.left -= n;
          if (this.capLen === this.capNeed) this.onVideo(this.tagTs, this.tagBefore);
        } else {
          const n = Math.min(this.left, end - p);
          p += n;
          this.left -= n;
        }
        if (this.left === 0) {
          this.flv = Flv.TagHeader;
          this.hdrLen = 0;
        }
      }
    }
  }
}

/** Per chunk stream id state of the RTMP chunk parser (Adobe RTMP spec 5.3.1). */
interface ChunkStream {
  ts: number;
  delta: number;
  len: number;
  type: number;
  sid: number;
  ext: boolean;
  /** bytes of the current message still to come; 0 when the next chunk starts a message */
  left: number;
  /** payload of a control/command message being assembled */
  buf: Buffer | null;
  fill: number;
  before: number;
}

const RTMP_HANDSHAKE = 1536;

/** An RTMP viewer: handshake, connect, createStream, play; then chunk headers only. */
class RtmpViewer extends Viewer {
  private hs = true;
  private hsBuf = Buffer.alloc(1 + 2 * RTMP_HANDSHAKE);
  private hsFill = 0;
  private readonly enc = new ChunkEncoder();
  private chunkSize = 128;
  private readonly streams = new Map<number, ChunkStream>();
  private readonly hb = Buffer.alloc(18);
  private hbLen = 0;
  private cur: ChunkStream | null = null;
  private chunkLeft = 0;
  private bytesIn = 0;
  private ackWindow = 0;
  private lastAck = 0;
  private streamId = 1;

  constructor(sock: Socket) {
    super(sock);
    sock.once('connect', () => {
      const c0c1 = Buffer.alloc(1 + RTMP_HANDSHAKE);
      c0c1[0] = 3;
      randomFillSync(c0c1, 9);
      sock.write(c0c1);
    });
  }

  private command(csid: number, sid: number, values: Parameters<typeof encodeCommand>[3]): void {
    this.sock.write(encodeCommand(this.enc, csid, sid, values));
  }

  protected onData(d: Buffer): void {
    this.bytesIn += d.length;
    let p = 0;
    if (this.hs) {
      const n = Math.min(this.hsBuf.length - this.hsFill, d.length);
      d.copy(this.hsBuf, this.hsFill, 0, n);
      this.hsFill += n;
      p = n;
      if (this.hsFill < this.hsBuf.length) return;
      this.hs = false;
      this.sock.write(this.hsBuf.subarray(1, 1 + RTMP_HANDSHAKE)); // C2 echoes S1
      const tcUrl = `rtmp://${target.host}:${target.port}/${target.app}`;
      this.command(3, 0, ['connect', 1, { app: target.app, tcUrl, flashVer: 'LNX 9,0,124,2', fpad: false, capabilities: 15, audioCodecs: 3575, videoCodecs: 252, videoFunction: 1, objectEncoding: 0 }]);
    }
    if (this.ackWindow > 0 && this.bytesIn - this.lastAck >= this.ackWindow) {
      this.lastAck = this.bytesIn;
      this.sock.write(acknowledgement(this.bytesIn >>> 0));
    }
    const end = d.length;
    while (p < end) {
      if (this.cur === null) {
        const had = this.hbLen;
        const take = Math.min(18 - had, end - p);
        d.copy(this.hb, had, p, p + take);
        const used = this.parseHeader(had + take);
        if (used < 0) {
          this.hbLen = had + take;
          return;
        }
        this.hbLen = 0;
        p += used - had;
        continue;
      }
      const cs = this.cur;
      const n = Math.min(this.chunkLeft, end - p);
      if (cs.buf) {
        d.copy(cs.buf, cs.fill, p, p + n);
        cs.fill += n;
      } else if (this.capLen < this.capNeed) {
        const c = Math.min(this.capNeed - this.capLen, n);
        d.copy(this.cap, this.capLen, p, p + c);
        this.capLen += c;
        if (this.capLen === this.capNeed) this.onVideo(cs.ts, cs.before);
      }
      p += n;
      this.chunkLeft -= n;
      cs.left -= n;
      if (this.chunkLeft === 0) {
        this.cur = null;
        if (cs.left === 0 && cs.buf) {
          const payload = cs.buf;
          cs.buf = null;
          this.onControl(cs, payload);
        }
      }
      if (this.stalled) return;
    }
  }

  /** Parses a chunk header from hb[0..len); returns its length, or -1 when more bytes are needed. */
  private parseHeader(len: number): number {
    const h = this.hb;
    if (len < 1) return -1;
    const fmt = h[0]! >> 6;
    let csid = h[0]! & 0x3f;
    let i = 1;
    if (csid === 0) {
      if (len < 2) return -1;
      csid = 64 + h[1]!;
      i = 2;
    } else if (csid === 1) {
      if (len < 3) return -1;
      csid = 64 + h[1]! + h[2]! * 256;
      i = 3;
    }
    const mh = fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0;
    if (len < i + mh) return -1;
    let cs = this.streams.get(csid);
    if (!cs) {
      cs = { ts: 0, delta: 0, len: 0, type: 0, sid: 0, ext: false, left: 0, buf: null, fill: 0, before: 0 };
      this.streams.set(csid, cs);
    }
    let t = 0;
    if (fmt <= 2) t = (h[i]! << 16) | (h[i + 1]! << 8) | h[i + 2]!;
    const ext = fmt <= 2 ? t === 0xffffff : cs.ext;
    const extPos = i + mh;
    if (ext && len < extPos + 4) return -1;
    if (ext) t = h.readUInt32BE(extPos);
    const newMessage = cs.left === 0;
    if (fmt === 0) {
      cs.ts = t;
      cs.delta = 0;
      cs.len = (h[i + 3]! << 16) | (h[i + 4]! << 8) | h[i + 5]!;
      cs.type = h[i + 6]!;
      cs.sid = h.readUInt32LE(i + 7);
    } else if (fmt === 1) {
      cs.delta = t;
      cs.ts = (cs.ts + t) >>> 0;
      cs.len = (h[i + 3]! << 16) | (h[i + 4]! << 8) | h[i + 5]!;
      cs.type = h[i + 6]!;
    } else if (fmt === 2) {
      cs.delta = t;
      cs.ts = (cs.ts + t) >>> 0;
    } else if (newMessage) {
      cs.ts = (cs.ts + cs.delta) >>> 0;
    }
    if (fmt <= 2) cs.ext = ext;
    if (newMessage) {
      cs.left = cs.len;
      const media = cs.type === MessageType.Audio || cs.type === MessageType.Video || cs.type === MessageType.DataAmf0;
      if (media) {
        cs.before = this.payload;
        this.payload += cs.len;
        cs.buf = null;
        if (cs.type !== MessageType.DataAmf0) this.mediaSeen();
        this.capLen = 0;
        this.capNeed = cs.type === MessageType.Video ? Math.min(STAMP_CAPTURE, cs.len) : 0;
        if (cs.type === MessageType.Video && this.capNeed === 0) this.onVideo(cs.ts, cs.before);
        if (!this.playing && cs.type !== MessageType.DataAmf0) this.started();
      } else {
        cs.buf = Buffer.alloc(cs.len);
        cs.fill = 0;
      }
    }
    this.cur = cs;
    this.chunkLeft = Math.min(this.chunkSize, cs.left);
    if (this.chunkLeft === 0) {
      // an empty message
      this.cur = null;
      if (cs.buf) {
        const payload = cs.buf;
        cs.buf = null;
        this.onControl(cs, payload);
      }
    }
    return extPos + (ext ? 4 : 0);
  }

  private onControl(cs: ChunkStream, payload: Buffer): void {
    switch (cs.type) {
      case MessageType.SetChunkSize:
        this.chunkSize = payload.readUInt32BE(0) & 0x7fffffff;
        return;
      case MessageType.WindowAckSize:
        this.ackWindow = payload.readUInt32BE(0);
        return;
      case MessageType.UserControl:
        if (payload.readUInt16BE(0) === UserControlEvent.PingRequest) {
          this.sock.write(userControl(UserControlEvent.PingResponse, payload.readUInt32BE(2)));
        }
        return;
      case MessageType.CommandAmf0: {
        const c = decodeCommand({ csid: 3, type: cs.type, streamId: cs.sid, timestamp: cs.ts, payload });
        if (c.name === '_result' && c.transactionId === 1) {
          this.command(3, 0, ['createStream', 2, null]);
        } else if (c.name === '_result' && c.transactionId === 2) {
          this.streamId = typeof c.args[0] === 'number' ? c.args[0] : 1;
          this.sock.write(userControl(UserControlEvent.SetBufferLength, this.streamId, 1000));
          this.command(8, this.streamId, ['play', 0, null, `${target.stream}${target.query ?? ''}`, -2]);
        } else if (c.name === '_error') {
          this.fail(`RTMP ${c.name} for transaction ${c.transactionId}`);
        } else if (c.name === 'onStatus') {
          const info = (c.args[0] ?? {}) as { code?: string };
          if (info.code === 'NetStream.Play.Start' && !this.playing) this.started();
          else if (/Failed|NotFound|Rejected|BadName/.test(String(info.code))) this.fail(String(info.code));
        }
        return;
      }
      default:
        return;
    }
  }
}

const viewers: Viewer[] = [];

/** One read buffer for every socket: reads are handled synchronously and nothing keeps a view of it. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

function open(stallOnMedia: boolean): Viewer {
  let v: Viewer | null = null;
  const sock = connect({
    host: target.host,
    port: target.port,
    onread: { buffer: READ_BUFFER, callback: (n: number, buf: Buffer) => (v ? v.onRead(buf, n) : true) },
  });
  sock.setNoDelay(true);
  v = target.proto === 'flv' ? new FlvViewer(sock) : new RtmpViewer(sock);
  v.stallOnMedia = stallOnMedia;
  return v;
}

function waitPlaying(v: Viewer): Promise<string | null> {
  return new Promise((resolve) => {
    if (v.playing) return resolve(null);
    v.onPlaying = (ok, err) => resolve(ok ? null : (err ?? 'failed'));
  });
}

/** Opens n viewers, at most 64 handshakes in flight. */
async function add(n: number, stalled: boolean): Promise<{ connected: number; failed: number; error?: string }> {
  let connected = 0;
  let failed = 0;
  let lastError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const v = open(stalled);
      const err = await waitPlaying(v);
      if (err) {
        failed++;
        lastError = err;
        v.sock.destroy();
      } else {
        connected++;
        viewers.push(v);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, n) }, worker));
  return { connected, failed, error: lastError };
}

let cpu0 = process.cpuUsage();
let wall0 = 0;

function windowStart(seconds: number): void {
  state.window = true;
  state.half = wallNow() + (seconds * 1000) / 2;
  state.hist.reset();
  for (const v of viewers) {
    v.keys = [];
    v.windowBytes0 = v.payload;
    v.lat1 = v.n1 = v.lat2 = v.n2 = 0;
  }
  cpu0 = process.cpuUsage();
  wall0 = performance.now();
}

function windowEnd(): ClientReply['window'] {
  state.window = false;
  const cpu = process.cpuUsage(cpu0);
  const elapsed = performance.now() - wall0;
  const out: ViewerWindow[] = [];
  let stalled = 0;
  for (const v of viewers) {
    if (v.stalled || v.stallOnMedia) {
      stalled++;
      continue;
    }
    out.push({
      keys: v.dead ? [] : v.keys,
      bytes: v.payload - v.windowBytes0,
      lat1: v.n1 ? v.lat1 / v.n1 : -1,
      lat2: v.n2 ? v.lat2 / v.n2 : -1,
    });
  }
  return {
    viewers: out,
    latency: state.hist.toSparse(),
    cpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    closed: state.closed,
    stalled,
  };
}

/** Time to first keyframe for new viewers, one after another (M5). */
async function probe(count: number, gapMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = open(false);
    const t = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 10000);
      v.onFirstKey = () => {
        clearTimeout(timer);
        resolve(v.firstKeyAt - v.startedAt);
      };
      v.sock.on('close', () => {
        clearTimeout(timer);
        resolve(-1);
      });
    });
    v.sock.destroy();
    if (t >= 0) out.push(t);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return out;
}

process.on('message', (m: ClientCommand) => {
  const reply = (r: Omit<ClientReply, 'id'>) => process.send?.({ id: m.id, ...r } satisfies ClientReply);
  switch (m.cmd) {
    case 'add':
      add(m.n, m.stalled ?? false).then(
        (r) => reply({ ok: r.failed === 0, ...r }),
        (e: Error) => reply({ ok: false, error: e.message }),
      );
      return;
    case 'window-start':
      windowStart(m.seconds);
      reply({ ok: true });
      return;
    case 'window-end':
      reply({ ok: true, window: windowEnd() });
      return;
    case 'probe':
      probe(m.count, m.gapMs).then((probes) => reply({ ok: true, probes }));
      return;
    case 'close-all':
      for (const v of viewers.splice(0)) v.sock.destroy();
      state.closed = 0;
      reply({ ok: true });
      return;
    case 'close-stalled':
      for (let i = viewers.length - 1; i >= 0; i--) {
        const v = viewers[i]!;
        if (!v.stallOnMedia) continue;
        v.dead = true; // not counted as a viewer the server dropped
        v.sock.destroy();
        viewers.splice(i, 1);
      }
      reply({ ok: true });
      return;
    case 'exit':
      for (const v of viewers) v.sock.destroy();
      reply({ ok: true });
      setTimeout(() => process.exit(0), 50);
      return;
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, ok: true });
