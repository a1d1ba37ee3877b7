// The management plane: Redis (embedded redis-server or REDIS_URL), authentication, the publish secret and
// HTTP callbacks behind the MediaHooks the servers call, and the SRS Stack (/terraform/v1) and SRS (/api/v1)
// HTTP APIs. src/app.ts wires it: servers get `hooks`, the HTTP server hands non-media requests to `handle`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { randomId } from '../core/ids.js';
import type { Hub } from '../hub/hub.js';
import type { HlsSettingsPort, HlsVariantsPort, MediaHooks } from '../servers/ports.js';
import { createApi } from './api/app.js';
import { DEFAULT_LIMIT_KBPS } from './api/routes/settings/routes.js';
import type { RouteInfo } from './api/router.js';
import type { ListenPorts, Readiness } from './api/deps.js';
import { TrafficStats } from './api/stats.js';
import { SystemStats } from './api/system-stats.js';
import { Auth } from './auth/auth.js';
import { SetupCode } from './auth/setup-code.js';
import { LoginThrottle, type ThrottleOptions } from './auth/throttle.js';
import { errorMessage } from './errors.js';
import { HlsSettingsSync } from './hls-settings.js';
import { ActiveStreams } from './hooks/active-streams.js';
import { Callbacks } from './hooks/callbacks.js';
import { createMediaHooks } from './hooks/media-hooks.js';
import { PlayAuth } from './hooks/play-auth.js';
import { PublishSecrets } from './hooks/publish-secret.js';
import { HttpsCertificates } from './https/manager.js';
import type { Certificate } from './https/certificate.js';
import { JobManager } from './jobs/job-manager.js';
import { Forwarder } from './jobs/forward/forwarder.js';
import { Cameras } from './jobs/camera/cameras.js';
import { Recorder } from './jobs/record/recorder.js';
import { Transcoder } from './jobs/transcode/transcoder.js';
import { Keys } from './redis/keys.js';
import { LiveRooms } from './rooms/rooms.js';
import { VirtualLive } from './jobs/vlive/vlive.js';
import { Transcriber } from './jobs/transcript/transcriber.js';
import { EmbeddedRedis } from './redis/launcher.js';
import { Store, parseRedisUrl } from './redis/store.js';

import { ControlPlaneError } from './errors.js';
export { ControlPlaneError };
export type { Certificate };

export interface ControlPlane {
  /** authorize publishes and send HTTP callbacks: give this to every media server */
  hooks: MediaHooks;
  /** the HTTP handler for /terraform/v1/**, /api/v1/** (and anything that is not media) */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** the API routes (path, methods, whether they need auth) */
  readonly routes: readonly RouteInfo[];
  /** the Redis in use: the REDIS_URL, or unix:///... of the embedded one */
  readonly redisUrl: string;
  /** the API bearer secret */
  readonly platformSecret: string;
  /** The app tells the ports it bound (after listen), so the API reports those rather than a configured 0. */
  setListenPorts(ports: ListenPorts): void;
  /** the HTTPS certificate: the app serves `current()` and swaps in each new one given to `onChange` */
  readonly https: Pick<HttpsCertificates, 'current' | 'onChange' | 'answerChallenge'>;
  /** Shutdown begins: /readyz answers 503 from now on. */
  drain(): void;
  /**
   * Graceful shutdown, after the publishers ended: the live recordings are finalized into index.mp4, waiting at
   * most `budgetMs`; those not done by then are suspended by close (the next start finishes them).
   */
  finalize(budgetMs: number): Promise<void>;
  /** Stops the API's timers, closes Redis and stops the embedded redis-server. */
  close(): Promise<void>;
}

/** Knobs for tests; the defaults suit production. */
export interface ControlPlaneOptions {
  throttle?: Partial<ThrottleOptions>;
  /** largest API request body, bytes (default 1 MiB) */
  bodyLimit?: number;
  /** traffic and /proc sampling interval, ms (default 5000) */
  statsIntervalMs?: number;
  /** Redis command timeout, ms (default 1500) */
  redisCommandTimeoutMs?: number;
  /** how long to wait for Redis at start, ms (default 5000) */
  redisConnectTimeoutMs?: number;
}

export interface ControlPlaneDeps {
  config: Config;
  hub: Hub;
  logger: Logger;
  version: string;
  /** the HLS server, given the HLS settings (hphls, hlsll) and the ABR groups of the transcodes */
  hls?: HlsSettingsPort & HlsVariantsPort;
  options?: ControlPlaneOptions;
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ControlPlaneError(`ACME_CA_FILE=${path} cannot be read (${errorMessage(e)}): give the PEM file of the ACME server's CA, or unset it`);
  }
}

export async function createControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  const { config, hub, version } = deps;
  const opts = deps.options ?? {};
  const logger = deps.logger.child({ module: 'control' });

  let embedded: EmbeddedRedis | null = null;
  let store: Store;
  if (config.redisUrl) {
    store = await Store.connect(parseRedisUrl(config.redisUrl), logger, {
      commandTimeoutMs: opts.redisCommandTimeoutMs,
      connectTimeoutMs: opts.redisConnectTimeoutMs,
    });
  } else {
    embedded = new EmbeddedRedis({ dir: join(config.dataDir, 'redis'), logger: deps.logger.child({ module: 'redis' }) });
    await embedded.start();
    try {
      store = await Store.connect({ path: embedded.socketPath }, logger, {
      commandTimeoutMs: opts.redisCommandTimeoutMs,
      connectTimeoutMs: opts.redisConnectTimeoutMs,
    });
    } catch (e) {
      await embedded.stop();
      throw e;
    }
  }

  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    const serverId = `vid-${randomId(7)}`;
    const serviceId = randomId(8);
    const auth = await Auth.init(store, config, logger);
    const setupCode = new SetupCode(logger);
    if (!(await auth.initialized())) setupCode.ensure();
    const secrets = await PublishSecrets.init(store, logger);
    const playAuth = await PlayAuth.init(store, logger);
    const rooms = new LiveRooms(store, secrets, playAuth, hub, logger);
    const callbacks = await Callbacks.init(store, config.hookTimeoutMs, logger);
    const active = new ActiveStreams(hub, store, serverId, logger);
    await active.start();
    cleanup.push(() => active.stop());
    const stats = new TrafficStats(hub, opts.statsIntervalMs ?? 5000);
    stats.start();
    cleanup.push(() => stats.stop());
    const system = new SystemStats(opts.statsIntervalMs ?? 5000);
    await system.start();
    cleanup.push(() => system.stop());
    // The job manager stops its tasks after the kinds have stopped taking new work (cleanup runs in reverse).
    const jobs = new JobManager({ store, logger });
    cleanup.push(() => jobs.close());
    const recorder = await Recorder.start({ config, hub, store, callbacks, jobs, logger });
    cleanup.push(() => recorder.close());
    const forward = await Forwarder.start({ hub, jobs, logger, limit: config.forwardLimit });
    const hooks = createMediaHooks(secrets, callbacks, playAuth, logger);
    const ports: ListenPorts = { http: config.httpPort, rtmp: config.rtmpPort, srt: config.srtPort, rtc: config.rtcPort };
    const vlive = await VirtualLive.start({ config, hub, hooks, store, jobs, logger, ports: () => ({ rtmp: ports.rtmp, srt: ports.srt }) });
    cleanup.push(() => vlive.close());
    const transcriber = await Transcriber.start({ config, hub, store, jobs, logger });
    const hlsSettings = new HlsSettingsSync(store, deps.hls ?? null, logger);
    await hlsSettings.load();
    const https = await HttpsCertificates.start({
      dataDir: config.dataDir,
      store,
      logger: logger.child({ module: 'https' }),
      acmeDirectoryUrl: config.acmeDirectoryUrl,
      acmeEmail: config.acmeEmail,
      acmeCaPem: config.acmeCaFile ? await readCaFile(config.acmeCaFile) : null,
      httpPort: config.httpPort,
      challengePort: config.acmeHttpPort,
      renewBeforeDays: config.certRenewDays,
      checkIntervalMs: config.certCheckIntervalMs,
    });
    cleanup.push(() => https.close());
    await https.saveKeys();
    const transcoder = await Transcoder.start({
      hub,
      hooks,
      secrets,
      jobs,
      logger,
      ports: () => ({ rtmp: ports.rtmp, srt: ports.srt }),
      hls: deps.hls ?? null,
      limit: config.transcodeLimit,
    });

    // Redis came back (possibly empty, if it lost its data): put back what we know.
    store.onReconnect(() => {
      Promise.all([auth.restore(), secrets.restore(), playAuth.restore(), callbacks.restore(), active.resync(), hlsSettings.restore(), https.saveKeys()]).catch((e: unknown) =>
        logger.warn({ err: errorMessage(e) }, 'could not restore the settings after Redis came back'),
      );
    });

    const readiness: Readiness = { bound: false, draining: false };
    const throttle = new LoginThrottle(opts.throttle);
    const cameras = await Cameras.start({
      jobs,
      hub,
      hooks,
      logger,
      ports: () => ({ rtmp: ports.rtmp, srt: ports.srt }),
      limit: config.cameraLimit,
      bitrateLimitKbps: async () => {
        const n = Number(await store.hget(Keys.SYS_LIMITS, 'camera').catch(() => null));
        return Number.isInteger(n) && n > 0 ? n : DEFAULT_LIMIT_KBPS;
      },
    });
    const api = createApi(
      { config, ports, hub, store, auth, throttle, setupCode, secrets, playAuth, rooms, callbacks, stats, system, recorder, transcriber, transcoder, forward, cameras, vlive, hlsSettings, https, jobs, readiness, logger, version, serverId, serviceId, startedAt: Date.now() },
      { bodyLimit: opts.bodyLimit },
    );
    const callback = api.app.callback();
    logger.info({ redis: store.where, embedded: !!embedded, serverId }, 'control plane ready');

    let closed = false;
    return {
      hooks,
      handle(req, res) {
        void callback(req, res);
      },
      routes: api.routes,
      https,
      redisUrl: embedded ? embedded.url : store.where,
      platformSecret: auth.secret,
      setListenPorts(p) {
        Object.assign(ports, p);
        void vlive.register();
        readiness.bound = true;
      },
      drain() {
        readiness.draining = true;
      },
      async finalize(budgetMs) {
        let timer: NodeJS.Timeout | undefined;
        const t0 = Date.now();
        const done = recorder.finalizeAll('the server is shutting down').then((n) => {
          if (n > 0) logger.info({ recordings: n, ms: Date.now() - t0 }, 'shutdown: recordings finalized');
          return true;
        });
        const ok = await Promise.race([done, new Promise<false>((r) => (timer = setTimeout(() => r(false), budgetMs)))]);
        clearTimeout(timer);
        if (!ok) logger.warn({ budgetMs }, 'shutdown: recordings still finalizing after the budget; they are suspended and finished at the next start');
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const f of cleanup.splice(0).reverse()) await f();
        await store.close();
        if (embedded) await embedded.stop();
      },
    };
  } catch (e) {
    for (const f of cleanup.splice(0).reverse()) await f();
    await store.close();
    if (embedded) await embedded.stop();
    throw e;
  }
}
