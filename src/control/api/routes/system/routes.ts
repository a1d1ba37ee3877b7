// System: versions (no auth), check (is Redis ready), envs (ports and features for the console), status and the
// API secret (mgmt/secret/query).
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { envsBody } from './schema.js';

export function registerSystem(r: ApiRoutes, d: ApiDeps): void {
  const versions = () => ({ version: d.version.replace(/^v/, '') });
  for (const path of ['/terraform/v1/host/versions', '/terraform/v1/mgmt/versions', '/terraform/v1/ffmpeg/versions']) {
    r.add({ path, methods: ['GET', 'POST'], auth: false, schema: empty, handler: versions });
  }

  r.add({
    path: '/terraform/v1/mgmt/check',
    methods: ['GET', 'POST'],
    auth: false,
    schema: empty,
    async handler() {
      await d.store.ping();
      return { upgrading: false };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/envs',
    methods: ['GET', 'POST'],
    auth: false,
    schema: envsBody,
    handler() {
      const c = d.config;
      return {
        mgmtDocker: false,
        platformDocker: false,
        candidate: !!c.candidate,
        rtmpPort: String(c.rtmpPort),
        httpPort: String(c.httpPort),
        srtPort: String(c.srtPort),
        rtcPort: String(c.rtcPort),
        forwardLimit: 0,
        vLiveLimit: 0,
        cameraLimit: 0,
      };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/status',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    handler() {
      const v = d.version.replace(/^v/, '');
      return { version: v, releases: { version: v, stable: v, latest: v }, upgrading: false, strategy: 'manual' };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/secret/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    handler: () => d.auth.secret,
  });
}
