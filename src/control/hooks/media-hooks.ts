// The MediaHooks the servers call (RTMP now; SRT and WHIP through the same function): the publish secret first,
// then the on_publish callback when callbacks are on. Never hangs: Redis reads fail fast and fall back to the
// last known settings, and the callback has its own deadline.
import type { Logger } from 'pino';
import type { MediaHooks, SessionInfo } from '../../servers/ports.js';
import { errorMessage } from '../errors.js';
import type { Callbacks } from './callbacks.js';
import { checkPublishSecret, type PublishSecrets } from './publish-secret.js';

function where(s: SessionInfo): string {
  return `${s.url.vhost}/${s.url.app}/${s.url.stream}`;
}

export function createMediaHooks(secrets: PublishSecrets, callbacks: Callbacks, logger: Logger): MediaHooks {
  async function decide(s: SessionInfo): Promise<string | null> {
    const log = logger.child({ clientId: s.clientId, ip: s.ip, type: s.type, stream: where(s) });
    const { state, fresh } = await secrets.current();
    if (!fresh) log.warn('Redis is unavailable: checking the publish against the last known secret');
    const check = checkPublishSecret(state, s.url);
    if (!check.ok) {
      log.warn({ reason: check.message, by: check.by }, 'publish refused: wrong or missing secret');
      return check.message;
    }
    const hook = await callbacks.send('on_publish', s.url);
    if (!hook.ok) {
      const message =
        `publish refused for ${s.url.app}/${s.url.stream}: ${hook.reason}; ` +
        'fix the callback receiver, or turn HTTP callbacks off (POST /terraform/v1/mgmt/hooks/apply {"all":false})';
      log.warn({ reason: hook.reason }, 'publish refused by the on_publish callback');
      return message;
    }
    log.info({ by: check.by }, 'publish allowed');
    return null;
  }

  return {
    async onPublish(s: SessionInfo): Promise<string | null> {
      try {
        return await decide(s);
      } catch (e) {
        logger.error({ clientId: s.clientId, stream: where(s), err: errorMessage(e) }, 'publish check failed');
        return `publish refused for ${s.url.app}/${s.url.stream}: the server could not check it (${errorMessage(e)}); try again, and see the server log`;
      }
    },
    onUnpublish(s: SessionInfo): void {
      callbacks.send('on_unpublish', s.url).then(
        (r) => {
          if (!r.ok) logger.warn({ clientId: s.clientId, stream: where(s), reason: r.reason }, 'on_unpublish callback failed (ignored)');
        },
        (e: unknown) => logger.warn({ clientId: s.clientId, err: errorMessage(e) }, 'on_unpublish callback failed (ignored)'),
      );
    },
  };
}
