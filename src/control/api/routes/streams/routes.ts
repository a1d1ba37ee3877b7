// SRS Stack's stream list and kick (mgmt/streams/*), answered from the hub: the streams being published now,
// in SRS Stack's SrsStream shape; kickoff disconnects a stream's publisher.
import type { ApiDeps } from '../../deps.js';
import { notFound } from '../../../errors.js';
import { describeActive } from '../../../hooks/active-streams.js';
import { Keys, activeStreamField } from '../../../redis/keys.js';
import { DEFAULT_VHOST } from '../../../../hub/stream-url.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { kickoffBody } from './schema.js';

export function registerStreams(r: ApiRoutes, d: ApiDeps): void {
  r.add({
    path: '/terraform/v1/mgmt/streams/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    handler() {
      return { streams: d.hub.list().filter((s) => s.active).map((s) => describeActive(s, d.serverId)) };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/streams/kickoff',
    methods: ['GET', 'POST'],
    auth: true,
    schema: kickoffBody,
    handler({ body }) {
      const url = { vhost: body.vhost || DEFAULT_VHOST, app: body.app, stream: body.stream };
      const s = d.hub.get({ ...url, param: '' });
      const publisher = s?.publisher;
      if (!s || !publisher) {
        throw notFound(`stream ${url.app}/${url.stream} (vhost ${url.vhost}) is not being published; list streams with /terraform/v1/mgmt/streams/query`, 2048);
      }
      if (body.client_id && body.client_id !== publisher.id) {
        throw notFound(`client ${body.client_id} is not the publisher of ${url.app}/${url.stream} (that is ${publisher.id})`, 2049);
      }
      publisher.close('kicked off by the API (mgmt/streams/kickoff)');
      d.store.hdel(Keys.STREAM_ACTIVE, activeStreamField(url)).catch(() => undefined);
      d.logger.info({ clientId: publisher.id, stream: `${url.vhost}/${url.app}/${url.stream}` }, 'stream kicked off by the API');
      return null;
    },
  });
}
