// The HLS settings of SRS Stack's console, kept in Redis (SRS_HP_HLS.noHlsCtx, SRS_LL_HLS.hlsLowLatency),
// pushed to the HLS server through its port: at start, after each change, and when Redis comes back. This
// takes the place of SRS Stack's regenerating srs.vhost.conf and reloading SRS.
import type { Logger } from 'pino';
import type { HlsSettings, HlsSettingsPort } from '../servers/ports.js';
import { errorMessage } from './errors.js';
import { Keys } from './redis/keys.js';
import type { Store } from './redis/store.js';

export class HlsSettingsSync {
  constructor(
    private readonly store: Store,
    private readonly port: HlsSettingsPort | null,
    private readonly logger: Logger,
  ) {}

  /** Reads both settings from Redis. */
  async read(): Promise<HlsSettings> {
    const [noHlsCtx, lowLatency] = await Promise.all([
      this.store.hget(Keys.HP_HLS, 'noHlsCtx'),
      this.store.hget(Keys.LL_HLS, 'hlsLowLatency'),
    ]);
    return { noHlsCtx: noHlsCtx === 'true', lowLatency: lowLatency === 'true' };
  }

  /** Reads the settings and applies them to the HLS server. */
  async load(): Promise<HlsSettings> {
    const s = await this.read();
    this.port?.applyHlsSettings(s);
    this.logger.info({ hls: s }, 'HLS settings applied');
    return s;
  }

  /** load(), logging a failure instead of throwing (the settings in force stay). */
  reload(): Promise<void> {
    return this.load().then(
      () => undefined,
      (e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'could not load the HLS settings from Redis; the previous ones stay in force'),
    );
  }
}
