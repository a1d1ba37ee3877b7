// The MediaHooks every server calls (RTMP, SRT, WHIP/WHEP, HTTP-FLV/TS, HLS): for a publish the publish secret
// first, then the on_publish callback when callbacks are on; for a play the play token when play authentication
// covers the stream, then the on_play callback. Never hangs: Redis reads fail fast and fall back to the last
// known settings, and the callback has its own deadline.
import type { Logger } from 'pino';
import type { MediaHooks, PlayRefusal, SessionInfo } from '../../servers/ports.js';
import { errorMessage } from '../errors.js';
import type { Callbacks, HookViewer } from './callbacks.js';
import { checkPlayToken, playAuthScope, tokenOf, type PlayAuth } from './play-auth.js';
import { checkPublishSecret, type PublishSecrets } from './publish-secret.js';

function where(s: SessionInfo): string {
  return `${s.url.vhost}/${s.url.app}/${s.url.stream}`;
}

function viewerOf(s: SessionInfo): HookViewer {
  return { client_id: s.clientId, ip: s.ip, ...(s.pageUrl ? { pageUrl: s.pageUrl } : {}) };
}

export function createMediaHooks(secrets: PublishSecrets, callbacks: Callbacks, playAuth: PlayAuth, logger: Logger): MediaHooks {
  async function decidePlay(s: SessionInfo, tokenOnly: boolean): Promise<PlayRefusal | null> {
    const { state, fresh } = await playAuth.current();
    const scope = playAuthScope(state, s.url);
    if (scope) {
      const refusal = await checkPlayToken(state.key, tokenOf(s.url, s.token), s.url, s.ip);
      if (refusal) {
        logger.warn({ clientId: s.clientId, ip: s.ip, type: s.type, stream: where(s), scope, fresh, reason: refusal.message }, 'play refused: play token');
        return refusal;
      }
    }
    if (tokenOnly) return null;
    const hook = await callbacks.send('on_play', s.url, {}, viewerOf(s));
    if (!hook.ok) {
      logger.warn({ clientId: s.clientId, ip: s.ip, type: s.type, stream: where(s), reason: hook.reason }, 'play refused by the on_play callback');
      return {
        why: 'refused',
        message:
          `play refused for ${s.url.app}/${s.url.stream}: ${hook.reason}; ` +
          'fix the callback receiver, or turn HTTP callbacks off (POST /terraform/v1/mgmt/hooks/apply {"all":false})',
      };
    }
    return null;
  }

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
    async onPlay(s: SessionInfo, opts: { tokenOnly?: boolean } = {}): Promise<PlayRefusal | null> {
      try {
        return await decidePlay(s, opts.tokenOnly ?? false);
      } catch (e) {
        logger.error({ clientId: s.clientId, stream: where(s), err: errorMessage(e) }, 'play check failed');
        return { why: 'refused', message: `play refused for ${s.url.app}/${s.url.stream}: the server could not check it (${errorMessage(e)}); try again, and see the server log` };
      }
    },
    onStop(s: SessionInfo): void {
      callbacks.send('on_stop', s.url, {}, viewerOf(s)).then(
        (r) => {
          if (!r.ok) logger.warn({ clientId: s.clientId, stream: where(s), reason: r.reason }, 'on_stop callback failed (ignored)');
        },
        (e: unknown) => logger.warn({ clientId: s.clientId, err: errorMessage(e) }, 'on_stop callback failed (ignored)'),
      );
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
