// HLS output: one segmenter per published stream, attached as a hub frame sink, served from memory; the
// HLS settings (fragment and window from low-latency, hls_ctx sessions on or off) applied live; and the
// hls_ctx sessions, each a viewer in the APIs until it stops asking.
import { randomId } from '../../core/ids.js';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import { streamKey, type StreamUrl } from '../../hub/stream-url.js';
import type { HlsSettings, HlsSettingsPort } from '../ports.js';
import { HlsSession } from './hls-session.js';
import { HlsSegmenter, parseSegmentName, type HlsSegment, type SegmenterOptions } from './segmenter.js';

export interface HlsOptions {
  /** HLS_FRAGMENT: seconds, overriding the setting's 10 s (2 s with LL) */
  fragment: number | null;
  /** HLS_WINDOW: segments, overriding the setting's 60 s (16 s with LL) */
  window: number | null;
}

/** SRS Stack's hls_fragment and hls_window, seconds, without and with low latency. */
const NORMAL = { fragment: 10, window: 60 };
const LOW_LATENCY = { fragment: 2, window: 16 };
const SWEEP_MS = 1000;
/** beyond this many hls_ctx sessions, new players get the plain playlist (bounded memory under a flood) */
const MAX_SESSIONS = 20000;

export class HlsServer implements HlsSettingsPort {
  private readonly byKey = new Map<string, HlsSegmenter>();
  private readonly sessions = new Map<string, HlsSession>();
  private settings: HlsSettings = { lowLatency: false, noHlsCtx: false };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hub: Hub,
    private readonly opts: HlsOptions,
  ) {
    hub.published.on((s) => this.attach(s));
  }

  /** The settings in force. */
  get current(): Readonly<HlsSettings> {
    return this.settings;
  }

  applyHlsSettings(s: HlsSettings): void {
    this.settings = { lowLatency: s.lowLatency, noHlsCtx: s.noHlsCtx };
    const o = this.segmenterOptions();
    for (const seg of this.byKey.values()) seg.configure(o);
  }

  /** Fragment and window: the HLS_FRAGMENT/HLS_WINDOW overrides, else the low-latency setting's. */
  private segmenterOptions(): Pick<SegmenterOptions, 'fragment' | 'window' | 'windowSeconds'> {
    const base = this.settings.lowLatency ? LOW_LATENCY : NORMAL;
    const fragment = this.opts.fragment ?? base.fragment;
    if (this.opts.window !== null) return { fragment, window: this.opts.window };
    return { fragment, window: Math.ceil(base.window / fragment), windowSeconds: base.window };
  }

  /** The window in seconds: SRS ends an hls_ctx session that has asked for nothing for twice this. */
  private windowSeconds(): number {
    const o = this.segmenterOptions();
    return o.windowSeconds ?? o.window * o.fragment;
  }

  private attach(s: Stream): void {
    if (this.byKey.has(s.key)) return;
    const seg = new HlsSegmenter({ ...this.segmenterOptions(), name: s.url.stream.split('/').pop()! });
    const key = s.key;
    seg.onClose = () => {
      if (this.byKey.get(key) === seg) this.byKey.delete(key);
    };
    this.byKey.set(key, seg);
    s.addSink(seg);
    // addSink replays the GOP, which is fine: the segmenter starts at its keyframe.
  }

  get(streamKey: string): HlsSegmenter | undefined {
    return this.byKey.get(streamKey);
  }

  /** The segment a `.ts` request names (its URL's stream is `<stream>-<seq>`), if it is still held. */
  findSegment(url: StreamUrl): HlsSegment | undefined {
    const n = parseSegmentName(url.stream);
    return n ? this.byKey.get(streamKey({ ...url, stream: n.stream }))?.segment(n.seq) : undefined;
  }

  /**
   * The hls_ctx session of a request: `ctx` as given (a new session under that name when it is unknown,
   * e.g. after a restart), or a new one when null. Refreshes its last-seen time. Kicked: null; no room
   * for another session: undefined.
   */
  session(ctx: string | null, ip: string, url: StreamUrl, requestUrl: string): HlsSession | null | undefined {
    let s = ctx ? this.sessions.get(ctx) : undefined;
    if (!s) {
      if (this.sessions.size >= MAX_SESSIONS) return undefined;
      let id = ctx;
      while (!id || this.sessions.has(id)) id = randomId(8);
      s = new HlsSession(id, ip, url, requestUrl, (k) => this.hub.clients.remove(k));
      this.sessions.set(id, s);
      this.hub.clients.add(s);
      this.sweepLater();
    }
    if (s.kicked) return null;
    s.lastSeen = Date.now();
    return s;
  }

  /** An existing session (for segment requests), or undefined. */
  findSession(ctx: string): HlsSession | undefined {
    return this.sessions.get(ctx);
  }

  private sweepLater(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  private sweep(): void {
    const idle = 2 * this.windowSeconds() * 1000;
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen <= idle) continue;
      this.sessions.delete(id);
      this.hub.clients.remove(s);
    }
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Forgets every session (shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sessions.values()) this.hub.clients.remove(s);
    this.sessions.clear();
  }

  get memoryBytes(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.bytes;
    return n;
  }
}
