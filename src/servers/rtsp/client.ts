// An in-process RTSP client (RFC 2326) that pulls an IP camera as a FrameSource: OPTIONS, DESCRIBE (Basic or
// Digest auth on a 401), SETUP of one video (H.264/H.265) and one audio (AAC) track, PLAY, keepalives within
// the session timeout (GET_PARAMETER when the server lists it, else OPTIONS), TEARDOWN on stop. Media comes
// over TCP interleaved on the RTSP connection, or over UDP port pairs (RTP + RTCP, receiver reports sent),
// falling back to TCP when UDP brings nothing. RTP timestamps become ms on one clock for both tracks: from
// RTP-Info (the PLAY position) when the server sends it, else from the RTCP sender reports' NTP times when
// both tracks have one, else from when each track's first packet came; 32-bit wraps are unwrapped.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { TypedEvent } from '../../core/event.js';
import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { parseAudioSpecificConfig } from '../../codecs/aac.js';
import { AacDepacketizer } from '../../codecs/rtp/aac-depacketizer.js';
import type { AccessUnit, AccessUnitDepacketizer } from '../../codecs/rtp/access-unit-depacketizer.js';
import { H264Depacketizer } from '../../codecs/rtp/h264-depacketizer.js';
import { H265Depacketizer } from '../../codecs/rtp/h265-depacketizer.js';
import { buildReceiverReport, ntpMiddle, parseSenderReports } from '../../codecs/rtp/rtcp.js';
import { RtpReorder } from '../../codecs/rtp/rtp-reorder.js';
import { TimestampUnwrapper, parseRtp, seqDiff, type RtpPacketFields } from '../../codecs/rtp/rtp-packet.js';
import { authorization, parseChallenges, pickChallenge, type AuthChallenge, type Credentials } from '../../codecs/rtsp/auth.js';
import { parsePublic, parseRtpInfo, parseSession, parseTransport, sameControl, writeTransport, type RtpInfo } from '../../codecs/rtsp/headers.js';
import { RtspReader, header, headers, interleave, serializeRequest, serializeResponse, type RtspHeaders, type RtspResponse } from '../../codecs/rtsp/message.js';
import { readPresentation, type RtspTrack } from '../../codecs/rtsp/tracks.js';
import { SilentAac } from '../../codecs/silent-aac.js';
import { VideoFramer } from '../../codecs/video-framer.js';
import { redactUrl, type FrameSource } from '../frame-source.js';

export type RtspTransport = 'tcp' | 'udp';

export interface RtspClientOptions {
  /** 'tcp' (interleaved, SRS Stack's choice) or 'udp' (falls back to TCP when UDP brings nothing); default tcp */
  transport?: RtspTransport;
  /** with transport udp: switch to TCP when no RTP came this long after PLAY, ms (default 3000; 0: never) */
  udpFallbackMs?: number;
  /** a request unanswered this long fails, ms (default 10000) */
  timeoutMs?: number;
  /** no media this long ends the source, ms (default 10000) */
  readTimeoutMs?: number;
  /** 'silent': drop the camera's audio and add a silent AAC track (SRS Stack's extraAudio) */
  extraAudio?: string;
  /** how long UDP packets wait for a gap to fill, ms (default 150) */
  reorderWindowMs?: number;
  logger?: Logger;
}

/** What the camera offers and what is read, for the API. */
export interface RtspProbe {
  transport: RtspTransport | '';
  video: { codec: 'h264' | 'h265'; payloadType: number; clockRate: number } | null;
  audio: { codec: 'aac'; sampleRate: number; channels: number; silent: boolean } | null;
  /** tracks not read, as the SDP names them */
  ignored: string[];
}

/** The URL without user and password, for logs and the API. */
export { redactUrl };

interface ParsedUrl {
  host: string;
  port: number;
  /** the URL sent in requests: no credentials */
  url: string;
  cred: Credentials | null;
}

export function parseRtspUrl(raw: string): ParsedUrl {
  const m = /^rtsp:\/\/(?:([^@/?#]*)@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?([/?#].*)?$/i.exec(raw.trim());
  if (!m) throw new Error(`${redactUrl(raw)} is not an rtsp:// URL (rtsp://[user:password@]host[:port]/path)`);
  const port = m[3] ? Number(m[3]) : 554;
  if (port < 1 || port > 65535) throw new Error(`${redactUrl(raw)}: port ${port} is out of range`);
  let cred: Credentials | null = null;
  if (m[1] !== undefined) {
    const i = m[1].indexOf(':');
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    cred = i < 0 ? { user: dec(m[1]), password: '' } : { user: dec(m[1].slice(0, i)), password: dec(m[1].slice(i + 1)) };
  }
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const path = (m[4] ?? '/').replace(/#.*$/, '');
  return { host, port, url: `rtsp://${m[2]}${m[3] ? `:${m[3]}` : ''}${path.startsWith('/') ? path : `/${path}`}`, cred };
}

/** One RTP track being read: its transport, clock and depacketizer. */
interface TrackState {
  t: RtspTrack;
  kind: 'video' | 'audio';
  /** interleaved channels (TCP) */
  channels: [number, number];
  udp: { rtp: UdpSocket; rtcp: UdpSocket; serverRtcp: number } | null;
  unwrap: TimestampUnwrapper;
  lastExt: number | null;
  lastTs: number;
  /** RTP-Info rtptime of the PLAY position */
  rtpInfo: RtpInfo | null;
  /** the timeline: ms = offsetMs + (ext - anchorExt) * 1000 / clock */
  anchorExt: number | null;
  offsetMs: number;
  sr: { ntpMs: number; ext: number; at: number; lsr: number } | null;
  ssrc: number | null;
  highestSeq: number | null;
  cycles: number;
  packets: number;
  video: AccessUnitDepacketizer | null;
  framer: VideoFramer | null;
  aac: AacDepacketizer | null;
  reorder: RtpReorder<RtpPacketFields> | null;
  aacHeaderSent: boolean;
  sampleRate: number;
  channelCount: number;
}

class RtspFailure extends Error {
  constructor(
    message: string,
    readonly retryTcp = false,
  ) {
    super(message);
    this.name = 'RtspFailure';
  }
}

export class RtspSource implements FrameSource {
  readonly ended = new TypedEvent<[string]>();
  readonly label: string;
  /** what was read from the camera (after start) */
  probe: RtspProbe = { transport: '', video: null, audio: null, ignored: [] };
  /** media frames given out, RTP packets and bytes received */
  frames = 0;
  packets = 0;
  bytes = 0;
  private readonly target: ParsedUrl;
  private readonly opts: Required<Omit<RtspClientOptions, 'logger'>> & { logger?: Logger };
  private sock: Socket | null = null;
  private reader: RtspReader | null = null;
  private cseq = 0;
  private readonly pending = new Map<number, { resolve: (r: RtspResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; method: string }>();
  private challenge: AuthChallenge | null = null;
  private nc = 0;
  private session: string | null = null;
  private sessionTimeout = 60;
  private publicMethods = new Set<string>();
  private tracks: TrackState[] = [];
  private onFrame: ((f: Frame) => void) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastMediaAt = 0;
  private firstPacketAt: number | null = null;
  private baseMs: number | null = null;
  private lastVideoDts = -Infinity;
  private silent: SilentAac | null = null;
  private silentHeaderSent = false;
  private srAligned = false;
  private state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  private readonly ourSsrc = (Math.random() * 0xffffffff) >>> 0;
  private gotPacket: (() => void) | null = null;

  constructor(url: string, opts: RtspClientOptions = {}) {
    this.target = parseRtspUrl(url);
    this.label = redactUrl(url);
    this.opts = {
      transport: opts.transport ?? 'tcp',
      udpFallbackMs: opts.udpFallbackMs ?? 3000,
      timeoutMs: opts.timeoutMs ?? 10000,
      readTimeoutMs: opts.readTimeoutMs ?? 10000,
      extraAudio: opts.extraAudio ?? '',
      reorderWindowMs: opts.reorderWindowMs ?? 150,
      logger: opts.logger,
    };
  }

  async start(onFrame: (f: Frame) => void): Promise<void> {
    if (this.state !== 'idle') throw new Error(`RTSP pull of ${this.label}: start() called twice`);
    this.state = 'starting';
    this.onFrame = onFrame;
    try {
      try {
        await this.attempt(this.opts.transport);
      } catch (e) {
        if (!(e instanceof RtspFailure && e.retryTcp) || this.isClosed()) throw e;
        this.opts.logger?.info({ url: this.label, reason: e.message }, 'rtsp: switching to TCP');
        await this.teardown(1000);
        this.resetConnection();
        await this.attempt('tcp');
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.close();
      throw new Error(why);
    }
    if (this.isClosed()) throw new Error(`RTSP pull of ${this.label}: stopped while starting`);
    this.state = 'running';
  }

  async stop(_reason = 'stopped'): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.sock !== null && this.session !== null;
    this.state = 'closed';
    // TEARDOWN, without waiting long for the answer: the camera frees the session at once.
    if (wasOpen) await this.teardown(300);
    this.close();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- the session ----

  private async attempt(transport: RtspTransport): Promise<void> {
    await this.open();
    // A camera may refuse OPTIONS (401, 501): only an answer is needed, not a 200.
    const opts = await this.request('OPTIONS', this.target.url);
    if (opts.status === 200) this.publicMethods = parsePublic(header(opts, 'public') ?? '');
    let desc = await this.request('DESCRIBE', this.target.url, [['Accept', 'application/sdp']]);
    if (desc.status === 503) {
      // Busy (still tearing down a previous session, or starting its encoder): ask once more.
      await new Promise((r) => setTimeout(r, 1000));
      desc = await this.request('DESCRIBE', this.target.url, [['Accept', 'application/sdp']]);
    }
    this.check(desc, 'DESCRIBE');
    const base = header(desc, 'content-base') ?? header(desc, 'content-location') ?? this.target.url;
    let pres;
    try {
      pres = readPresentation(desc.body.toString('utf8'), base);
    } catch (e) {
      throw new RtspFailure(`the camera's stream description (SDP) cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const video = pres.tracks.find((t) => t.codec === 'h264' || t.codec === 'h265');
    let audio = pres.tracks.find((t) => t.codec === 'aac');
    const ignored = [...pres.others.map((o) => o.why), ...pres.tracks.filter((t) => t !== video && t !== audio).map((t) => `${t.media} in ${t.encoding}`)];
    const silent = this.opts.extraAudio === 'silent';
    if (silent && audio) {
      ignored.push(`${audio.media} in ${audio.encoding} (replaced by silence: extraAudio is "silent")`);
      audio = undefined;
    }
    if (!video && !audio) {
      const offers = pres.others.map((o) => o.why).join('; ') || 'no audio or video track';
      throw new RtspFailure(`the camera offers no track this server can read (${offers}); it needs H.264 or H.265 video, or AAC audio`);
    }
    if (silent && !video) throw new RtspFailure('extraAudio "silent" needs a video track, and the camera offers none this server can read');
    this.silent = silent ? new SilentAac() : null;
    this.probe = {
      transport,
      video: video ? { codec: video.codec as 'h264' | 'h265', payloadType: video.payloadType, clockRate: video.clockRate } : null,
      audio: null,
      ignored,
    };
    this.tracks = [];
    const chosen = [video, audio].filter((t): t is RtspTrack => t !== undefined);
    for (const [i, t] of chosen.entries()) {
      let st: TrackState;
      try {
        st = await this.setup(t, i, transport);
      } catch (e) {
        // The camera refuses UDP at the first SETUP: ask for TCP on the same connection (as FFmpeg does).
        if (!(e instanceof RtspFailure && e.retryTcp && i === 0 && transport === 'udp')) throw e;
        this.opts.logger?.info({ url: this.label, reason: e.message }, 'rtsp: switching to TCP');
        transport = 'tcp';
        this.probe.transport = 'tcp';
        st = await this.setup(t, i, transport);
      }
      this.tracks.push(st);
    }
    const aacTrack = this.tracks.find((s) => s.t.codec === 'aac');
    this.probe.audio = aacTrack
      ? { codec: 'aac', sampleRate: aacTrack.sampleRate, channels: aacTrack.channelCount, silent: false }
      : silent
        ? { codec: 'aac', sampleRate: 44100, channels: 2, silent: true }
        : null;
    const play = await this.request('PLAY', this.sessionUrl(), [['Range', 'npt=0.000-']]);
    this.check(play, 'PLAY');
    const info = parseRtpInfo(header(play, 'rtp-info') ?? '');
    for (const s of this.tracks) s.rtpInfo = info.find((r) => r.rtptime !== undefined && sameControl(r.url, s.t.control)) ?? null;
    this.lastMediaAt = Date.now();
    this.every(Math.max(1000, Math.min(30000, (this.sessionTimeout * 1000) / 2)), () => this.keepalive());
    this.every(1000, () => this.watch());
    this.every(5000, () => this.sendReports());
    if (transport === 'udp' && this.opts.udpFallbackMs > 0 && this.packets === 0) {
      const got = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), this.opts.udpFallbackMs);
        this.gotPacket = () => {
          clearTimeout(t);
          resolve(true);
        };
      });
      this.gotPacket = null;
      if (!got && !this.isClosed()) {
        throw new RtspFailure(`no RTP over UDP within ${this.opts.udpFallbackMs} ms (a firewall or NAT in between?)`, true);
      }
    }
    this.opts.logger?.info({ url: this.label, transport, video: this.probe.video?.codec, audio: this.probe.audio?.codec, ignored }, 'rtsp: playing');
  }

  private async setup(t: RtspTrack, i: number, transport: RtspTransport): Promise<TrackState> {
    const st: TrackState = {
      t,
      kind: t.codec === 'aac' ? 'audio' : 'video',
      channels: [i * 2, i * 2 + 1],
      udp: null,
      unwrap: new TimestampUnwrapper(),
      lastExt: null,
      lastTs: 0,
      rtpInfo: null,
      anchorExt: null,
      offsetMs: 0,
      sr: null,
      ssrc: null,
      highestSeq: null,
      cycles: 0,
      packets: 0,
      video: null,
      framer: null,
      aac: null,
      reorder: null,
      aacHeaderSent: false,
      sampleRate: 0,
      channelCount: 0,
    };
    let transportHeader: string;
    if (transport === 'udp') {
      const pair = await bindPortPair();
      st.udp = { rtp: pair[0], rtcp: pair[1], serverRtcp: 0 };
      transportHeader = writeTransport({ tcp: false, ports: [pair[0].address().port, pair[1].address().port] });
    } else {
      transportHeader = writeTransport({ tcp: true, channels: st.channels });
    }
    const hdrs: RtspHeaders = [['Transport', transportHeader]];
    if (this.session) hdrs.push(['Session', this.session]);
    const r = await this.request('SETUP', t.control, hdrs);
    if (r.status === 461 && transport === 'udp') {
      closeUdp(st);
      throw new RtspFailure('the camera does not send over UDP (461 Unsupported Transport)', true);
    }
    this.check(r, `SETUP of the ${st.kind} track`);
    const sess = parseSession(header(r, 'session') ?? '');
    if (!sess && !this.session) throw new RtspFailure('the camera answered SETUP without a Session header');
    if (sess) {
      this.session = sess.id;
      this.sessionTimeout = sess.timeout;
    }
    const tr = parseTransport(header(r, 'transport') ?? '');
    if (transport === 'tcp') {
      if (tr?.interleaved) st.channels = tr.interleaved;
      else if (tr && !tr.protocol.endsWith('TCP')) throw new RtspFailure(`the camera answered a TCP SETUP with the transport ${header(r, 'transport')}`);
    } else {
      if (!tr?.serverPort) {
        closeUdp(st);
        throw new RtspFailure(`the camera's SETUP answer has no server_port for UDP (Transport: ${header(r, 'transport') ?? 'none'})`, true);
      }
      st.udp!.serverRtcp = tr.serverPort[1];
      this.listenUdp(st, tr.serverPort);
    }
    if (tr?.ssrc !== undefined) st.ssrc = tr.ssrc;
    this.prepareTrack(st);
    return st;
  }

  private prepareTrack(st: TrackState): void {
    const t = st.t;
    if (t.codec === 'h264' || t.codec === 'h265') {
      const onAccessUnit = (au: AccessUnit) => this.onVideo(st, au);
      const opts = { onAccessUnit, reorderWindowMs: st.udp ? this.opts.reorderWindowMs : 50 };
      st.video = t.codec === 'h264' ? new H264Depacketizer(opts) : new H265Depacketizer(opts);
      st.framer = new VideoFramer(t.codec === 'h264' ? VideoCodec.H264 : VideoCodec.H265, (f) => this.emit(f), (e) =>
        this.opts.logger?.debug({ url: this.label, err: e.message }, 'rtsp: bad parameter sets'),
      );
    } else {
      let rate = t.clockRate;
      let ch = t.channels;
      try {
        const cfg = parseAudioSpecificConfig(t.params.config);
        rate = cfg.extensionSampleRate ?? cfg.sampleRate;
        ch = cfg.channels || ch;
      } catch {
        /* the SDP's rate and channels stand */
      }
      st.sampleRate = rate;
      st.channelCount = ch;
      st.aac = new AacDepacketizer({ params: t.params, onFrame: (au) => this.onAudio(st, au.timestamp, au.data) });
      st.reorder = new RtpReorder<RtpPacketFields>((p, lost) => st.aac!.push(p, lost), st.udp ? this.opts.reorderWindowMs : 0);
    }
  }

  private listenUdp(st: TrackState, serverPort: [number, number]): void {
    const peer = this.sock?.remoteAddress;
    const from = (ip: string) => peer === undefined || ip === peer || ip.replace(/^::ffff:/, '') === peer.replace(/^::ffff:/, '');
    st.udp!.rtp.on('message', (msg, rinfo) => {
      if (from(rinfo.address)) this.onRtp(st, msg);
    });
    st.udp!.rtcp.on('message', (msg, rinfo) => {
      if (from(rinfo.address)) this.onRtcp(st, msg);
    });
    // Open the path through a NAT or firewall on our side (RFC 7604 style): one empty-ish packet each.
    const host = peer ?? this.target.host;
    st.udp!.rtp.send(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), serverPort[0], host, () => undefined);
    st.udp!.rtcp.send(buildReceiverReport(this.ourSsrc), serverPort[1], host, () => undefined);
  }

  private sessionUrl(): string {
    return this.target.url;
  }

  private check(r: RtspResponse, what: string): void {
    if (r.status >= 200 && r.status < 300) return;
    const path = new URL(this.target.url.replace(/^rtsp:/i, 'http:')).pathname;
    if (r.status === 401) {
      throw new RtspFailure(
        this.target.cred
          ? `the camera refused the user name and password (401 Unauthorized on ${what}): check them in the camera URL`
          : `the camera needs a user name and password (401 Unauthorized on ${what}): put them in the URL as rtsp://user:password@host/...`,
      );
    }
    if (r.status === 404) throw new RtspFailure(`the camera has no stream at ${path} (404 Not Found on ${what}): check the path in the URL`);
    if (r.status === 403) throw new RtspFailure(`the camera refused access to ${path} (403 Forbidden on ${what}): check the user's rights on the camera`);
    throw new RtspFailure(`the camera answered ${what} with ${r.status} ${r.reason}`.trim());
  }

  // ---- the connection and requests ----

  private open(): Promise<void> {
    const { host, port } = this.target;
    return new Promise<void>((resolve, reject) => {
      const sock = connect({ host, port });
      this.sock = sock;
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new RtspFailure(`cannot connect to the camera at ${host}:${port}: no answer within ${this.opts.timeoutMs / 1000} s (is the address right, is it on?)`));
      }, this.opts.timeoutMs);
      this.reader = new RtspReader({
        onResponse: (r) => this.onResponse(r),
        onRequest: (q) => {
          // The server's own requests (a keepalive GET_PARAMETER, ANNOUNCE): answer so it keeps the session.
          const cseq = header(q, 'cseq') ?? '0';
          const ok = q.method === 'GET_PARAMETER' || q.method === 'OPTIONS' || q.method === 'SET_PARAMETER';
          sock.write(serializeResponse(ok ? 200 : 501, ok ? 'OK' : 'Not Implemented', [['CSeq', cseq]]));
        },
        onFrame: (f) => this.onInterleaved(f.channel, f.data),
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      sock.on('data', (d) => {
        this.bytes += d.length;
        try {
          this.reader?.push(d);
        } catch (e) {
          this.fail(`the camera sent something that is not RTSP: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          e.code === 'ECONNREFUSED'
            ? `cannot connect to the camera at ${host}:${port}: connection refused (is it on, and is the port right?)`
            : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
              ? `cannot find the camera's host ${host} (DNS: ${e.code})`
              : `the connection to the camera at ${host}:${port} failed: ${e.message}`;
        reject(new RtspFailure(why));
        this.fail(why);
      });
      sock.once('close', () => {
        clearTimeout(timer);
        this.fail(`the camera at ${host}:${port} closed the connection`);
      });
    });
  }

  private request(method: string, url: string, extra: RtspHeaders = [], retried = false): Promise<RtspResponse> {
    const sock = this.sock;
    if (!sock || sock.destroyed) return Promise.reject(new RtspFailure(`the connection to the camera is closed (before ${method})`));
    const cseq = ++this.cseq;
    const hdrs: RtspHeaders = [['CSeq', String(cseq)], ['User-Agent', 'srs-node'], ...extra];
    if (this.session && method !== 'DESCRIBE' && method !== 'SETUP') hdrs.push(['Session', this.session]);
    if (this.challenge && this.target.cred) hdrs.push(['Authorization', authorization(this.challenge, this.target.cred, { method, uri: url, nc: ++this.nc })]);
    const p = new Promise<RtspResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(new RtspFailure(`the camera did not answer ${method} within ${this.opts.timeoutMs / 1000} s`));
      }, this.opts.timeoutMs);
      this.pending.set(cseq, { resolve, reject, timer, method });
    });
    sock.write(serializeRequest({ method, url, headers: hdrs }));
    return p.then((r) => {
      if (r.status !== 401 || retried || !this.target.cred) return r;
      const c = pickChallenge(parseChallenges(headers(r, 'www-authenticate')));
      if (!c) {
        const offered = headers(r, 'www-authenticate').map((v) => v.split(/\s/)[0]).join(', ') || 'none';
        throw new RtspFailure(`the camera asks for an authentication this server cannot answer (offered: ${offered}; Basic and Digest MD5/SHA-256 are supported)`);
      }
      // A first 401 (no answer sent yet), or a stale nonce: answer the new challenge once.
      const fresh = !this.challenge || c.params.get('stale')?.toLowerCase() === 'true' || c.params.get('nonce') !== this.challenge.params.get('nonce');
      if (!fresh) return r;
      this.challenge = c;
      this.nc = 0;
      return this.request(method, url, extra, true);
    });
  }

  private onResponse(r: RtspResponse): void {
    const cseq = Number(header(r, 'cseq'));
    const p = this.pending.get(cseq) ?? (this.pending.size === 1 && !header(r, 'cseq') ? [...this.pending.values()][0] : undefined);
    if (!p) return;
    this.pending.delete(cseq);
    clearTimeout(p.timer);
    p.resolve(r);
  }

  private keepalive(): void {
    const method = this.publicMethods.has('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    this.request(method, this.sessionUrl()).catch((e: unknown) =>
      this.opts.logger?.debug({ url: this.label, err: e instanceof Error ? e.message : String(e) }, 'rtsp: keepalive got no answer'),
    );
  }

  private watch(): void {
    if (this.state !== 'running') return;
    const idle = Date.now() - this.lastMediaAt;
    if (idle >= this.opts.readTimeoutMs) this.fail(`no media from the camera for ${Math.round(idle / 1000)} s`);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** The source ended by itself: close and tell the owner (once, and not during start: start rejects). */
  private fail(why: string): void {
    if (this.state === 'closed') return;
    const running = this.state === 'running';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RtspFailure(why));
    }
    this.pending.clear();
    if (!running) return; // start() is still waiting: it rejects with the request's failure
    this.state = 'closed';
    this.close();
    this.opts.logger?.info({ url: this.label, reason: why }, 'rtsp: ended');
    this.ended.emit(why);
  }

  /** TEARDOWN, waiting at most `ms` for the answer (the camera frees the session; errors do not matter). */
  private async teardown(ms: number): Promise<void> {
    if (!this.sock || !this.session) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.request('TEARDOWN', this.sessionUrl()).catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /** Drops the connection and tracks, keeping the options (for the fallback to TCP). */
  private resetConnection(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const s of this.tracks) closeUdp(s);
    this.tracks = [];
    const sock = this.sock;
    this.sock = null;
    this.reader = null;
    sock?.removeAllListeners('close');
    sock?.removeAllListeners('error');
    sock?.on('error', () => undefined);
    sock?.destroy();
    this.session = null;
    this.challenge = null;
    this.firstPacketAt = null;
  }

  private close(): void {
    this.state = 'closed';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RtspFailure('stopped'));
    }
    this.pending.clear();
    this.resetConnection();
  }

  // ---- media ----

  private onInterleaved(channel: number, data: Buffer): void {
    for (const s of this.tracks) {
      if (s.udp) continue;
      if (channel === s.channels[0]) return this.onRtp(s, data);
      if (channel === s.channels[1]) return this.onRtcp(s, data);
    }
  }

  private onRtp(st: TrackState, buf: Buffer): void {
    if (this.state === 'closed') return;
    const p = parseRtp(buf);
    if (!p || p.payloadType !== st.t.payloadType) return;
    if (st.ssrc === null) st.ssrc = p.ssrc;
    this.packets++;
    st.packets++;
    if (st.udp) this.bytes += buf.length;
    const now = Date.now();
    this.lastMediaAt = now;
    this.firstPacketAt ??= now;
    if (st.highestSeq === null) st.highestSeq = p.sequenceNumber;
    else if (seqDiff(p.sequenceNumber, st.highestSeq) > 0) {
      if (p.sequenceNumber < st.highestSeq) st.cycles++;
      st.highestSeq = p.sequenceNumber;
    }
    // The timeline of this track starts at its first packet.
    const ext = this.extend(st, p.timestamp);
    if (st.anchorExt === null) {
      if (st.rtpInfo?.rtptime !== undefined) {
        st.anchorExt = ext - ((p.timestamp - st.rtpInfo.rtptime) | 0);
        st.offsetMs = 0;
      } else {
        st.anchorExt = ext;
        st.offsetMs = now - this.firstPacketAt;
      }
    }
    this.gotPacket?.();
    try {
      if (st.video) st.video.push(p, now);
      else st.reorder?.push(p, now);
    } catch (e) {
      this.opts.logger?.debug({ url: this.label, err: e instanceof Error ? e.message : String(e) }, 'rtsp: bad RTP payload');
    }
  }

  /** The 32-bit RTP timestamp on this track's unwrapped number line. */
  private extend(st: TrackState, ts: number): number {
    const ext = st.unwrap.unwrap(ts);
    st.lastExt = ext;
    st.lastTs = ts >>> 0;
    return ext;
  }

  /** An RTP timestamp near the last one seen, on the unwrapped line, without moving the unwrapper. */
  private near(st: TrackState, ts: number): number {
    return st.lastExt === null ? ts >>> 0 : st.lastExt + ((ts - st.lastTs) | 0);
  }

  private onRtcp(st: TrackState, buf: Buffer): void {
    for (const sr of parseSenderReports(buf)) {
      if (st.ssrc !== null && sr.ssrc !== st.ssrc) continue;
      st.sr = { ntpMs: sr.ntpMs, ext: this.near(st, sr.rtpTimestamp), at: Date.now(), lsr: ntpMiddle(sr.ntpMs) };
    }
    this.alignBySenderReports();
  }

  /**
   * Without RTP-Info the tracks start from when their first packets came; once both tracks have a sender
   * report, the audio timeline is moved (once) so that the same NTP instant has the same ms on both.
   */
  private alignBySenderReports(): void {
    if (this.srAligned) return;
    const v = this.tracks.find((s) => s.kind === 'video');
    const a = this.tracks.find((s) => s.kind === 'audio');
    if (!v || !a || !v.sr || !a.sr || v.anchorExt === null || a.anchorExt === null) return;
    this.srAligned = true;
    if (v.rtpInfo && a.rtpInfo) return; // RTP-Info aligned them already
    const ntpAt = (s: TrackState) => s.sr!.ntpMs + ((s.anchorExt! - s.sr!.ext) * 1000) / s.t.clockRate;
    const next = v.offsetMs + (ntpAt(a) - ntpAt(v));
    if (Math.abs(next - a.offsetMs) < 10000) a.offsetMs = next;
  }

  private ms(st: TrackState, ts: number): number {
    const ext = this.near(st, ts);
    return st.offsetMs + ((ext - (st.anchorExt ?? ext)) * 1000) / st.t.clockRate;
  }

  /** Shifts the timeline so the first frame given out is at 0; never negative. */
  private out(ms: number): number {
    this.baseMs ??= ms;
    return Math.max(0, Math.round(ms - this.baseMs));
  }

  private onVideo(st: TrackState, au: AccessUnit): void {
    const pts = this.out(this.ms(st, au.timestamp));
    // RTP carries presentation times only; decode order is taken as presentation order (cameras send no
    // B-frames), kept monotonic.
    const dts = Math.max(pts, this.lastVideoDts === -Infinity ? pts : this.lastVideoDts);
    this.lastVideoDts = dts;
    const framer = st.framer!;
    if (!framer.configured) {
      const t = st.t;
      if (t.codec === 'h265') framer.setParameterSets({ vps: t.vps, sps: t.sps, pps: t.pps }, dts);
      else if (t.codec === 'h264') framer.setParameterSets({ sps: t.sps, pps: t.pps }, dts);
    }
    framer.push(au.nalus, Math.max(pts, dts), dts);
    if (this.silent && framer.configured) {
      if (!this.silentHeaderSent) {
        this.silentHeaderSent = true;
        this.emit(this.silent.header(dts));
      }
      for (const f of this.silent.until(dts)) this.emit(f);
    }
  }

  private onAudio(st: TrackState, ts: number, data: Buffer): void {
    const ms = this.out(this.ms(st, ts));
    if (!st.aacHeaderSent) {
      st.aacHeaderSent = true;
      const t = st.t as Extract<RtspTrack, { codec: 'aac' }>;
      this.emit({ type: 'audio', codec: AudioCodec.AAC, dts: ms, pts: ms, keyframe: false, header: true, data: t.params.config, sampleRate: st.sampleRate, channels: Math.min(2, st.channelCount) });
    }
    this.emit({ type: 'audio', codec: AudioCodec.AAC, dts: ms, pts: ms, keyframe: false, header: false, data: Buffer.from(data), sampleRate: st.sampleRate, channels: Math.min(2, st.channelCount) });
  }

  private emit(f: Frame): void {
    if (this.state === 'closed') return;
    if (!f.header) this.frames++;
    this.onFrame?.(f);
  }

  /** RTCP receiver reports, so that servers watching for them keep sending. */
  private sendReports(): void {
    for (const s of this.tracks) {
      if (s.ssrc === null) continue;
      const lost = s.video ? s.video.stats.lostPackets : (s.reorder?.stats.lost ?? 0);
      const rr = buildReceiverReport(this.ourSsrc, {
        ssrc: s.ssrc,
        highestSeq: s.cycles * 0x10000 + (s.highestSeq ?? 0),
        lost,
        lastSr: s.sr?.lsr ?? 0,
        delaySinceLastSr: s.sr ? Math.round(((Date.now() - s.sr.at) / 1000) * 65536) : 0,
      });
      if (s.udp) s.udp.rtcp.send(rr, s.udp.serverRtcp, this.sock?.remoteAddress ?? this.target.host, () => undefined);
      else if (this.sock && !this.sock.destroyed) this.sock.write(interleave(s.channels[1], rr));
    }
  }
}

function closeUdp(s: { udp: { rtp: UdpSocket; rtcp: UdpSocket } | null }): void {
  if (!s.udp) return;
  for (const u of [s.udp.rtp, s.udp.rtcp]) {
    try {
      u.close();
    } catch {
      /* closed already */
    }
  }
  s.udp = null;
}

function bindUdp(port: number): Promise<UdpSocket | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, () => {
      s.removeAllListeners('error');
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

/** Two UDP sockets on an even port and the next one (RTP, RTCP: RFC 3550 11). */
async function bindPortPair(): Promise<[UdpSocket, UdpSocket]> {
  for (let i = 0; i < 50; i++) {
    const rtp = await bindUdp(0);
    if (!rtp) continue;
    const port = rtp.address().port;
    if (port % 2 !== 0 || port >= 65535) {
      rtp.close();
      continue;
    }
    const rtcp = await bindUdp(port + 1);
    if (rtcp) return [rtp, rtcp];
    rtp.close();
  }
  throw new RtspFailure('cannot bind a pair of UDP ports for RTP and RTCP');
}
