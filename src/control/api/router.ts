// Route registration: each route declares its path, methods, whether it needs authentication, its body schema
// and its envelope; this module reads the body, checks credentials, validates, and writes the envelope, so the
// resource handlers only do their work. The table of routes is kept for tests and docs.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { Auth } from '../auth/auth.js';
import { normalizeIp } from '../auth/throttle.js';
import { parseJsonObject, readRaw, type JsonObject } from './body.js';
import type { Field } from './schema.js';

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
  handler(r: ApiRequest<T>): unknown;
}

export interface RouteInfo {
  path: string;
  methods: Method[];
  auth: boolean;
}

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

  add<T>(spec: RouteSpec<T>): void {
    this.table.push({ path: spec.path, methods: spec.methods, auth: spec.auth });
    const envelope = spec.envelope ?? 'stack';
    const { auth, serverId, serviceId, bodyLimit } = this.opts;
    this.router.register(spec.path, spec.methods, async (ctx: Context) => {
      const raw = parseJsonObject(await readRaw(ctx.req, bodyLimit));
      if (spec.auth) {
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
      if (envelope === 'srs') {
        ctx.body = { code: 0, server: serverId, service: serviceId, pid: String(process.pid), ...(result as object) };
      } else {
        ctx.body = { code: 0, server: serverId, data: result === undefined ? null : result };
      }
    });
  }
}
