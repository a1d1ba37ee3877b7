// HTTP media on HTTP_PORT: HTTP-FLV (/app/stream.flv), HTTP-TS (/app/stream.ts) and HLS
// (/app/stream.m3u8 + /app/stream-<seq>.ts). Anything else is left to the API handler.
// HLS as SRS Stack serves it: with hls_ctx on (the default), a playlist request without `hls_ctx` starts a
// session and is answered with a playlist pointing at STREAM.m3u8?hls_ctx=<session>, whose segment URLs
// carry the session (each session is a viewer); with noHlsCtx the playlist is plain and cacheable
// (max-age 10 s, 1 s with low latency). Segments are cacheable for 600 s either way.
// Every viewer goes through hooks.onPlay once, at its start (play token, on_play callback): an FLV/TS
// connection, an hls_ctx session (its segments ride on the session), or, without sessions, each HLS request
// (token only; the token then rides on the segment URLs). A refusal is 401 (no token) or 403 with the reason.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { randomId } from '../../core/ids.js';
import type { Client, ClientType } from '../../hub/client.js';
import type { Hub } from '../../hub/hub.js';
import type { OutputFormat } from '../../hub/channel.js';
import { parseHttpStreamPath, streamKey, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { HlsServer } from '../hls/hls.js';
import type { HlsSession } from '../hls/hls-session.js';
import { parseInitName, parsePartName, parseSegmentName } from '../hls/segmenter.js';
import { playRefusalStatus, type MediaHooks, type PlayRefusal, type SessionInfo } from '../ports.js';
import { ChunkFramer, HttpStreamSink } from './chunked-sink.js';
import { flvFormat } from './flv-format.js';
import { tsFormat } from '../mpegts/ts-format.js';

export interface HttpMediaOptions {
  hub: Hub;
  hls: HlsServer;
  hooks: MediaHooks;
  logger: Logger;
}

const HLS_CTX_RE = /^[\w-]{1,64}$/;
/** how long a blocking playlist reload or a preload-hinted part request waits at most, ms */
const BLOCK_WAIT_MS = 6000;
const PART_WAIT_MS = 6000;

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ code: status, message });
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function notFound(res: ServerResponse, message: string): void {
  sendError(res, 404, message);
}

function refuse(res: ServerResponse, r: PlayRefusal): void {
  const status = playRefusalStatus(r);
  sendError(res, status, r.message, status === 401 ? { 'WWW-Authenticate': 'Bearer realm="play"' } : {});
}

function peerIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

function referer(req: IncomingMessage): string | undefined {
  const r = req.headers.referer;
  return typeof r === 'string' && r ? r : undefined;
}

/** An HTTP viewer, as the APIs list it. */
class HttpViewerClient implements Client {
  readonly id = randomId(8);
  readonly createdAt = Date.now();
  readonly publish = false;
  sendBytes = 0;
  recvBytes = 0;

  constructor(
    readonly ip: string,
    readonly type: ClientType,
    readonly url: StreamUrl,
    readonly requestUrl: string,
    private readonly res: ServerResponse,
  ) {}

  close(): void {
    this.res.destroy();
  }
}

export class HttpMediaHandler {
  private readonly framer = new ChunkFramer();

  constructor(private readonly opts: HttpMediaOptions) {
    // An hls_ctx session is a viewer from its first playlist to its last request: on_stop when it ends.
    opts.hls.sessionEnded.on((s) => opts.hooks.onStop(this.hlsInfo(s)));
  }

  private hlsInfo(s: HlsSession): SessionInfo {
    return { clientId: s.id, ip: s.ip, type: s.type, url: s.url, requestUrl: s.requestUrl };
  }

  /** Runs an async answer; a failure after the head went out just ends the response. */
  private serve(res: ServerResponse, work: Promise<void>): true {
    work.catch((e: unknown) => {
      this.opts.logger.error({ err: (e as Error)?.message ?? String(e) }, 'http media request failed');
      if (res.headersSent) res.destroy();
      else sendError(res, 500, `internal error: ${(e as Error)?.message ?? String(e)}; see the server log`);
    });
    return true;
  }

  /** Serves the request when it is a media URL; returns false to let the next handler try. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? 'GET';
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (!/\.(flv|ts|m3u8|m4s|mp4)$/i.test(u.pathname)) return false;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const parsed = parseHttpStreamPath(u.pathname, u.search, req.headers.host ?? '');
    if (/\.mp4$/i.test(u.pathname)) {
      // Only fMP4 HLS init segments here; any other .mp4 is left to the next handler.
      const init = parsed ? this.opts.hls.findInit(parsed.url) : undefined;
      if (!init) return false;
      const n = parseInitName(parsed!.url.stream)!;
      return this.serve(res, this.segment(req, u, { ...parsed!.url, stream: n.stream }, res, init, 'video/mp4', method === 'HEAD'));
    }
    if (!parsed) {
      notFound(res, `no stream at ${u.pathname}: use /app/stream.flv, .ts or .m3u8 with letters, digits, - _ . ~`);
      return true;
    }
    const { url, ext } = parsed;
    if (ext === 'm3u8') return this.serve(res, this.playlist(req, u, url, res, method === 'HEAD'));
    if (ext === 'm4s') return this.serve(res, this.m4s(req, u, url, res, method === 'HEAD'));
    if (ext === 'ts') {
      const seg = this.opts.hls.findSegment(url);
      if (seg?.format === 'ts') {
        const stream: StreamUrl = { ...url, stream: parseSegmentName(url.stream)?.stream ?? url.stream };
        return this.serve(res, this.segment(req, u, stream, res, seg.data, 'video/mp2t', method === 'HEAD'));
      }
      return this.serve(res, this.live(req, res, url, tsFormat, 'ts-play', 'video/mp2t'));
    }
    if (ext === 'flv') return this.serve(res, this.live(req, res, url, flvFormat, 'flv-play', 'video/x-flv'));
    return false;
  }

  /** The play check of one HLS request outside a session (token only: no callback per request). */
  private checkRequest(req: IncomingMessage, url: StreamUrl): Promise<PlayRefusal | null> {
    const info: SessionInfo = { clientId: randomId(8), ip: peerIp(req), type: 'hls-play', url, requestUrl: req.url ?? '' };
    return this.opts.hooks.onPlay(info, { tokenOnly: true });
  }

  /**
   * Answers with an HLS file held in memory (segment, part or init segment of `stream`), counting it to the
   * request's hls_ctx session, or checking the play token without one.
   */
  private async segment(req: IncomingMessage, u: URL, stream: StreamUrl, res: ServerResponse, data: Buffer, type: string, head: boolean): Promise<void> {
    const ctx = u.searchParams.get('hls_ctx');
    let session = ctx ? this.opts.hls.findSession(ctx) : undefined;
    if (session?.kicked) {
      notFound(res, `HLS session ${ctx} was ended by the API; reload the player to start a new one`);
      return;
    }
    // A session admits the files of its own stream only (the file's URL names <stream>-<seq>...).
    if (session && !this.opts.hls.covers(session.url, stream)) session = undefined;
    if (!session) {
      const refusal = await this.checkRequest(req, stream);
      if (refusal) return refuse(res, refusal);
    } else {
      session.lastSeen = Date.now();
      if (!head) session.sendBytes += data.length;
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': data.length, 'Cache-Control': 'public, max-age=600' });
    res.end(head ? undefined : data);
  }

  /**
   * An fMP4 media segment (`<stream>-<seq>.m4s`) or low-latency part (`<stream>-<seq>.<part>.m4s`). A request
   * for the part EXT-X-PRELOAD-HINT announces (or the one after) waits until it is written (8216bis 6.2.6).
   */
  private async m4s(req: IncomingMessage, u: URL, url: StreamUrl, res: ServerResponse, head: boolean): Promise<void> {
    const { hls } = this.opts;
    const seg = hls.findSegment(url);
    if (seg?.format === 'fmp4') {
      const stream: StreamUrl = { ...url, stream: parseSegmentName(url.stream)?.stream ?? url.stream };
      return this.segment(req, u, stream, res, seg.data, 'video/iso.segment', head);
    }
    const owner = hls.findPartOwner(url);
    if (owner) {
      let part = owner.seg.part(owner.seq, owner.part);
      const next = owner.seg.nextPart;
      if (!part && owner.seq === next.seq && owner.part <= next.part + 1) {
        await owner.seg.waitFor(owner.seq, owner.part, PART_WAIT_MS);
        part = owner.seg.part(owner.seq, owner.part);
      }
      const stream: StreamUrl = { ...url, stream: parsePartName(url.stream)!.stream };
      if (part) return this.segment(req, u, stream, res, part.data, 'video/iso.segment', head);
    }
    notFound(res, `HLS file ${u.pathname} is not held (too old, or not written yet): reload the playlist`);
  }

  private async playlist(req: IncomingMessage, u: URL, url: StreamUrl, res: ServerResponse, head: boolean): Promise<void> {
    const { hls, hooks } = this.opts;
    if (hls.hasVariants(url)) return this.multivariant(req, u, url, res, head);
    const segmenter = hls.get(streamKey(url));
    const msnText = u.searchParams.get('_HLS_msn');
    if (segmenter && msnText !== null && hls.partsOn) {
      // Blocking playlist reload (8216bis 6.2.5.2): answer once segment msn (or its part _HLS_part) is there.
      const partText = u.searchParams.get('_HLS_part');
      const msn = Number(msnText);
      const part = partText === null ? -1 : Number(partText);
      const next = segmenter.nextPart;
      if (!Number.isInteger(msn) || msn < 0 || !Number.isInteger(part) || part < -1 || msn > next.seq + 2) {
        sendError(res, 400, `invalid _HLS_msn/_HLS_part (${msnText}/${partText}): the next segment is ${next.seq}; at most two beyond it can be waited for`);
        return;
      }
      await segmenter.waitFor(msn, part, BLOCK_WAIT_MS);
      if (res.destroyed) return;
    }
    const seg = hls.get(streamKey(url));
    const notYet = () =>
      notFound(res, `stream ${streamPath(url)} is not published or has no HLS segment yet; publish it (e.g. rtmp://host/${url.app}/${url.stream}) and retry in a few seconds`);
    if (!seg || !seg.playlist()) {
      // Without a token, a viewer learns nothing of the stream: the play check comes first.
      const refusal = await this.checkRequest(req, url);
      if (refusal) return refuse(res, refusal);
      return notYet();
    }
    const settings = hls.current;
    const answer = (text: string, cache: string) => {
      res.writeHead(200, {
        'Content-Type': 'application/vnd.apple.mpegurl',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': cache,
      });
      res.end(head ? undefined : text);
    };
    const token = u.searchParams.get('token');
    // Without sessions each request is checked, and the token rides on the segment URLs.
    const plainAnswer = async (cache: string) => {
      const refusal = await this.checkRequest(req, url);
      if (refusal) return refuse(res, refusal);
      const text = seg.playlist(token ? `token=${encodeURIComponent(token)}` : '');
      if (!text) return notYet();
      answer(text, cache);
    };
    if (settings.noHlsCtx) return plainAnswer(`public, max-age=${settings.lowLatency ? 1 : 10}`);
    const ctx = u.searchParams.get('hls_ctx');
    if (ctx !== null && !HLS_CTX_RE.test(ctx)) {
      sendError(res, 400, 'invalid hls_ctx: use the playlist URL without it to start a session (1 to 64 letters, digits, - or _)');
      return;
    }
    const ip = peerIp(req);
    const noCache = 'no-cache, no-store, must-revalidate';
    const known = ctx ? hls.findSession(ctx) : undefined;
    if (known && !hls.covers(known.url, url)) {
      sendError(res, 403, `HLS session ${ctx} plays ${streamPath(known.url)}, not ${streamPath(url)}; use the playlist URL without hls_ctx to start a session for this stream`);
      return;
    }
    const id = known ? known.id : hls.freshSessionId(ctx);
    if (!known) {
      // A new viewer (or a session this server does not know, e.g. after a restart): the play check, once.
      const pageUrl = referer(req);
      const refusal = await hooks.onPlay({ clientId: id, ip, type: 'hls-play', url, requestUrl: req.url ?? '', ...(pageUrl ? { pageUrl } : {}) });
      if (refusal) return refuse(res, refusal);
    }
    const session = hls.session(id, ip, url, req.url ?? '');
    if (session === null) {
      notFound(res, `HLS session ${ctx} was ended by the API; reload the player to start a new one`);
      return;
    }
    if (session === undefined) return plainAnswer(noCache); // too many sessions: this player is served without one
    if (!ctx) {
      // As SRS: a one-entry playlist naming the session; the player follows it and keeps the session.
      const rest = new URLSearchParams(u.searchParams);
      rest.delete('hls_ctx');
      const query = rest.toString();
      const name = u.pathname.split('/').pop()!;
      const text = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n${name}?hls_ctx=${session.id}${query ? `&${query}` : ''}\n`;
      answer(text, noCache);
      return;
    }
    answer(seg.playlist(`hls_ctx=${encodeURIComponent(session.id)}`)!, noCache);
  }

  /**
   * An ABR group's multivariant playlist (live/S_abr.m3u8). With hls_ctx sessions on, it starts (or keeps) one
   * session for the group and each rendition's URI carries it, so the player's rendition playlists and segments
   * count as that one viewer.
   */
  private async multivariant(req: IncomingMessage, u: URL, url: StreamUrl, res: ServerResponse, head: boolean): Promise<void> {
    const { hls, hooks } = this.opts;
    const settings = hls.current;
    let query = '';
    let cache = `public, max-age=${settings.lowLatency ? 1 : 10}`;
    if (settings.noHlsCtx) {
      // No sessions: this request is checked, and the token rides on the rendition URIs.
      const refusal = await this.checkRequest(req, url);
      if (refusal) return refuse(res, refusal);
      const token = u.searchParams.get('token');
      if (token) query = `token=${encodeURIComponent(token)}`;
    } else {
      cache = 'no-cache, no-store, must-revalidate';
      const ctx = u.searchParams.get('hls_ctx');
      if (ctx !== null && !HLS_CTX_RE.test(ctx)) {
        notFound(res, 'invalid hls_ctx: use the playlist URL without it to start a session');
        return;
      }
      const ip = peerIp(req);
      const known = ctx ? hls.findSession(ctx) : undefined;
      if (known && !hls.covers(known.url, url)) {
        sendError(res, 403, `HLS session ${ctx} plays ${streamPath(known.url)}, not ${streamPath(url)}; use the playlist URL without hls_ctx to start a session for this stream`);
        return;
      }
      const id = known ? known.id : hls.freshSessionId(ctx);
      if (!known) {
        // A new viewer of the group: the play check, once.
        const pageUrl = referer(req);
        const refusal = await hooks.onPlay({ clientId: id, ip, type: 'hls-play', url, requestUrl: req.url ?? '', ...(pageUrl ? { pageUrl } : {}) });
        if (refusal) return refuse(res, refusal);
      }
      const session = hls.session(id, ip, url, req.url ?? '');
      if (session === null) {
        notFound(res, `HLS session ${ctx} was ended by the API; reload the player to start a new one`);
        return;
      }
      if (session) query = `hls_ctx=${encodeURIComponent(session.id)}`;
    }
    const text = hls.multivariant(url, query);
    if (!text) {
      notFound(res, `no rendition of ${streamPath(url)} is live yet: its transcode starts them when the source stream publishes; retry in a few seconds`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': cache });
    res.end(head ? undefined : text);
  }

  private async live(
    req: IncomingMessage,
    res: ServerResponse,
    url: StreamUrl,
    format: OutputFormat,
    type: ClientType,
    contentType: string,
  ): Promise<void> {
    const { hub, logger, hooks } = this.opts;
    const ip = peerIp(req);
    const client = new HttpViewerClient(ip, type, url, req.url ?? '', res);
    const pageUrl = referer(req);
    const info: SessionInfo = { clientId: client.id, ip, type, url, requestUrl: req.url ?? '', ...(pageUrl ? { pageUrl } : {}) };
    if (req.method !== 'HEAD') {
      const refusal = await hooks.onPlay(info);
      if (refusal) return refuse(res, refusal);
    } else {
      const refusal = await hooks.onPlay(info, { tokenOnly: true });
      if (refusal) return refuse(res, refusal);
    }
    if (res.destroyed) {
      if (req.method !== 'HEAD') hooks.onStop(info);
      return;
    }
    const stream = hub.get(url);
    if (!stream || !stream.active) {
      if (req.method !== 'HEAD') hooks.onStop(info);
      notFound(res, `stream ${streamPath(url)} is not published; publish it first (e.g. rtmp://host/${url.app}/${url.stream})`);
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache', Connection: 'close' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const log = logger.child({ cid: client.id, ip });
    req.socket.setNoDelay(true);
    hub.clients.add(client);
    log.info({ event: 'play', url: `${url.vhost}${streamPath(url)}`, proto: type }, 'http play start');
    // The head goes out now; the body bypasses res.write (see chunked-sink.ts) and res.end() writes the
    // last chunk, so Node's response state stays right.
    res.flushHeaders();
    const sink = new HttpStreamSink(req.socket, res.chunkedEncoding, this.framer);
    let ended = false;
    const viewer = stream.addViewer(format, client, sink, {
      onEnd: () => {
        ended = true;
        res.end();
      },
    });
    res.on('close', () => {
      if (!ended) stream.removeViewer(viewer);
      hub.clients.remove(client);
      hooks.onStop(info);
      log.info({ event: 'stop', url: `${url.vhost}${streamPath(url)}`, sent: client.sendBytes, drops: viewer.drops }, 'http play end');
    });
  }
}
