// `npm start`: reads the configuration and starts the server, in this process or (WORKERS > 1) as a
// cluster: this process as the primary and a worker per WORKERS, each of which runs this file too.
// Either way SIGTERM/SIGINT stops it cleanly.
import './operations/v8-memory-flags.js';
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from './config/env.js';
import { loadEnvFile } from './config/env-file.js';
import { createLogger } from './logging/logger.js';
import { announceListening, startServer } from './server.js';
import { stopOnSignals } from './operations/stop-on-signals.js';
import { runPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';

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
  if (cluster.isWorker) return runWorker(config, log);
  if (config.workers > 1) return runPrimary(config, log);
  const running = await startServer(config, log);
  announceListening(config, running.port, log);
  stopOnSignals(running, config, log);
}

main().catch((error) => {
  process.stderr.write(`gatehouse: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
