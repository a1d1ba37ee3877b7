// The API's Koa application: the JSON error envelope, then the routes of every resource (CORS, Server and
// OPTIONS are answered before this, for every response, by servers/http/common-headers.ts).
// Errors: ApiError -> its status; Redis unreachable -> 503; anything else -> 500.
import Koa from 'koa';
import type { Context } from 'koa';
import { ApiError, StoreUnavailableError, errorMessage } from '../errors.js';
import type { ApiDeps } from './deps.js';
import { empty } from './schema.js';
import { openApiDocument } from './openapi.js';
import { ApiRoutes, type RouteInfo } from './router.js';
import { registerCallbacks } from './routes/callbacks/routes.js';
import { registerHttps } from './routes/https/routes.js';
import { registerForward } from './routes/forward/routes.js';
import { registerCamera } from './routes/camera/routes.js';
import { registerLogin } from './routes/login/routes.js';
import { registerOps } from './routes/ops/routes.js';
import { registerNotBuilt } from './routes/not-built/routes.js';
import { registerPlayAuth } from './routes/play-auth/routes.js';
import { registerPublishSecret } from './routes/publish-secret/routes.js';
import { registerRooms } from './routes/rooms/routes.js';
import { registerRecord } from './routes/record/routes.js';
import { registerTranscript } from './routes/transcript/routes.js';
import { registerSettings } from './routes/settings/routes.js';
import { registerSrsApi } from './routes/srs/routes.js';
import { registerStreams } from './routes/streams/routes.js';
import { registerSystem } from './routes/system/routes.js';
import { registerTranscode } from './routes/transcode/routes.js';
import { registerVlive } from './routes/vlive/routes.js';

export interface ApiOptions {
  /** largest request body, bytes (default 1 MiB) */
  bodyLimit?: number;
}

export interface Api {
  app: Koa;
  routes: RouteInfo[];
}

export function createApi(d: ApiDeps, opts: ApiOptions = {}): Api {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  const routes = new ApiRoutes({ auth: d.auth, serverId: d.serverId, serviceId: d.serviceId, bodyLimit: opts.bodyLimit ?? 1024 * 1024 });

  const writeError = (ctx: Context, e: unknown) => {
    let status: number;
    let code: number;
    let message: string;
    if (e instanceof ApiError) {
      ({ status, code } = e);
      message = e.message;
      for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
    } else if (e instanceof StoreUnavailableError) {
      status = 503;
      code = 503;
      message = `${e.message}; media keeps flowing; retry when Redis is back`;
      ctx.set('Retry-After', '5');
      d.logger.debug({ path: ctx.path, err: e.reason }, 'API call failed: Redis is unavailable');
    } else {
      status = 500;
      code = 500;
      message = `internal error: ${errorMessage(e)}; see the server log`;
      d.logger.error({ path: ctx.path, err: e instanceof Error ? e.stack : String(e) }, 'API call failed');
    }
    ctx.status = status;
    ctx.body = { code, message };
  };

  app.use(async (ctx, next) => {
    const t0 = Date.now();
    try {
      await next();
      if (ctx.body === undefined && ctx.status === 404) {
        throw new ApiError(404, 404, `no API ${ctx.method} ${ctx.path}; the APIs are under /terraform/v1/ (SRS Stack) and /api/v1/ (SRS)`);
      }
    } catch (e) {
      writeError(ctx, e);
    }
    d.logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Date.now() - t0, ip: ctx.request.ip }, 'api');
  });

  registerSystem(routes, d);
  registerLogin(routes, d);
  registerSettings(routes, d);
  registerPublishSecret(routes, d);
  registerPlayAuth(routes, d);
  registerRooms(routes, d);
  registerCallbacks(routes, d);
  registerStreams(routes, d);
  registerRecord(routes, d);
  registerTranscode(routes, d);
  registerForward(routes, d);
  registerCamera(routes, d);
  registerVlive(routes, d);
  registerTranscript(routes, d);
  registerSrsApi(routes, d);
  registerHttps(routes, d);
  registerOps(routes, d);
  registerNotBuilt(routes);
  let openapi: string | null = null;
  routes.add({
    path: '/terraform/v1/openapi.json',
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'this document: the OpenAPI 3.1 description of every route, made from the route registry',
    handler({ ctx }) {
      openapi ??= JSON.stringify(openApiDocument(routes.table, d.version));
      ctx.type = 'application/json';
      ctx.body = openapi;
    },
  });
  app.use(routes.router.routes());

  return { app, routes: routes.table };
}
