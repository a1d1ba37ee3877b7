// Settings kept in Redis under SRS Stack's keys: beian (ICP filing text), limits (kbps caps of virtual live and IP
// camera streams), hphls (HLS without per-viewer context), hlsll (low-latency HLS), openai (API key and base URL).
import type { ApiDeps } from '../../deps.js';
import { Keys } from '../../../redis/keys.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { beianUpdateBody, hlsllUpdateBody, hphlsUpdateBody, limitsUpdateBody, openaiUpdateBody } from './schema.js';

/** SRS Stack's default limits: 5 Mbps. */
export const DEFAULT_LIMIT_KBPS = 5000;

function positiveInt(v: string | null | undefined, def: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : def;
}

export function registerSettings(r: ApiRoutes, d: ApiDeps): void {
  // Like SRS Stack, the beian text is public: the console shows it before login.
  r.add({
    path: '/terraform/v1/mgmt/beian/query',
    methods: ['GET', 'POST'],
    auth: false,
    schema: empty,
    handler: () => d.store.hgetall(Keys.BEIAN),
  });
  r.add({
    path: '/terraform/v1/mgmt/beian/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: beianUpdateBody,
    async handler({ body }) {
      await d.store.hset(Keys.BEIAN, { [body.beian]: body.text });
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/limits/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      const h = await d.store.hgetall(Keys.SYS_LIMITS);
      return { vlive: positiveInt(h.vlive, DEFAULT_LIMIT_KBPS), camera: positiveInt(h.camera, DEFAULT_LIMIT_KBPS) };
    },
  });
  r.add({
    path: '/terraform/v1/mgmt/limits/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: limitsUpdateBody,
    async handler({ body }) {
      await d.store.hset(Keys.SYS_LIMITS, { vlive: String(body.vlive), camera: String(body.camera) });
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/hphls/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      return { noHlsCtx: (await d.store.hget(Keys.HP_HLS, 'noHlsCtx')) === 'true' };
    },
  });
  r.add({
    path: '/terraform/v1/mgmt/hphls/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: hphlsUpdateBody,
    async handler({ body }) {
      await d.store.hset(Keys.HP_HLS, { noHlsCtx: String(body.noHlsCtx) });
      await d.hlsSettings.load();
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/hlsll/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      return { hlsLowLatency: (await d.store.hget(Keys.LL_HLS, 'hlsLowLatency')) === 'true' };
    },
  });
  r.add({
    path: '/terraform/v1/mgmt/hlsll/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: hlsllUpdateBody,
    async handler({ body }) {
      await d.store.hset(Keys.LL_HLS, { hlsLowLatency: String(body.hlsLowLatency) });
      await d.hlsSettings.load();
      return null;
    },
  });

  r.add({
    path: '/terraform/v1/mgmt/openai/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      const h = await d.store.hgetall(Keys.SYS_OPENAI);
      return { aiSecretKey: h.key ?? '', aiBaseURL: h.url ?? '', aiOrganization: h.org ?? '' };
    },
  });
  r.add({
    path: '/terraform/v1/mgmt/openai/update',
    methods: ['GET', 'POST'],
    auth: true,
    schema: openaiUpdateBody,
    async handler({ body }) {
      await d.store.hset(Keys.SYS_OPENAI, { key: body.aiSecretKey, url: body.aiBaseURL, org: body.aiOrganization ?? '' });
      return null;
    },
  });
}
