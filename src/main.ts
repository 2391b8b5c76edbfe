// `npm start`: reads the configuration, starts the server, and stops it on SIGTERM/SIGINT.
import './operations/v8-memory-flags.js';
import { ConfigError, loadConfig } from './config/env.js';
import { loadEnvFile } from './config/env-file.js';
import { createLogger } from './logging/logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    loadEnvFile();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const running = await startServer(config, log);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutSeconds: config.shutdownTimeoutSeconds }, `${signal} received: finishing in-flight requests`);
    // close() cuts busy connections at the timeout; this only guards against a hung pool close.
    setTimeout(() => {
      log.error('shutdown did not complete in time; exiting');
      process.exit(1);
    }, (config.shutdownTimeoutSeconds + 10) * 1000).unref();
    running.close().then(() => {
      log.info('stopped');
      process.exit(0);
    }, (error) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`gatehouse: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
