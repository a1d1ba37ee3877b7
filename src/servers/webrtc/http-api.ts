// The HTTP side of WebRTC on HTTP_PORT/HTTPS_PORT:
// - WHIP (RFC 9725) `POST /rtc/v1/whip/?app=live&stream=S&secret=X` and WHEP `POST /rtc/v1/whep/?app=&stream=`
//   (also SRS's /rtc/v1/whip-play/): an application/sdp offer -> 201, the answer, and a Location whose
//   DELETE ends the session. No trickle ICE: PATCH answers 405.
// - SRS's JSON APIs `POST /rtc/v1/publish/` and `/rtc/v1/play/`: {sdp, streamurl} -> {code, sdp, sessionid}.
// The candidates come from ?eip=, CANDIDATE, or the request's X-Real-Host/Host (see candidate.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_VHOST, isValidName, queryParams, type StreamUrl } from '../../hub/stream-url.js';
import { candidatesFor } from './candidate.js';
import { RtcError } from './peer.js';
import type { RtcSessionRequest, WebRtcServer } from './server.js';

const MAX_BODY = 64 * 1024;

type Route = 'whip' | 'whep' | 'publish' | 'play';

const ROUTES: Record<string, Route> = {
  '/rtc/v1/whip': 'whip',
  '/rtc/v1/whep': 'whep',
  '/rtc/v1/whip-play': 'whep',
  '/rtc/v1/publish': 'publish',
  '/rtc/v1/play': 'play',
};

/** Query parameters that steer the request rather than describe the stream. */
const CONTROL_PARAMS = new Set(['app', 'stream', 'eip', 'action', 'session', 'vhost', 'domain']);

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, { 'Content-Type': 'application/json' }, JSON.stringify({ code: status, message }));
}

function bodyTooLarge(): RtcError {
  return new RtcError(
    413,
    `the request body is larger than the limit of ${MAX_BODY} bytes (${MAX_BODY / 1024} KiB); an SDP offer is a few kilobytes: send just the offer`,
  );
}

/** Reads the body, up to MAX_BODY bytes; a larger one is refused (413) unread, and the rest is discarded. */
function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY) return Promise.reject(bodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        req.off('data', onData);
        chunks.length = 0;
        reject(bodyTooLarge());
        return;
      }
      chunks.push(d);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** WHEP's play token from `Authorization: Bearer <token>` (a ?token= in the query lands in the stream's param). */
function viewerExtras(req: IncomingMessage): { token?: string; pageUrl?: string } {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const ref = req.headers.referer;
  return { ...(m ? { token: m[1]! } : {}), ...(typeof ref === 'string' && ref ? { pageUrl: ref } : {}) };
}

function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** The stream of a WHIP/WHEP query (?app=live&stream=S; the other parameters become the stream's param). */
function streamFromQuery(q: URLSearchParams): StreamUrl {
  const app = q.get('app') || 'live';
  const stream = q.get('stream') ?? '';
  if (!isValidName(app) || !isValidName(stream) || stream.includes('/')) {
    throw new RtcError(400, 'missing or invalid stream: use ?app=live&stream=<name> with letters, digits, - _ . ~');
  }
  const rest = new URLSearchParams();
  for (const [k, v] of q) if (!CONTROL_PARAMS.has(k)) rest.append(k, v);
  const param = rest.toString() ? `?${rest.toString()}` : '';
  return { vhost: q.get('vhost') || q.get('domain') || DEFAULT_VHOST, app, stream, param };
}

/** The stream of an SRS streamurl: webrtc://host[:port]/app/stream[?query]. */
function streamFromStreamUrl(s: unknown): StreamUrl {
  const m = typeof s === 'string' ? /^webrtcs?:\/\/[^/]+\/(.+)\/([^/?]+)(\?.*)?$/i.exec(s.trim()) : null;
  if (!m || !isValidName(m[1]!) || !isValidName(m[2]!)) {
    throw new RtcError(400, 'missing or invalid streamurl: use "webrtc://host/app/stream" (with ?secret=... to publish)');
  }
  const param = m[3] ?? '';
  const params = queryParams(param);
  return { vhost: params.get('vhost') || params.get('domain') || DEFAULT_VHOST, app: m[1]!, stream: m[2]!, param };
}

/** Serves the WebRTC HTTP routes; false when the path is not one of them. */
export function handleRtcHttp(server: WebRtcServer, req: IncomingMessage, res: ServerResponse): boolean {
  const u = new URL(req.url ?? '/', 'http://localhost');
  const route = ROUTES[u.pathname.replace(/\/+$/, '')];
  if (!route) return false;
  const method = req.method ?? 'GET';
  void serve(server, route, method, u, req, res).catch((e: unknown) => {
    const err = e instanceof RtcError ? e : new RtcError(500, `WebRTC request failed: ${(e as Error)?.message ?? e}`);
    if (err.status >= 500) server.opts.logger.error({ err: err.message, url: req.url }, 'rtc http request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    // A body refused unread: answer, then close the connection rather than read the rest of it.
    if (err.status === 413) res.setHeader('Connection', 'close');
    sendError(res, err.status, err.message);
  });
  return true;
}

async function serve(
  server: WebRtcServer,
  route: Route,
  method: string,
  u: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const q = u.searchParams;
  // The request going away (before we answered) aborts this signal: a publish being authorized is cancelled.
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) gone.abort();
  });
  if (route === 'whip' || route === 'whep') {
    if (method === 'DELETE') {
      const id = q.get('session') ?? '';
      if (!id || !server.end(id, 'ended by DELETE')) {
        throw new RtcError(404, `no WebRTC session ${JSON.stringify(id)}: it has ended already or never existed; DELETE the Location the POST returned`);
      }
      send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ code: 0 }));
      return;
    }
    if (method === 'PATCH') {
      res.setHeader('Allow', 'POST, DELETE, OPTIONS');
      throw new RtcError(405, 'trickle ICE (PATCH) is not supported: put all candidates in the offer (wait for ICE gathering to complete)');
    }
    if (method !== 'POST') throw new RtcError(405, `${method} is not supported here: POST an SDP offer (application/sdp)`);
    const url = streamFromQuery(q);
    const offer = await readBody(req);
    const r: RtcSessionRequest = {
      url,
      requestUrl: req.url ?? '',
      ip: clientIp(req),
      offer,
      candidateIps: await candidatesFor(req, q.get('eip'), server.opts.candidate, server.mux.address.address),
      signal: gone.signal,
      ...(route === 'whep' ? viewerExtras(req) : {}),
    };
    const { session, answer } = route === 'whip' ? await server.publish(r) : await server.play(r);
    const location = `/rtc/v1/${route}/?action=delete&app=${encodeURIComponent(url.app)}&stream=${encodeURIComponent(url.stream)}&session=${session.id}`;
    send(res, 201, { 'Content-Type': 'application/sdp', Location: location }, answer);
    return;
  }
  if (method !== 'POST') throw new RtcError(405, `${method} is not supported here: POST {"sdp": "...", "streamurl": "webrtc://host/app/stream"}`);
  const text = await readBody(req);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    throw new RtcError(400, 'the body must be JSON: {"sdp": "<offer>", "streamurl": "webrtc://host/app/stream"}');
  }
  const url = streamFromStreamUrl(body.streamurl);
  if (typeof body.sdp !== 'string') throw new RtcError(400, 'missing "sdp": put the SDP offer in the JSON body');
  const eip = q.get('eip') ?? queryParams(url.param).get('eip') ?? null;
  const r: RtcSessionRequest = {
    url,
    requestUrl: String(body.streamurl),
    ip: typeof body.clientip === 'string' && body.clientip ? body.clientip : clientIp(req),
    offer: body.sdp,
    candidateIps: await candidatesFor(req, eip, server.opts.candidate, server.mux.address.address),
    signal: gone.signal,
    ...(route === 'play' ? viewerExtras(req) : {}),
  };
  const { session, answer } = route === 'publish' ? await server.publish(r) : await server.play(r);
  send(
    res,
    200,
    { 'Content-Type': 'application/json' },
    JSON.stringify({ code: 0, server: 'srs-node', service: session.id, pid: String(process.pid), sdp: answer, sessionid: session.id }),
  );
}
