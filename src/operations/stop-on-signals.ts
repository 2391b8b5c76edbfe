// SIGTERM/SIGINT: finish the requests in flight (cut after SHUTDOWN_TIMEOUT), close the database,
// exit 0. The same for a single process and for each cluster worker, which the primary sends SIGTERM.
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import type { RunningServer } from '../server.js';

export function stopOnSignals(running: RunningServer, config: Config, log: Logger): void {
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
