// System: versions (no auth), check (Redis reachable and the first boot done), envs (ports, limits and features
// the console reads; stores the console's locale), status (version and upgrade state) and the API secret
// (mgmt/secret/query).
import { existsSync } from 'node:fs';
import type { ApiDeps } from '../../deps.js';
import { ApiError } from '../../../errors.js';
import { Keys } from '../../../redis/keys.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { checkResult, envsBody, envsResult, statusResult, versionResult } from './schema.js';

/** SRS Stack's locales; anything else is stored as `un`. */
function locale(v: string): 'en' | 'zh' | 'un' {
  return v === 'en' || v === 'zh' ? v : 'un';
}

/** True inside a Docker or Podman container. */
function inContainer(): boolean {
  return existsSync('/.dockerenv') || existsSync('/run/.containerenv');
}

export function registerSystem(r: ApiRoutes, d: ApiDeps): void {
  const versions = () => ({ version: d.version.replace(/^v/, '') });
  for (const v of ['host', 'mgmt', 'ffmpeg', 'hooks', 'tencent']) {
    const path = `/terraform/v1/${v}/versions`;
    r.add({ path, methods: ['GET', 'POST'], auth: false, schema: empty, response: versionResult, summary: 'this server\'s version: {"version":"x.y.z"}', handler: versions });
  }

  r.add({
    path: '/terraform/v1/mgmt/check',
    methods: ['GET', 'POST'],
    auth: false,
    schema: empty,
    response: checkResult,
    summary: 'health: 200 {upgrading:false} once Redis answers and the first boot (publish secret) is done',
    async handler() {
      await d.store.ping();
      const { state } = await d.secrets.current();
      if (!state.pubSecret) throw new ApiError(503, 503, 'Redis is not ready: the publish secret is not there yet; retry in a few seconds');
      return { upgrading: false };
    },
  });

  const platformDocker = d.config.platformDocker ?? inContainer();
  r.add({
    path: '/terraform/v1/mgmt/envs',
    methods: ['GET', 'POST'],
    auth: false,
    schema: envsBody,
    response: envsResult,
    summary: 'the bound ports (srtPort 0: SRT is off), slot limits and features for the console; {locale} stores the console language (SRS_LOCALE)',
    async handler({ body }) {
      const c = d.config;
      let stored: string | null;
      if (body.locale !== undefined) {
        stored = locale(body.locale);
        await d.store.set(Keys.LOCALE, stored);
      } else {
        stored = await d.store.get(Keys.LOCALE);
      }
      return {
        // SRS Stack's meaning: the whole stack is managed as one unit (one image there, one process here),
        // so the console offers no per-container controls.
        mgmtDocker: true,
        platformDocker,
        candidate: !!c.candidate,
        rtmpPort: String(d.ports.rtmp),
        httpPort: String(d.ports.http),
        srtPort: String(d.ports.srt),
        rtcPort: String(d.ports.rtc),
        forwardLimit: c.forwardLimit,
        vLiveLimit: c.vliveLimit,
        cameraLimit: c.cameraLimit,
        locale: stored ?? '',
      };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/status',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    response: statusResult,
    summary: 'version (with a leading v, as SRS Stack), releases and whether an upgrade is running',
    async handler() {
      const v = `v${d.version.replace(/^v/, '')}`;
      const upgrading = (await d.store.hget(Keys.UPGRADING, 'upgrading')) === '1';
      // No release service is asked: the running version is the stable and the latest one known here.
      return { version: v, releases: { version: v, stable: v, latest: v }, upgrading, strategy: 'manual' };
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/secret/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    summary: 'the API bearer secret (a string)',
    handler: () => d.auth.secret,
  });
}
