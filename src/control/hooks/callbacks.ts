// HTTP callbacks (SRS Stack's "HTTP Callback"): when enabled with a target URL, POST JSON with exactly SRS Stack's
// fields (request_id, action, opaque, vhost, app, stream, param) for on_publish and on_unpublish, and SRS's
// on_play/on_stop (with client_id, ip and pageUrl). Success is
// HTTP 200 with {"code":0} or a body of 0. The last request and response are kept in SRS_HOOKS req/res.
// test() sends a sample on_publish for the console's "send a test" button.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { DEFAULT_VHOST, type StreamUrl } from '../../hub/stream-url.js';
import { StoreUnavailableError, errorMessage } from '../errors.js';
import { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

export interface HookConfig {
  /** callbacks on for all streams */
  all: boolean;
  /** the URL that receives the callbacks */
  target: string;
  /** a string passed through in every callback (e.g. a token for the receiver) */
  opaque: string;
  /** the server's own base URL, for links in record callbacks */
  host: string;
}

export type HookAction = 'on_publish' | 'on_unpublish' | 'on_play' | 'on_stop' | 'on_record_begin' | 'on_record_end';

/** Who a play callback is about (SRS's on_play/on_stop fields). */
export interface HookViewer {
  client_id: string;
  ip: string;
  pageUrl?: string;
}

/** The JSON body of a callback: SRS Stack's fields; empty optional fields are left out as SRS Stack does. */
export interface HookRequest {
  request_id: string;
  action: HookAction;
  opaque: string;
  vhost?: string;
  app?: string;
  stream?: string;
  param?: string;
  [extra: string]: string | number | undefined;
}

/** One callback sent: the JSON body, the HTTP status (0 when none came), the answer, and a network error. */
export interface HookDelivery {
  request: string;
  status: number;
  response: string;
  error: string;
}

/** What mgmt/hooks/test reports: the delivery, the target, and whether the receiver said yes (else why not). */
export interface HookTest extends HookDelivery {
  target: string;
  ok: boolean;
  reason?: string;
}

export type HookResult = { ok: true; response: string } | { ok: false; reason: string };

const MAX_RESPONSE = 64 * 1024;

export function parseHookHash(h: Record<string, string>): HookConfig {
  return { all: h.all === 'true', target: h.target ?? '', opaque: h.opaque ?? '', host: h.host ?? '' };
}

/** The callback body for a stream event. */
export function buildHookRequest(action: HookAction, opaque: string, url: StreamUrl, extra: Record<string, string | number> = {}, viewer?: HookViewer): HookRequest {
  const req: HookRequest = { request_id: randomUUID(), action, opaque };
  // on_play/on_stop also say who plays, as SRS's on_play does (client_id, ip, then the stream, param, pageUrl).
  if (viewer) {
    req.client_id = viewer.client_id;
    req.ip = viewer.ip;
  }
  if (url.vhost) req.vhost = url.vhost;
  if (url.app) req.app = url.app;
  if (url.stream) req.stream = url.stream;
  if ((action === 'on_publish' || action === 'on_play') && url.param) req.param = url.param;
  if (viewer?.pageUrl) req.pageUrl = viewer.pageUrl;
  return Object.assign(req, extra);
}

/** Judges a callback answer: HTTP 200 and a code of 0, as `{"code":0}` or a bare `0`. */
export function judgeResponse(status: number, body: string): { ok: true } | { ok: false; reason: string } {
  if (status !== 200) return { ok: false, reason: `it answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}` };
  const t = body.trim();
  let code: unknown;
  if (/^-?\d+$/.test(t)) code = Number(t);
  else {
    try {
      const j: unknown = JSON.parse(t);
      code = j !== null && typeof j === 'object' ? (j as Record<string, unknown>).code : undefined;
    } catch {
      code = undefined;
    }
  }
  if (code === 0) return { ok: true };
  if (code === undefined) return { ok: false, reason: `its answer is not {"code":0} or 0: ${t.slice(0, 200) || '(empty)'}` };
  return { ok: false, reason: `it answered code ${String(code)}` };
}

/** POSTs JSON and resolves with the status and body, or rejects on a network error or the deadline. */
export function postJson(target: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      reject(new Error(`the target ${target} is not a URL`));
      return;
    }
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      reject(new Error(`the target ${target} is not an http:// or https:// URL`));
      return;
    }
    const send = secure ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' },
        // Like SRS Stack, accept self-signed certificates on the receiver.
        ...(secure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size <= MAX_RESPONSE) chunks.push(d);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

/** Sends the callbacks, with the hook settings read from Redis (last known ones while Redis is unreachable). */
export class Callbacks {
  private cache: HookConfig;
  /** the last request/response, also when Redis could not store them */
  last: { req: string; res: string } = { req: '', res: '' };

  private constructor(
    private readonly store: Store,
    initial: HookConfig,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.cache = initial;
  }

  static async init(store: Store, timeoutMs: number, logger: Logger): Promise<Callbacks> {
    return new Callbacks(store, parseHookHash(await store.hgetall(Keys.HOOKS)), timeoutMs, logger);
  }

  async config(): Promise<HookConfig> {
    try {
      const h = await this.store.hgetall(Keys.HOOKS);
      // A Redis that lost its data should not silently turn callbacks off: keep the last known settings.
      if (Object.keys(h).length > 0 || !this.cache.all) this.cache = parseHookHash(h);
      else void this.restore().catch(() => undefined);
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
    }
    return this.cache;
  }

  async apply(c: HookConfig): Promise<void> {
    await this.store.hset(Keys.HOOKS, { target: c.target, opaque: c.opaque, all: String(c.all), host: c.host });
    this.cache = c;
  }

  /** Puts the last known settings back when Redis came back without them. */
  async restore(): Promise<void> {
    const c = this.cache;
    if (!c.all && !c.target) return;
    if (await this.store.hsetnx(Keys.HOOKS, 'all', String(c.all))) {
      await this.store.hset(Keys.HOOKS, { target: c.target, opaque: c.opaque, host: c.host });
      this.logger.warn('Redis came back without the HTTP callback settings; restored the last known ones');
    }
  }

  /**
   * Sends one callback if callbacks are on. Resolves ok when they are off or the receiver said yes; never
   * rejects, and never takes longer than the hook timeout (plus a Redis command or two).
   */
  async send(action: HookAction, url: StreamUrl, extra: Record<string, string | number> = {}, viewer?: HookViewer): Promise<HookResult> {
    const cfg = await this.config();
    if (!cfg.all || !cfg.target) return { ok: true, response: '' };
    const d = await this.deliver(cfg.target, buildHookRequest(action, cfg.opaque, url, extra, viewer));
    if (d.error) return { ok: false, reason: `the ${action} callback to ${cfg.target} failed: ${d.error}` };
    const verdict = judgeResponse(d.status, d.response);
    if (!verdict.ok) return { ok: false, reason: `the ${action} callback to ${cfg.target} said no: ${verdict.reason}` };
    this.logger.debug({ action, target: cfg.target, req: d.request, res: d.response }, 'callback ok');
    return { ok: true, response: d.response };
  }

  /**
   * Sends a sample on_publish callback (stream live/test, with "test":"true" so a receiver can tell) to the
   * configured target, also while callbacks are off, and reports what happened. Records req/res like a real one.
   */
  async test(): Promise<HookTest> {
    const cfg = await this.config();
    if (!cfg.target) throw new Error('no callback target is set: set one (mgmt/hooks/apply {"target":...}) first');
    const url: StreamUrl = { vhost: DEFAULT_VHOST, app: 'live', stream: 'test', param: '' };
    const d = await this.deliver(cfg.target, buildHookRequest('on_publish', cfg.opaque, url, { test: 'true' }));
    const verdict = d.error ? { ok: false as const, reason: d.error } : judgeResponse(d.status, d.response);
    return { target: cfg.target, ...d, ok: verdict.ok, ...(verdict.ok ? {} : { reason: verdict.reason }) };
  }

  /** POSTs one callback body and keeps the request and response (in memory and SRS_HOOKS req/res). */
  private async deliver(target: string, req: HookRequest): Promise<HookDelivery> {
    const body = JSON.stringify(req);
    this.last = { req: body, res: '' };
    void this.store.hset(Keys.HOOKS, { req: body }).catch(() => undefined);
    let status: number;
    let text: string;
    try {
      ({ status, body: text } = await postJson(target, body, this.timeoutMs));
    } catch (e) {
      return { request: body, status: 0, response: '', error: errorMessage(e) };
    }
    this.last = { req: body, res: text };
    void this.store.hset(Keys.HOOKS, { res: text }).catch(() => undefined);
    return { request: body, status, response: text, error: '' };
  }
}
