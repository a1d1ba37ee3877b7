// The HLS settings of SRS Stack's console, kept in Redis (SRS_HP_HLS.noHlsCtx, SRS_LL_HLS.hlsLowLatency),
// pushed to the HLS server through its port: at start, after each change, and when Redis comes back (a
// setting Redis has lost is written back from the one in force; one it has is applied). This takes the
// place of SRS Stack's regenerating srs.vhost.conf and reloading SRS.
import type { Logger } from 'pino';
import type { HlsSettings, HlsSettingsPort } from '../servers/ports.js';
import { errorMessage } from './errors.js';
import { Keys } from './redis/keys.js';
import type { Store } from './redis/store.js';

export class HlsSettingsSync {
  /** the settings last applied */
  private applied: HlsSettings = { noHlsCtx: false, lowLatency: false };

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
    return this.apply(await this.read());
  }

  private apply(s: HlsSettings): HlsSettings {
    this.applied = s;
    this.port?.applyHlsSettings(s);
    this.logger.info({ hls: s }, 'HLS settings applied');
    return s;
  }

  /**
   * After Redis came back: a setting it no longer has (it lost its data) is written back from the one in
   * force; the others are applied. Logs a failure instead of throwing (the settings in force stay).
   */
  restore(): Promise<void> {
    const run = async () => {
      const [noHlsCtx, lowLatency] = await Promise.all([
        this.store.hget(Keys.HP_HLS, 'noHlsCtx'),
        this.store.hget(Keys.LL_HLS, 'hlsLowLatency'),
      ]);
      if (noHlsCtx === null) await this.store.hset(Keys.HP_HLS, { noHlsCtx: String(this.applied.noHlsCtx) });
      if (lowLatency === null) await this.store.hset(Keys.LL_HLS, { hlsLowLatency: String(this.applied.lowLatency) });
      this.apply({
        noHlsCtx: noHlsCtx === null ? this.applied.noHlsCtx : noHlsCtx === 'true',
        lowLatency: lowLatency === null ? this.applied.lowLatency : lowLatency === 'true',
      });
    };
    return run().then(
      () => undefined,
      (e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'could not load the HLS settings from Redis; the previous ones stay in force'),
    );
  }
}
