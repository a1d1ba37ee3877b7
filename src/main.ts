// Entry point: config from the environment, start everything, stop cleanly on SIGINT/SIGTERM.
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startApp } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`config error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  let app;
  try {
    app = await startApp(config, { logger });
  } catch (e) {
    logger.fatal({ err: (e as Error).message }, `cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error(`shutdown took over ${config.shutdownTimeoutMs} ms (SHUTDOWN_TIMEOUT_MS), exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    app.close().then(
      () => {
        logger.flush?.();
        process.exit(0);
      },
      (e: Error) => {
        logger.error({ err: e.message }, 'shutdown error');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
