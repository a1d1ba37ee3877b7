// The publish secret (SRS Stack's hooks/srs/secret/*): query it, change it, or turn the check off (pubNoAuth).
// A change takes effect for the next publish.
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { secretDisableBody, secretUpdateBody } from './schema.js';

export function registerPublishSecret(r: ApiRoutes, d: ApiDeps): void {
  for (const path of ['/terraform/v1/hooks/srs/secret', '/terraform/v1/hooks/srs/secret/query']) {
    r.add({
      path,
      methods: ['GET', 'POST'],
      auth: true,
      schema: empty,
      async handler() {
        const { state, fresh } = await d.secrets.current();
        if (!fresh) await d.store.ping(); // answers 503 when Redis is down rather than a possibly stale secret
        return { publish: state.pubSecret, pubNoAuth: state.pubNoAuth };
      },
    });
  }

  r.add({
    path: '/terraform/v1/hooks/srs/secret/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: secretUpdateBody,
    async handler({ body }) {
      await d.secrets.setSecret(body.secret);
      d.logger.info('publish secret changed through the API');
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/hooks/srs/secret/disable',
    methods: ['GET', 'POST'],
    auth: true,
    schema: secretDisableBody,
    async handler({ body }) {
      await d.secrets.setNoAuth(body.pubNoAuth);
      d.logger.info({ pubNoAuth: body.pubNoAuth }, body.pubNoAuth ? 'publish secret check turned off' : 'publish secret check turned on');
      return null;
    },
  });
}
