// HTTP media on HTTP_PORT: HTTP-FLV (/app/stream.flv), HTTP-TS (/app/stream.ts) and HLS
// (/app/stream.m3u8 + /app/stream-<seq>.ts). Anything else is left to the API handler.
// HLS as SRS Stack serves it: with hls_ctx on (the default), a playlist request without `hls_ctx` starts a
// session and is answered with a playlist pointing at STREAM.m3u8?hls_ctx=<session>, whose segment URLs
// carry the session (each session is a viewer); with noHlsCtx the playlist is plain and cacheable
// (max-age 10 s, 1 s with low latency). Segments are cacheable for 600 s either way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { randomId } from '../../core/ids.js';
import type { Client, ClientType } from '../../hub/client.js';
import type { Hub } from '../../hub/hub.js';
import type { OutputFormat } from '../../hub/channel.js';
import { parseHttpStreamPath, streamKey, streamPath, type StreamUrl } from '../../hub/stream-url.js';
import type { HlsServer } from '../hls/hls.js';
import { ChunkFramer, HttpStreamSink } from './chunked-sink.js';
import { flvFormat } from './flv-format.js';
import { tsFormat } from '../mpegts/ts-format.js';

export interface HttpMediaOptions {
  hub: Hub;
  hls: HlsServer;
  logger: Logger;
}

const HLS_CTX_RE = /^[\w-]{1,64}$/;

function notFound(res: ServerResponse, message: string): void {
  const body = JSON.stringify({ code: 404, message });
  res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
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

  constructor(private readonly opts: HttpMediaOptions) {}

  /** Serves the request when it is a media URL; returns false to let the next handler try. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? 'GET';
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (!/\.(flv|ts|m3u8)$/i.test(u.pathname)) return false;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const parsed = parseHttpStreamPath(u.pathname, u.search, req.headers.host ?? '');
    if (!parsed) {
      notFound(res, `no stream at ${u.pathname}: use /app/stream.flv, .ts or .m3u8 with letters, digits, - _ . ~`);
      return true;
    }
    const { url, ext } = parsed;
    if (ext === 'm3u8') return this.playlist(req, u, url, res, method === 'HEAD'), true;
    if (ext === 'ts') {
      {
        const seg = this.opts.hls.findSegment(url);
        if (seg) {
          const ctx = u.searchParams.get('hls_ctx');
          const session = ctx ? this.opts.hls.findSession(ctx) : undefined;
          if (session?.kicked) {
            notFound(res, `HLS session ${ctx} was ended by the API; reload the player to start a new one`);
            return true;
          }
          if (session) {
            session.lastSeen = Date.now();
            if (method !== 'HEAD') session.sendBytes += seg.data.length;
          }
          res.writeHead(200, {
            'Content-Type': 'video/mp2t',
            'Content-Length': seg.data.length,
            'Cache-Control': 'public, max-age=600',
          });
          res.end(method === 'HEAD' ? undefined : seg.data);
          return true;
        }
      }
      return this.live(req, res, url, tsFormat, 'ts-play', 'video/mp2t'), true;
    }
    if (ext === 'flv') return this.live(req, res, url, flvFormat, 'flv-play', 'video/x-flv'), true;
    return false;
  }

  private playlist(req: IncomingMessage, u: URL, url: StreamUrl, res: ServerResponse, head: boolean): void {
    const { hls } = this.opts;
    if (hls.hasVariants(url)) return this.multivariant(req, u, url, res, head);
    const seg = hls.get(streamKey(url));
    const plain = seg?.playlist();
    if (!seg || !plain) {
      notFound(res, `stream ${streamPath(url)} is not published or has no HLS segment yet; publish it (e.g. rtmp://host/${url.app}/${url.stream}) and retry in a few seconds`);
      return;
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
    if (settings.noHlsCtx) {
      answer(plain, `public, max-age=${settings.lowLatency ? 1 : 10}`);
      return;
    }
    const ctx = u.searchParams.get('hls_ctx');
    if (ctx !== null && !HLS_CTX_RE.test(ctx)) {
      const body = JSON.stringify({ code: 400, message: 'invalid hls_ctx: use the playlist URL without it to start a session (1 to 64 letters, digits, - or _)' });
      res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const session = hls.session(ctx, ip, url, req.url ?? '');
    const noCache = 'no-cache, no-store, must-revalidate';
    if (session === null) {
      notFound(res, `HLS session ${ctx} was ended by the API; reload the player to start a new one`);
      return;
    }
    if (session === undefined) {
      answer(plain, noCache); // too many sessions: this player is served without one
      return;
    }
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
  private multivariant(req: IncomingMessage, u: URL, url: StreamUrl, res: ServerResponse, head: boolean): void {
    const { hls } = this.opts;
    const settings = hls.current;
    let query = '';
    let cache = `public, max-age=${settings.lowLatency ? 1 : 10}`;
    if (!settings.noHlsCtx) {
      cache = 'no-cache, no-store, must-revalidate';
      const ctx = u.searchParams.get('hls_ctx');
      if (ctx !== null && !HLS_CTX_RE.test(ctx)) {
        notFound(res, 'invalid hls_ctx: use the playlist URL without it to start a session');
        return;
      }
      const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const session = hls.session(ctx, ip, url, req.url ?? '');
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

  private live(
    req: IncomingMessage,
    res: ServerResponse,
    url: StreamUrl,
    format: OutputFormat,
    type: ClientType,
    contentType: string,
  ): void {
    const { hub, logger } = this.opts;
    const stream = hub.get(url);
    if (!stream || !stream.active) {
      notFound(res, `stream ${streamPath(url)} is not published; publish it first (e.g. rtmp://host/${url.app}/${url.stream})`);
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache', Connection: 'close' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const client = new HttpViewerClient(ip, type, url, req.url ?? '', res);
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
      log.info({ event: 'stop', url: `${url.vhost}${streamPath(url)}`, sent: client.sendBytes, drops: viewer.drops }, 'http play end');
    });
  }
}
