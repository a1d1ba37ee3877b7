// HTTP callbacks settings (SRS Stack's mgmt/hooks/*): query shows the settings and the last request/response,
// apply turns callbacks on or off for a target URL, test sends a sample on_publish to the target and reports
// the request and answer, example is a sample receiver (?fail=true makes it refuse).
import type { ApiDeps } from '../../deps.js';
import { ApiError, badRequest } from '../../../errors.js';
import { Keys } from '../../../redis/keys.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { hooksApplyBody, hooksExampleBody } from './schema.js';

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function registerCallbacks(r: ApiRoutes, d: ApiDeps): void {
  r.add({
    path: '/terraform/v1/mgmt/hooks/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      const h = await d.store.hgetall(Keys.HOOKS);
      return {
        req: h.req ?? '',
        res: h.res ?? '',
        target: h.target ?? '',
        opaque: h.opaque ?? '',
        all: h.all === 'true',
        host: h.host ?? '',
      };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/hooks/apply',
    methods: ['GET', 'POST'],
    auth: true,
    schema: hooksApplyBody,
    async handler({ body, ctx }) {
      const target = (body.target ?? '').trim();
      if (body.all && !isHttpUrl(target)) {
        throw badRequest(
          `field "target" must be an http:// or https:// URL when "all" is true, got ${JSON.stringify(target)}; ` +
            'e.g. {"all":true,"target":"http://127.0.0.1:8085/api/v1/hooks"}',
        );
      }
      if (target && !isHttpUrl(target)) throw badRequest(`field "target" must be an http:// or https:// URL, got ${JSON.stringify(target)}`);
      const host = body.host || `${ctx.protocol}://${ctx.host}`;
      await d.callbacks.apply({ all: body.all, target, opaque: body.opaque ?? '', host });
      d.logger.info({ all: body.all, target }, 'HTTP callbacks settings changed');
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/hooks/test',
    methods: ['GET', 'POST'], // like every SRS Stack route
    auth: true,
    schema: empty,
    summary: 'sends a sample on_publish callback (live/test, "test":"true") to the target, also while callbacks are off -> {target, ok, reason?, request, status, response, error}',
    async handler() {
      const target = (await d.callbacks.config()).target;
      if (!target) throw badRequest('no callback target is set: save one first (mgmt/hooks/apply {"all":false,"target":"http://..."})');
      const r = await d.callbacks.test();
      d.logger.info({ target, ok: r.ok, status: r.status, error: r.error || undefined }, 'test callback sent');
      return r;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/hooks/example',
    methods: ['GET', 'POST'],
    auth: false,
    schema: hooksExampleBody,
    handler({ body, query }) {
      const fail = query.get('fail');
      if (fail === 'true' || fail === '1') {
        throw new ApiError(400, 400, `fail as required (?fail=${fail}), action=${body.action ?? ''}, opaque=${body.opaque ?? ''}`);
      }
      d.logger.info({ action: body.action, opaque: body.opaque }, 'sample callback receiver: ok');
      return null;
    },
  });
}
