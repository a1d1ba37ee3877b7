// The WebRTC server: the shared UDP port, the WHIP/WHEP sessions, one RtpStreamSource per played stream,
// keyframe requests from viewers to WebRTC publishers, and the reaper that ends sessions whose peer has
// gone quiet (ICE consent, RFC 7675: browsers refresh consent every few seconds, so silence means gone).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import { streamKey, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import { playRefusalStatus, type MediaHooks, type SessionInfo } from '../ports.js';
import { PublishGate } from '../publish-gate.js';
import { VideoCodec } from '../../core/frame.js';
import { randomId } from '../../core/ids.js';
import { parseAvcDecoderConfig } from '../../codecs/h264.js';
import { RtcUdpMux, type RtcUdpMuxStats } from './udp-mux.js';
import { RtcError, prepareOffer } from './peer.js';
import { WhipSession } from './whip-session.js';
import { WhepSession } from './whep-session.js';
import { RtpStreamSource } from './rtp-source.js';
import type { RtcSession, SessionContext } from './session.js';
import { handleRtcHttp } from './http-api.js';

export interface WebRtcServerOptions {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
  /** the CANDIDATE setting: the IP (or name) put in answers; null to use the request's host */
  candidate: string | null;
  /** a session whose peer sends nothing for this long is ended, ms */
  sessionTimeoutMs: number;
  /** how long a WHEP request for an unpublished stream waits for its publisher, ms (default 3000) */
  waitPublishMs?: number;
  /** a WHIP publisher is asked for a keyframe when its last is this old, ms (default 2000; 0 = only on need) */
  pliIntervalMs?: number;
  ffmpegPath?: string;
}

export interface RtcSessionRequest {
  url: StreamUrl;
  requestUrl: string;
  ip: string;
  offer: string;
  /** the answer's host candidates, most preferred first */
  candidateIps: readonly string[];
  /** aborted when the HTTP request goes away (a WHIP publish being authorized is then cancelled) */
  signal?: AbortSignal;
  /** a play token from Authorization: Bearer (WHEP) */
  token?: string;
  /** the page the player runs in (Referer), when known */
  pageUrl?: string;
}

export interface RtcSessionAnswer {
  session: RtcSession;
  answer: string;
}

export interface WebRtcStats {
  sessions: number;
  publishers: number;
  sources: number;
  mux: RtcUdpMuxStats & { sessions: number };
}

export class WebRtcServer {
  readonly mux: RtcUdpMux;
  private readonly log: Logger;
  private readonly sessions = new Map<string, RtcSession>();
  private readonly publishers = new Map<string, WhipSession>();
  private readonly sources = new Map<string, RtpStreamSource>();
  /** WHEP sessions whose play was allowed: on_stop is owed when they end */
  private readonly plays = new Map<RtcSession, SessionInfo>();
  private timer: NodeJS.Timeout | null = null;
  private readonly ctx: SessionContext;
  /** FFmpeg transcoders on their way out */
  private readonly exiting = new Set<Promise<void>>();

  constructor(readonly opts: WebRtcServerOptions) {
    this.log = opts.logger.child({ server: 'rtc' });
    this.mux = new RtcUdpMux(this.log);
    this.ctx = { logger: this.log, mux: this.mux, onClosed: (s) => this.forget(s), track: (p) => this.track(p) };
  }

  get port(): number {
    return this.mux.port;
  }

  async listen(port: number, host: string): Promise<number> {
    const p = await this.mux.listen(port, host);
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    return p;
  }

  /** Serves WHIP/WHEP and SRS's /rtc/v1/ APIs; false when the request is not for us. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    return handleRtcHttp(this, req, res);
  }

  get(id: string): RtcSession | undefined {
    return this.sessions.get(id);
  }

  stats(): WebRtcStats {
    return {
      sessions: this.sessions.size,
      publishers: this.publishers.size,
      sources: this.sources.size,
      mux: { ...this.mux.stats, sessions: this.mux.size },
    };
  }

  /** WHIP: authorize like RTMP (through the publish gate), answer, take the stream. */
  async publish(r: RtcSessionRequest): Promise<RtcSessionAnswer> {
    const { hub, hooks } = this.opts;
    const prepared = prepareOffer(r.offer, 'publish');
    const session = new WhipSession(r.ip, r.url, r.requestUrl, {
      ...this.ctx,
      hub,
      hooks,
      ffmpegPath: this.opts.ffmpegPath,
      pliIntervalMs: this.opts.pliIntervalMs ?? 2000,
    });
    const gate = new PublishGate<never>(session, 'whip', () => session.sessionInfo(), { hub, hooks, logger: this.log });
    session.gate = gate;
    const onAbort = () => session.close('request aborted');
    r.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (r.signal?.aborted) onAbort();
      const refused = await gate.authorize();
      const early = refused ?? gate.busy();
      if (early && !early.ok) {
        session.close(early.why === 'busy' ? 'stream busy' : early.why === 'refused' ? 'publish refused' : 'request aborted');
        throw new RtcError(early.why === 'busy' ? 409 : early.why === 'refused' ? 403 : 499, early.message);
      }
      const answer = await this.negotiate(session, prepared.sdp, r.candidateIps);
      const out = gate.claim();
      if (!out.ok) {
        session.close(out.why === 'busy' ? 'stream busy' : 'request aborted');
        throw new RtcError(out.why === 'busy' ? 409 : 499, out.message);
      }
      session.begin(out.publisher);
      this.publishers.set(out.publisher.stream.key, session);
      return { session, answer };
    } finally {
      r.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Registers the session and answers the offer; a session whose negotiation fails is closed. */
  private async negotiate(session: RtcSession, sdp: string, candidateIps: readonly string[]): Promise<string> {
    this.sessions.set(session.id, session);
    try {
      return await session.negotiate(sdp, candidateIps);
    } catch (e) {
      session.close('negotiation failed');
      throw asRtcError(e);
    }
  }

  /** WHEP: the play check (token, on_play), then wait a little for the publisher, join the stream's RTP source, answer. */
  async play(r: RtcSessionRequest): Promise<RtcSessionAnswer> {
    const { hooks } = this.opts;
    const prepared = prepareOffer(r.offer, 'play');
    // The session (and its peer connection) is made only when it is about to negotiate; its id is chosen
    // now, so the on_play callback and the API name the same client.
    const info: SessionInfo = {
      clientId: randomId(8),
      ip: r.ip,
      type: 'rtc-play',
      url: r.url,
      requestUrl: r.requestUrl,
      ...(r.token ? { token: r.token } : {}),
      ...(r.pageUrl ? { pageUrl: r.pageUrl } : {}),
    };
    const refusal = await hooks.onPlay(info);
    if (refusal) {
      this.log.warn({ event: 'play-refused', cid: info.clientId, ip: r.ip, url: streamPath(r.url), reason: refusal.message }, 'whep play refused');
      throw new RtcError(playRefusalStatus(refusal), refusal.message);
    }
    const made = { session: false };
    try {
      return await this.startPlay(r, info, prepared.sdp, made);
    } catch (e) {
      // A session that was made owes on_stop when it closes (forget); one never made owes it now.
      if (!made.session) hooks.onStop(info);
      throw e;
    }
  }

  private async startPlay(r: RtcSessionRequest, info: SessionInfo, offer: string, made: { session: boolean }): Promise<RtcSessionAnswer> {
    const { hub } = this.opts;
    let sdp = offer;
    const stream = await this.waitPublished(r.url, this.opts.waitPublishMs ?? 3000);
    if (!stream) {
      throw new RtcError(
        404,
        `stream ${streamPath(r.url)} is not published; publish it first (rtmp://host/${r.url.app}/${r.url.stream}, SRT or WHIP) and retry`,
      );
    }
    if (stream.videoHeader && stream.videoHeader.codec !== VideoCodec.H264 && !stream.audioHeader) {
      throw new RtcError(400, `stream ${streamPath(r.url)} is not H.264; WHEP plays H.264 video (and AAC audio as Opus)`);
    }
    const profileIdc = h264ProfileIdc(stream);
    if (profileIdc !== undefined) sdp = prepareOffer(r.offer, 'play', profileIdc).sdp;
    const session = new WhepSession(r.ip, r.url, r.requestUrl, this.ctx, info.clientId);
    made.session = true;
    this.plays.set(session, info);
    const answer = await this.negotiate(session, sdp, r.candidateIps);
    let source = this.sources.get(stream.key);
    if (source && (source.stream !== stream || stream !== hub.get(r.url))) {
      source.stop();
      source = undefined;
    }
    if (!source) {
      const s = new RtpStreamSource(stream, {
        logger: this.log,
        ffmpegPath: this.opts.ffmpegPath,
        requestKeyframe: () => this.publishers.get(stream.key)?.requestKeyframe(),
        track: (p) => this.track(p),
        onStopped: (src) => {
          if (this.sources.get(src.stream.key) === src) this.sources.delete(src.stream.key);
        },
      });
      this.sources.set(stream.key, s);
      source = s;
      session.source = s;
      s.addViewer(session);
      s.start();
    } else {
      session.source = source;
      source.addViewer(session);
    }
    hub.clients.add(session);
    session.log.info({ event: 'play', url: session.urlForLog(), proto: 'whep' }, 'whep play start');
    return { session, answer };
  }

  private waitPublished(url: StreamUrl, ms: number): Promise<Stream | null> {
    const now = this.opts.hub.get(url);
    if (now?.active) return Promise.resolve(now);
    const key = streamKey(url);
    return new Promise((resolve) => {
      const off = this.opts.hub.published.on((s) => {
        if (s.key !== key) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
      const timer = setTimeout(() => {
        off();
        resolve(null);
      }, ms);
    });
  }

  /** Ends a session by id (DELETE, or the API kicking a client); false when there is none. */
  end(id: string, reason: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.close(reason);
    return true;
  }

  private track(exited: Promise<void>): void {
    this.exiting.add(exited);
    void exited.finally(() => this.exiting.delete(exited));
  }

  private forget(s: RtcSession): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
    for (const [k, p] of this.publishers) if (p === s) this.publishers.delete(k);
    this.opts.hub.clients.remove(s);
    const play = this.plays.get(s);
    if (play) {
      this.plays.delete(s);
      this.opts.hooks.onStop(play);
    }
  }

  private tick(): void {
    const now = Date.now();
    const limit = this.opts.sessionTimeoutMs;
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastReceived > limit) {
        s.close(`the peer sent nothing for ${Math.round(limit / 1000)} s (ICE consent expired): it is gone`);
      } else if (s instanceof WhipSession) {
        s.tick();
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of [...this.sessions.values()]) s.close('server shutting down');
    for (const src of [...this.sources.values()]) src.stop();
    await this.mux.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.exiting]),
      new Promise<void>((r) => {
        timer = setTimeout(r, 2000);
      }),
    ]);
    clearTimeout(timer);
  }
}

/** profile_idc of a stream's H.264 SPS, to answer with the offered H.264 entry of that profile. */
function h264ProfileIdc(stream: Stream): number | undefined {
  const h = stream.videoHeader;
  if (!h || h.codec !== VideoCodec.H264) return undefined;
  try {
    const sps = parseAvcDecoderConfig(h.data).sps[0];
    return sps && sps.length > 1 ? sps[1] : undefined;
  } catch {
    return undefined;
  }
}

function asRtcError(e: unknown): RtcError {
  if (e instanceof RtcError) return e;
  const msg = (e as Error)?.message ?? String(e);
  return new RtcError(400, `cannot negotiate a WebRTC session with this offer: ${msg}`);
}
