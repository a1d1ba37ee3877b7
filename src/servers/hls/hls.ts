// HLS output: one segmenter per published stream, attached as a hub frame sink, served from memory; the
// HLS settings (fragment and window from low-latency, hls_ctx sessions on or off) applied live; and the
// hls_ctx sessions, each a viewer in the APIs until it stops asking.
import { randomId } from '../../core/ids.js';
import { TypedEvent } from '../../core/event.js';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import { streamKey, type StreamUrl } from '../../hub/stream-url.js';
import { codecString } from '../../codecs/describe.js';
import { buildMultivariantPlaylist, type VariantStream } from '../../codecs/m3u8.js';
import type { HlsSettings, HlsSettingsPort, HlsVariantRef, HlsVariantsPort } from '../ports.js';
import { HlsSession } from './hls-session.js';
import {
  HlsSegmenter,
  parseInitName,
  parsePartName,
  parseSegmentName,
  type Fmp4Mode,
  type HlsPart,
  type HlsSegment,
  type SegmenterOptions,
} from './segmenter.js';

export interface HlsOptions {
  /** HLS_FRAGMENT: seconds, overriding the setting's 10 s (2 s with LL) */
  fragment: number | null;
  /** HLS_WINDOW: segments, overriding the setting's 60 s (16 s with LL) */
  window: number | null;
  /** HLS_FMP4: fMP4 segments for codecs that need them (auto), for all, or never; default auto */
  fmp4?: Fmp4Mode;
  /** HLS_LL: low-latency parts with the hlsll setting (default), always, or never */
  lowLatency?: 'setting' | 'on' | 'off';
  /** HLS_PART_MS: the part target, ms; default 300 */
  partMs?: number;
}

/** SRS Stack's hls_fragment and hls_window, seconds, without and with low latency. */
const NORMAL = { fragment: 10, window: 60 };
const LOW_LATENCY = { fragment: 2, window: 16 };
const SWEEP_MS = 1000;
/** beyond this many hls_ctx sessions, new players get the plain playlist (bounded memory under a flood) */
const MAX_SESSIONS = 20000;

export class HlsServer implements HlsSettingsPort, HlsVariantsPort {
  private readonly byKey = new Map<string, HlsSegmenter>();
  /** ABR groups: the key of the group's URL (live/S_abr) -> its renditions */
  private readonly variantSets = new Map<string, { url: StreamUrl; variants: HlsVariantRef[] }>();
  private readonly sessions = new Map<string, HlsSession>();
  private settings: HlsSettings = { lowLatency: false, noHlsCtx: false };
  private timer: NodeJS.Timeout | null = null;
  /** an hls_ctx session ended: it went quiet, was kicked, or the server stopped */
  readonly sessionEnded = new TypedEvent<[HlsSession]>();

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
  private segmenterOptions(): Pick<SegmenterOptions, 'fragment' | 'window' | 'windowSeconds' | 'part'> {
    const base = this.settings.lowLatency ? LOW_LATENCY : NORMAL;
    const fragment = this.opts.fragment ?? base.fragment;
    const part = this.partsOn ? (this.opts.partMs ?? 300) / 1000 : 0;
    if (this.opts.window !== null) return { fragment, window: this.opts.window, part };
    return { fragment, window: Math.ceil(base.window / fragment), windowSeconds: base.window, part };
  }

  /** Whether low-latency parts are on: HLS_LL, else the hlsll setting. */
  get partsOn(): boolean {
    const mode = this.opts.lowLatency ?? 'setting';
    return mode === 'on' || (mode === 'setting' && this.settings.lowLatency);
  }

  /** The window in seconds: SRS ends an hls_ctx session that has asked for nothing for twice this. */
  private windowSeconds(): number {
    const o = this.segmenterOptions();
    return o.windowSeconds ?? o.window * o.fragment;
  }

  private attach(s: Stream): void {
    if (this.byKey.has(s.key)) return;
    const seg = new HlsSegmenter({
      ...this.segmenterOptions(),
      name: s.url.stream.split('/').pop()!,
      fmp4: this.opts.fmp4 ?? 'auto',
    });
    const key = s.key;
    seg.onClose = () => {
      if (this.byKey.get(key) === seg) this.byKey.delete(key);
    };
    this.byKey.set(key, seg);
    s.addSink(seg);
    // addSink replays the GOP, which is fine: the segmenter starts at its keyframe.
  }

  setVariants(url: StreamUrl, variants: HlsVariantRef[] | null): void {
    if (variants && variants.length > 0) this.variantSets.set(streamKey(url), { url, variants: [...variants] });
    else this.variantSets.delete(streamKey(url));
  }

  /** Whether an hls_ctx session started on `sessionUrl` may fetch `url`: its own stream, or a rendition of its ABR group. */
  covers(sessionUrl: StreamUrl, url: StreamUrl): boolean {
    if (streamKey(sessionUrl) === streamKey(url)) return true;
    const set = this.variantSets.get(streamKey(sessionUrl));
    return !!set?.variants.some((v) => streamKey(v.stream) === streamKey(url));
  }

  /** Whether `url` names an ABR group (its playlist is a multivariant one). */
  hasVariants(url: StreamUrl): boolean {
    return this.variantSets.has(streamKey(url));
  }

  /**
   * The multivariant playlist of an ABR group: one EXT-X-STREAM-INF per rendition that is live and has a
   * segment (BANDWIDTH from the encoder's bitrate, or what was measured if higher; RESOLUTION and CODECS from
   * its sequence headers), highest bandwidth first; `query` (e.g. hls_ctx=...) is added to each URI. Null when
   * it is not a group or no rendition is live yet.
   */
  multivariant(url: StreamUrl, query = ''): string | null {
    const set = this.variantSets.get(streamKey(url));
    if (!set) return null;
    const out: VariantStream[] = [];
    for (const v of set.variants) {
      const seg = this.byKey.get(streamKey(v.stream));
      const s = this.hub.get(v.stream);
      if (!seg || !s?.active || !seg.playlist()) continue;
      const codecs = [s.videoHeader, s.audioHeader].map((h) => (h ? codecString(h) : null)).filter((c): c is string => c !== null);
      const name = v.stream.app === url.app ? `${v.stream.stream}.m3u8` : `/${v.stream.app}/${v.stream.stream}.m3u8`;
      const measured = seg.measuredBitrate();
      out.push({
        uri: query ? `${name}?${query}` : name,
        bandwidth: Math.max(1, Math.round(Math.max(v.bandwidth, measured) * 1.1)),
        averageBandwidth: Math.max(1, Math.round(measured > 0 ? measured : v.bandwidth)),
        ...(s.video && s.video.width > 0 ? { resolution: { width: s.video.width, height: s.video.height } } : {}),
        ...(codecs.length > 0 ? { codecs } : {}),
      });
    }
    if (out.length === 0) return null;
    out.sort((a, b) => b.bandwidth - a.bandwidth);
    return buildMultivariantPlaylist(out);
  }

  get(streamKey: string): HlsSegmenter | undefined {
    return this.byKey.get(streamKey);
  }

  /** The segmenter and part a `.m4s` part request names (`<stream>-<seq>.<part>`), if the segmenter exists. */
  findPartOwner(url: StreamUrl): { seg: HlsSegmenter; seq: number; part: number } | undefined {
    const n = parsePartName(url.stream);
    const seg = n ? this.byKey.get(streamKey({ ...url, stream: n.stream })) : undefined;
    return seg && n ? { seg, seq: n.seq, part: n.part } : undefined;
  }

  /** A part, if it is written. */
  findPart(url: StreamUrl): HlsPart | undefined {
    const o = this.findPartOwner(url);
    return o?.seg.part(o.seq, o.part);
  }

  /** The fMP4 init segment a `.mp4` request names (`<stream>-init<gen>`), if it is still held. */
  findInit(url: StreamUrl): Buffer | undefined {
    const n = parseInitName(url.stream);
    return n ? this.byKey.get(streamKey({ ...url, stream: n.stream }))?.init(n.gen) : undefined;
  }

  /** The segment a `.ts` request names (its URL's stream is `<stream>-<seq>`), if it is still held. */
  findSegment(url: StreamUrl): HlsSegment | undefined {
    const n = parseSegmentName(url.stream);
    return n ? this.byKey.get(streamKey({ ...url, stream: n.stream }))?.segment(n.seq) : undefined;
  }

  /** `ctx` when no session has that name, else a new unused name: the name a new session will get. */
  freshSessionId(ctx: string | null): string {
    let id = ctx;
    while (!id || this.sessions.has(id)) id = randomId(8);
    return id;
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
      s = new HlsSession(id, ip, url, requestUrl, (k) => {
        this.hub.clients.remove(k);
        this.sessionEnded.emit(k);
      });
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
      if (!s.kicked) this.sessionEnded.emit(s);
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
    for (const s of this.sessions.values()) {
      this.hub.clients.remove(s);
      if (!s.kicked) this.sessionEnded.emit(s);
    }
    this.sessions.clear();
  }

  get memoryBytes(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.bytes;
    return n;
  }
}
