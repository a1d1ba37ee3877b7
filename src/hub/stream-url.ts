// Stream addressing: vhost/app/stream plus the query string, parsed the way SRS does
// (rtmp://host[:port]/app[?query] + stream[?query], vhost from ?vhost= or the host name).

export const DEFAULT_VHOST = '__defaultVhost__';

export interface StreamUrl {
  vhost: string;
  app: string;
  stream: string;
  /** the query string with its leading '?', or '' (SRS calls it param) */
  param: string;
}

/** The registry key of a stream: vhost/app/stream. */
export function streamKey(u: { vhost: string; app: string; stream: string }): string {
  return `${u.vhost}/${u.app}/${u.stream}`;
}

/** The SRS-style stream path without vhost: /app/stream. */
export function streamPath(u: { app: string; stream: string }): string {
  return `/${u.app}/${u.stream}`;
}

const NAME_RE = /^[A-Za-z0-9_\-.~]+(\/[A-Za-z0-9_\-.~]+)*$/;

/** True when an app or stream name is safe to use in paths and keys. */
export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && NAME_RE.test(name) && !name.split('/').includes('..');
}

function splitQuery(s: string): [string, string] {
  const i = s.indexOf('?');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i)];
}

/** Reads `?a=b&c=d` into a map; the first value of a key wins. */
export function queryParams(param: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = param.startsWith('?') ? param.slice(1) : param;
  for (const part of q.split(/[&,]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponentSafe(eq < 0 ? part : part.slice(0, eq));
    const v = decodeURIComponentSafe(eq < 0 ? '' : part.slice(eq + 1));
    if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function vhostFor(host: string, params: Map<string, string>): string {
  const v = params.get('vhost') ?? params.get('domain');
  if (v) return v;
  // SRS resolves the vhost from the host name only when such a vhost is configured; with one default
  // vhost, an IP or localhost maps to the default vhost.
  if (!host || /^[0-9.]+$/.test(host) || host === 'localhost' || host.startsWith('[')) return DEFAULT_VHOST;
  return DEFAULT_VHOST;
}

/**
 * Parses an RTMP connect tcUrl and the stream name given to publish/play.
 * Returns null when the app or stream is missing or not a safe name.
 */
export function parseRtmpUrl(tcUrl: string, appFromConnect: string, streamName: string): StreamUrl | null {
  let host = '';
  let appPart = appFromConnect;
  const m = /^rtmps?:\/\/([^/:?]+|\[[^\]]+\])(?::\d+)?\/?([^?]*)(\?.*)?$/i.exec(tcUrl.trim());
  let tcQuery = '';
  if (m) {
    host = m[1]!;
    if (!appPart) appPart = m[2] ?? '';
    tcQuery = m[3] ?? '';
  }
  const [appName, appQuery] = splitQuery(appPart);
  const [name, streamQuery] = splitQuery(streamName.trim());
  // Query on the stream name wins, then on the app, then on the tcUrl.
  const param = streamQuery || appQuery || tcQuery;
  const params = queryParams([tcQuery, appQuery, streamQuery].filter(Boolean).map((q) => q.slice(1)).join('&'));
  const app = appName.replace(/^\/+|\/+$/g, '');
  if (!isValidName(app) || !isValidName(name) || name.includes('/')) return null;
  return { vhost: vhostFor(host, params), app, stream: name, param };
}

/** Parses an HTTP media path like /live/stream.flv into a StreamUrl plus the extension. */
export function parseHttpStreamPath(
  pathname: string,
  search: string,
  host: string,
): { url: StreamUrl; ext: string } | null {
  const m = /^\/(.+)\/([^/]+)\.([a-z0-9]+)$/i.exec(pathname);
  if (!m) return null;
  let app: string;
  let stream: string;
  try {
    app = decodeURIComponent(m[1]!);
    stream = decodeURIComponent(m[2]!);
  } catch {
    return null;
  }
  if (!isValidName(app) || !isValidName(stream)) return null;
  const params = queryParams(search);
  return { url: { vhost: vhostFor(host, params), app, stream, param: search }, ext: m[3]!.toLowerCase() };
}
