// Play authentication (ours; SRS Stack has none): where play tokens are needed (all streams, some apps; a
// room's own switch is its playAuth field), rotating the play-signing key, and minting play tokens.
import { isValidName } from '../../../../hub/stream-url.js';
import { badRequest } from '../../../errors.js';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { playApplyBody, playTokenBody } from './schema.js';

const BASE = '/terraform/v1/hooks/play';

export function registerPlayAuth(r: ApiRoutes, d: ApiDeps): void {
  r.add({
    path: `${BASE}/query`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    summary: 'where play tokens are needed: all streams, apps, live rooms (by stream)',
    async handler() {
      const { state } = await d.playAuth.current();
      return { all: state.all, apps: state.apps, rooms: [...state.rooms] };
    },
  });

  r.add({
    path: `${BASE}/apply`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: playApplyBody,
    summary: 'turn play tokens on or off for all streams or some apps; rotateKey revokes every token',
    async handler({ body }) {
      const { state } = await d.playAuth.current();
      const next = { all: body.all ?? state.all, apps: body.apps ?? state.apps };
      await d.playAuth.apply(next);
      if (body.rotateKey) await d.playAuth.rotateKey();
      d.logger.info({ ...next, rotated: !!body.rotateKey }, 'play authentication settings changed');
      return null;
    },
  });

  r.add({
    path: `${BASE}/token`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: playTokenBody,
    summary: 'mint a play token (JWT HS256): streams as a glob over /app/stream, expiry, optional viewer IP',
    async handler({ body }) {
      let streams = body.streams;
      if (!streams) {
        const app = body.app ?? 'live';
        if (!body.stream || !isValidName(app) || !isValidName(body.stream)) {
          throw badRequest('say which streams: {"streams":"/live/*"} (a glob over /app/stream), or {"app":"live","stream":"<name>"}');
        }
        streams = `/${app}/${body.stream}`;
      }
      const exp = Math.floor(Date.now() / 1000) + (body.expires ?? 3600);
      return d.playAuth.mint({ streams, exp, ...(body.ip ? { ip: body.ip } : {}) });
    },
  });
}
