// Route registration: each route declares its path, methods, whether it needs authentication, its body schema
// and its envelope; this module reads the body, checks credentials, validates, and writes the envelope (as
// JSONP with ?callback=, like SRS), so the resource handlers only do their work. The table of routes is kept
// for tests and for the OpenAPI document (openapi.ts). SRS Stack paths that are not built here are
// registered too, answering 501 with the reason, so a client never gets a 404 or a hang for them.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { Auth } from '../auth/auth.js';
import { normalizeIp } from '../auth/throttle.js';
import { ApiError, badRequest } from '../errors.js';
import { parseJsonObject, readRaw, type JsonObject } from './body.js';
import { empty, jsonSchemaOf, type Field, type JsonSchema } from './schema.js';

export type Method = 'GET' | 'POST' | 'DELETE';

/** What a handler gets. */
export interface ApiRequest<T> {
  /** the validated body */
  body: T;
  /** the body as sent */
  raw: JsonObject;
  query: URLSearchParams;
  params: Record<string, string>;
  /** the TCP peer address (X-Forwarded-For is not trusted) */
  ip: string;
  ctx: Context;
}

/**
 * - stack: SRS Stack's `{"code":0,"server":"<id>","data":<result>}`
 * - srs: SRS's `{"code":0,"server":"<id>","service":"<id>","pid":"<pid>", ...result}` (result is an object)
 * - raw: the handler writes ctx itself
 */
export type Envelope = 'stack' | 'srs' | 'raw';

export interface RouteSpec<T> {
  path: string;
  methods: Method[];
  auth: boolean;
  schema: Field<T>;
  envelope?: Envelope;
  /**
   * the handler reads the request body itself (a multipart upload, streamed): nothing is read before it, and
   * authentication takes the Authorization header or ?token= only
   */
  streamBody?: boolean;
  /** one line for the OpenAPI document (default: made from the path) */
  summary?: string;
  /** the result (`data` of the envelope) as JSON Schema, for the OpenAPI document */
  response?: JsonSchema;
  handler(r: ApiRequest<T>): unknown;
}

export interface RouteInfo {
  path: string;
  methods: Method[];
  auth: boolean;
  envelope: Envelope;
  /** the request body as JSON Schema */
  body: JsonSchema;
  summary: string;
  /** the result as JSON Schema, when the route declares it */
  response?: JsonSchema;
  /** for an SRS Stack path that is not built here: why (it answers 501 with this) */
  notBuilt?: string;
}

/** A JSONP callback name: identifiers joined by dots (e.g. JSON_CALLBACK, angular.callbacks._0). */
const CALLBACK_RE = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export interface RoutesOptions {
  auth: Auth;
  serverId: string;
  serviceId: string;
  /** largest accepted request body, bytes */
  bodyLimit: number;
}

function firstQuery(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class ApiRoutes {
  readonly router = new Router();
  readonly table: RouteInfo[] = [];

  constructor(private readonly opts: RoutesOptions) {}

  /**
   * Registers an SRS Stack path that is not built here: every call answers 501 with `reason` (say why, and
   * where it is tracked), without authentication. Call it after the real routes: a path registered already
   * is left to its route.
   */
  notBuilt(path: string, reason: string): void {
    if (this.table.some((r) => r.path === path)) return; // built since: the real route answers
    const methods: Method[] = ['GET', 'POST'];
    this.table.push({ path, methods, auth: false, envelope: 'stack', body: jsonSchemaOf(empty), summary: `not built here: ${reason}`, notBuilt: reason });
    const message = `${path.replace(/\/\*rest$/, '/...')} is not built in this server: ${reason}`;
    // The body is not read: whatever comes, the answer is the same.
    this.router.register(path, methods, () => {
      throw new ApiError(501, 501, message);
    });
  }

  add<T>(spec: RouteSpec<T>): void {
    const envelope = spec.envelope ?? 'stack';
    this.table.push({
      path: spec.path,
      methods: spec.methods,
      auth: spec.auth,
      envelope,
      body: jsonSchemaOf(spec.schema),
      summary: spec.summary ?? spec.path.replace(/^\/(terraform|api)\/v1\//, '').replace(/[/-]/g, ' '),
      ...(spec.response ? { response: spec.response } : {}),
    });
    const { auth, serverId, serviceId, bodyLimit } = this.opts;
    this.router.register(spec.path, spec.methods, async (ctx: Context) => {
      const callback = firstQuery(ctx.query.callback);
      if (callback && (!CALLBACK_RE.test(callback) || callback.length > 128)) {
        throw badRequest(`query parameter "callback" must be a JavaScript function name (letters, digits, _ $ and dots), got ${JSON.stringify(callback.slice(0, 40))}`);
      }
      const raw = spec.streamBody ? {} : parseJsonObject(await readRaw(ctx.req, bodyLimit));
      if (spec.auth) {
        // a refused upload is answered at once: the connection closes rather than reading its body
        if (spec.streamBody) ctx.res.once('finish', () => ctx.req.complete || ctx.req.socket.destroySoon());
        await auth.check({
          authorization: ctx.get('authorization') || undefined,
          bodyToken: raw.token,
          queryToken: firstQuery(ctx.query.token),
        });
      }
      const body = spec.schema.parse(raw, 'body');
      const params = ((ctx as unknown as { params?: Record<string, string> }).params ?? {});
      const result = await spec.handler({
        body,
        raw,
        query: new URLSearchParams(ctx.querystring),
        params,
        ip: normalizeIp(ctx.request.ip || ctx.req.socket.remoteAddress || ''),
        ctx,
      });
      if (envelope === 'raw') return;
      const out =
        envelope === 'srs'
          ? { code: 0, server: serverId, service: serviceId, pid: String(process.pid), ...(result as object) }
          : { code: 0, server: serverId, data: result === undefined ? null : result };
      if (!callback) {
        ctx.body = out;
        return;
      }
      ctx.type = 'application/javascript';
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.body = `${callback}(${JSON.stringify(out)})`;
    });
  }
}
