// The admin console's built files (console/dist) on HTTP_PORT, at / and at /mgmt/ (SRS Stack's old links).
// Hashed assets (/assets/*) are cached for a year, index.html is revalidated every time; files precompressed at
// build time (.br, .gz beside them) are sent when the browser accepts them. Any other GET under / that is not an
// API (/terraform/, /api/, /rtc/) or media path is answered with index.html, so the app's own routes load.
import { statSync, createReadStream, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

export interface StaticConsoleOptions {
  /** the built console: index.html and assets/ */
  dir: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Paths that belong to the API, WebRTC signalling or media: never the console's. */
const NOT_CONSOLE = /^\/(terraform|api|rtc)(\/|$)|\.(flv|ts|m3u8|aac|mp3|mp4|m4s|m4a|webm)$/i;

const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|txt|map)$/;

function statFile(p: string): Stats | null {
  try {
    const s = statSync(p);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class StaticConsole {
  private readonly root: string;

  constructor(opts: StaticConsoleOptions) {
    this.root = resolve(opts.dir);
  }

  /** True when the console is built (index.html is there). */
  get available(): boolean {
    return statFile(join(this.root, 'index.html')) !== null;
  }

  /** Serves the request when it is the console's; returns false to let the next handler try. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const raw = (req.url ?? '/').split('?')[0]!.split('#')[0]!;
    if (NOT_CONSOLE.test(raw)) return false;
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      plain(res, 400, `bad URL encoding in ${raw}`);
      return true;
    }
    if (NOT_CONSOLE.test(path)) return false;
    if (!this.available) return false;
    if (path.includes('\0') || path.includes('\\') || path.split('/').includes('..')) {
      plain(res, 400, `refused: ${raw} leaves the console's folder`);
      return true;
    }
    if (path === '/mgmt' || path.startsWith('/mgmt/')) path = path.slice('/mgmt'.length) || '/';
    const file = resolve(this.root, `.${path}`);
    if (file !== this.root && !file.startsWith(this.root + sep)) {
      plain(res, 400, `refused: ${raw} leaves the console's folder`);
      return true;
    }
    const st = path.endsWith('/') ? null : statFile(file);
    if (st) {
      const immutable = path.startsWith('/assets/');
      this.send(req, res, file, st, immutable ? 'public, max-age=31536000, immutable' : 'no-cache', method === 'HEAD');
      return true;
    }
    if (path.startsWith('/assets/') || extname(path) !== '') {
      // A missing asset is a 404, never index.html: a stale page must not run HTML as its script.
      plain(res, 404, `no file ${raw} in the console; reload the page (the console may have been rebuilt)`);
      return true;
    }
    const index = join(this.root, 'index.html');
    const ist = statFile(index);
    if (!ist) return false;
    this.send(req, res, index, ist, 'no-cache', method === 'HEAD');
    return true;
  }

  private send(req: IncomingMessage, res: ServerResponse, file: string, st: Stats, cache: string, head: boolean): void {
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Cache-Control': cache, ETag: etag };
    let body = file;
    let size = st.size;
    if (COMPRESSIBLE.test(file)) {
      headers.Vary = 'Accept-Encoding';
      const accept = String(req.headers['accept-encoding'] ?? '');
      for (const [enc, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
        if (!new RegExp(`\\b${enc}\\b`).test(accept)) continue;
        const cst = statFile(file + ext);
        if (cst && cst.mtimeMs >= st.mtimeMs - 1000) {
          headers['Content-Encoding'] = enc;
          body = file + ext;
          size = cst.size;
          break;
        }
      }
    }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { 'Cache-Control': cache, ETag: etag, ...(headers.Vary ? { Vary: headers.Vary } : {}) });
      res.end();
      return;
    }
    headers['Content-Length'] = size;
    res.writeHead(200, headers);
    if (head) {
      res.end();
      return;
    }
    const s = createReadStream(body);
    s.on('error', () => res.destroy());
    s.pipe(res);
  }
}
