// Forward (SRS Stack's /terraform/v1/ffmpeg/forward/*): read and change the targets (forward/secret: without
// action the map platform -> config, with action "update" one target is created or overwritten and its task
// restarted), and their state (forward/streams). A bad platform, a missing or unsupported server URL, a bad
// stream name and going over the limit are answered 400 with what to change.
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { badRequest } from '../../../errors.js';
import { JobRefusedError } from '../../../jobs/job-kind.js';
import { forwardOutputUrl, platformError, streamRefError, type ForwardConfig } from '../../../jobs/forward/config.js';
import { checkTargetUrl } from '../../../../servers/target-push.js';
import { empty, type JsonSchema } from '../../schema.js';
import { forwardSecretBody } from './schema.js';

const BASE = '/terraform/v1/ffmpeg/forward';

const configSchema: JsonSchema = {
  type: 'object',
  properties: {
    platform: { type: 'string' },
    stream: { type: 'string', description: "the input: a stream name or app/stream; '' = the stream being published" },
    backup: { type: 'string', description: 'ours: the stream to continue from while `stream` is not live' },
    server: { type: 'string' },
    secret: { type: 'string' },
    enabled: { type: 'boolean' },
    custom: { type: 'boolean' },
    label: { type: 'string' },
  },
};

export function registerForward(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];

  r.add({
    path: `${BASE}/secret`,
    methods,
    auth: true,
    schema: forwardSecretBody,
    summary: 'forward targets: without action, the map platform -> config; with action "update", create or change one target (its task restarts)',
    response: { oneOf: [{ type: 'object', additionalProperties: configSchema }, { type: 'null' }] },
    async handler({ body }) {
      if (body.action === undefined || body.action === '') return d.forward.configs();
      if (body.action !== 'update') throw badRequest(`invalid action=${body.action}: use "update" to change a target, or no action to list them`);
      const platform = body.platform ?? '';
      if (!platform) throw badRequest('no platform: give the target\'s slot, e.g. {"platform":"forwarding-1-a1b2c3", ...} (wx, bilibili, kuaishou or forwarding-...)');
      const why = platformError(platform);
      if (why) throw badRequest(why);
      const server = (body.server ?? '').trim();
      if (!server) throw badRequest('no server: give the target\'s URL, e.g. "server":"rtmp://live.example.com/app" and "secret":"<stream key>"');
      for (const [name, v] of [['stream', body.stream], ['backup', body.backup]] as const) {
        const bad = streamRefError(v ?? '');
        if (bad) throw badRequest(`field "${name}" ${bad}, got ${JSON.stringify(v)}`);
      }
      const config: ForwardConfig = {
        platform,
        stream: (body.stream ?? '').replace(/^\/+/, ''),
        server,
        secret: (body.secret ?? '').trim(),
        enabled: body.enabled ?? false,
        custom: body.custom ?? false,
        label: body.label ?? '',
        backup: (body.backup ?? '').replace(/^\/+/, ''),
      };
      if (config.backup && config.backup === config.stream) throw badRequest('field "backup" names the same stream as "stream"; give another stream, or "" for none');
      try {
        checkTargetUrl(forwardOutputUrl(config));
      } catch (e) {
        throw badRequest(`bad target: ${(e as Error).message}`);
      }
      try {
        await d.forward.update(config);
      } catch (e) {
        throw e instanceof JobRefusedError ? badRequest(e.message) : e;
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/streams`,
    methods,
    auth: true,
    schema: empty,
    summary: 'forward targets with their state: starting, running (frames, kbps, uptime, input), retrying (in N ms, with the reason), stopped',
    response: { type: 'array', items: { type: 'object' } },
    handler: () => d.forward.streams(),
  });
}
