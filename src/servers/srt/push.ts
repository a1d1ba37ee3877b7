// SrtPush: plays one hub stream into a remote SRT listener as a caller (a forward, a restream to a platform's SRT
// ingest): srt://host:port?streamid=...; the stream's Frames are muxed into MPEG-TS by the one TsMuxer
// (codecs/mpegts/mux.ts) and sent as live-mode messages of whole TS packets. It is a FrameSink of the stream:
// headers and the GOP first, then every frame; when libsrt's send buffer is full the frame is dropped, counted,
// and frames are dropped up to the next keyframe (a decoder cannot use the frames between).
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import { TsMuxer } from '../../codecs/mpegts/mux.js';
import type { FrameSink, Stream } from '../../hub/stream.js';
import { connectSrt, type SrtConnection, type SrtConnectOptions } from '../../../native/srt/index.js';

export interface SrtTarget {
  host: string;
  port: number;
  /** SRTO_STREAMID sent to the listener ('' for none) */
  streamId: string;
  /** socket options from the URL's query (FFmpeg's names: latency in microseconds, passphrase, pbkeylen, maxbw) */
  options: SrtConnectOptions;
}

/** FFmpeg's srt:// URL query options this caller understands (the others are refused, so a typo is not ignored). */
const KNOWN = new Set(['streamid', 'latency', 'passphrase', 'pbkeylen', 'maxbw', 'mode', 'connect_timeout', 'payload_size', 'transtype']);

/**
 * Parses srt://host:port?streamid=...&latency=...&passphrase=... (FFmpeg's URL form, which SRS Stack's forwards
 * hand to FFmpeg: latency is in microseconds there, and here). Throws with what is wrong.
 */
export function parseSrtTarget(url: string): SrtTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid SRT URL ${url}: expected srt://host:port?streamid=...`);
  }
  if (u.protocol !== 'srt:') throw new Error(`invalid SRT URL ${url}: it must start with srt://`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`invalid SRT URL ${url}: no host; expected srt://host:port?streamid=...`);
  if (!u.port) throw new Error(`invalid SRT URL ${url}: no port; SRT has no default port, e.g. srt://${host}:10080?streamid=...`);
  const port = Number(u.port);
  // The query is read by hand: the stream id often holds # , = ? and / unescaped (#!::r=live/x?secret=y,m=publish).
  const q = url.indexOf('?');
  const params = new Map<string, string>();
  if (q >= 0) {
    const query = url.slice(q + 1);
    // streamid= may contain & only when escaped; split on & and take the first = of each part.
    for (const part of query.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
      let v = eq < 0 ? '' : part.slice(eq + 1);
      try {
        v = decodeURIComponent(v);
      } catch {
        /* kept as written */
      }
      if (!KNOWN.has(k)) throw new Error(`invalid SRT URL ${url}: unknown option "${k}"; known: ${[...KNOWN].join(', ')}`);
      params.set(k, v);
    }
  }
  const mode = params.get('mode');
  if (mode && mode !== 'caller') throw new Error(`invalid SRT URL ${url}: mode=${mode}; a forward calls the target, so only mode=caller works`);
  const transtype = params.get('transtype');
  if (transtype && transtype !== 'live') throw new Error(`invalid SRT URL ${url}: transtype=${transtype}; only live is supported`);
  const options: SrtConnectOptions = {};
  const num = (k: string, min: number, max: number): number | undefined => {
    const v = params.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`invalid SRT URL ${url}: ${k}=${v} must be an integer from ${min} to ${max}`);
    return n;
  };
  const latencyUs = num('latency', 0, 60_000_000);
  if (latencyUs !== undefined) options.latency = Math.round(latencyUs / 1000);
  const pbkeylen = num('pbkeylen', 0, 32);
  if (pbkeylen !== undefined) {
    if (![0, 16, 24, 32].includes(pbkeylen)) throw new Error(`invalid SRT URL ${url}: pbkeylen must be 0, 16, 24 or 32`);
    options.pbKeyLen = pbkeylen as 0 | 16 | 24 | 32;
  }
  const maxbw = num('maxbw', -1, 2 ** 31 - 1);
  if (maxbw !== undefined) options.maxBw = maxbw;
  const connectTimeoutUs = num('connect_timeout', 0, 60_000_000);
  if (connectTimeoutUs !== undefined) options.connectTimeout = Math.max(1, Math.round(connectTimeoutUs / 1000));
  const payload = num('payload_size', 188, 1316);
  if (payload !== undefined) options.payloadSize = payload - (payload % 188);
  const passphrase = params.get('passphrase');
  if (passphrase) {
    if (passphrase.length < 10 || passphrase.length > 79) throw new Error(`invalid SRT URL ${url}: passphrase must be 10 to 79 characters`);
    options.passphrase = passphrase;
  }
  const streamId = params.get('streamid') ?? '';
  if (streamId.length > 512) throw new Error(`invalid SRT URL ${url}: streamid is longer than 512 characters`);
  return { host, port, streamId, options };
}

export interface SrtPushOptions {
  /** SRTO_CONNTIMEO unless the URL says, ms (default 3000) */
  connectTimeoutMs?: number;
}

export class SrtPush implements FrameSink {
  /** the push ended: the reason (stopped, the stream ended, the remote closed, an error) */
  readonly closed = new TypedEvent<[string]>();
  /** frames sent */
  frames = 0;
  /** media bytes sent (frame payloads, as RtmpPush counts them) */
  bytes = 0;
  /** frames dropped because libsrt's send buffer was full */
  drops = 0;
  private readonly target: SrtTarget;
  private conn: SrtConnection | null = null;
  private readonly ts = new TsMuxer();
  private state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  private waitKeyframe = false;
  private streamGone = false;
  private closeReason: string | null = null;
  private markEnded: () => void = () => {};
  private readonly ended = new Promise<void>((r) => (this.markEnded = r));

  constructor(
    private readonly stream: Stream,
    readonly url: string,
    private readonly opts: SrtPushOptions = {},
  ) {
    this.target = parseSrtTarget(url); // fail now on a bad URL, not at start
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Calls the listener, then subscribes to the stream. Rejects (and closes) when the remote refuses. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`SrtPush to ${this.url}: start() called twice`);
    this.state = 'starting';
    const { host, port, streamId, options } = this.target;
    let conn: SrtConnection;
    try {
      conn = await connectSrt(host, port, {
        connectTimeout: this.opts.connectTimeoutMs ?? 3000,
        ...options,
        ...(streamId ? { streamId } : {}),
      });
    } catch (e) {
      this.end(e instanceof Error ? e.message : String(e));
      throw e;
    }
    if (this.state !== 'starting') {
      conn.close();
      this.markEnded();
      throw new Error(`SrtPush to ${this.url}: ${this.closeReason ?? 'stopped'}`);
    }
    this.conn = conn;
    conn.on('close', (reason, detail) => {
      this.markEnded();
      this.end(reason === 'local' ? 'stopped' : `the remote closed the connection: ${detail}`);
    });
    // A caller gets nothing from a listener it publishes to; read to keep libsrt's queue empty.
    conn.on('data', () => {});
    this.state = 'running';
    this.stream.addSink(this);
  }

  /** Ends the push and waits for the socket to close. */
  async stop(reason = 'stopped'): Promise<void> {
    this.end(reason);
    await this.ended;
  }

  onFrame(f: Frame): void {
    if (this.state !== 'running' || !this.conn) return;
    if (!f.header && f.type !== 'script' && this.waitKeyframe) {
      if (f.type === 'video' && f.keyframe) this.waitKeyframe = false;
      else if (f.type === 'video' || this.stream.videoHeader) {
        this.drops++;
        return;
      } else this.waitKeyframe = false;
    }
    const out = this.ts.mux(f);
    if (!out) return;
    if (!this.conn.write(out)) {
      if (this.conn.closed) return;
      this.drops++;
      this.waitKeyframe = this.stream.videoHeader !== null;
      return;
    }
    this.frames++;
    this.bytes += f.data.length;
  }

  onClose(): void {
    this.streamGone = true;
    this.end('the stream ended');
  }

  private end(reason: string): void {
    if (this.state === 'closed') return;
    const subscribed = this.state === 'running';
    this.state = 'closed';
    this.closeReason = reason;
    if (subscribed && !this.streamGone) this.stream.removeSink(this);
    if (this.conn && !this.conn.closed) this.conn.close();
    else if (!this.conn) this.markEnded();
    this.closed.emit(reason);
  }
}
