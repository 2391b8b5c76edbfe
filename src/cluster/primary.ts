// The cluster's primary (WORKERS > 1). It serves nothing itself: it migrates and creates the keys
// once, forks the workers (node:cluster shares one listening port among them, handing each new
// connection to the next worker in turn), replaces a worker that dies, answers /metrics scrapes
// with the sum over all workers, and on SIGTERM/SIGINT has every worker drain as a single process
// does, exiting once they all have.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { announceListening, prepareDatabase } from '../server.js';
import { aggregateWorkerMetrics } from './cluster-metrics.js';

/** A worker that dies before it ever listened waits this long for its replacement, so an outage is no fork loop. */
const RESTART_DELAY_MS = 1_000;

export async function runPrimary(config: Config, log: Logger): Promise<void> {
  await prepareDatabase(config, log);
  aggregateWorkerMetrics();

  const alive = new Set<Worker>();
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork();
    alive.add(worker);
    log.info({ worker: worker.id, pid: worker.process.pid }, `worker ${worker.id} started (pid ${worker.process.pid})`);
  };
  const finishIfAllGone = () => {
    if (alive.size > 0) return;
    log.info('stopped');
    process.exit(exitCode);
  };
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ timeoutSeconds: config.shutdownTimeoutSeconds }, `${reason}: every worker finishes its in-flight requests`);
    setTimeout(() => {
      log.error('workers did not stop in time; killing them');
      for (const worker of alive) worker.process.kill('SIGKILL');
      process.exit(1);
    }, (config.shutdownTimeoutSeconds + 15) * 1000).unref();
    for (const worker of alive) worker.process.kill('SIGTERM');
    finishIfAllGone();
  };

  cluster.on('listening', (worker: Worker, address) => {
    listening.add(worker.id);
    if (!announced && listening.size === config.workers) {
      announced = true;
      announceListening(config, address.port, log, config.workers);
    } else if (announced) {
      log.info({ worker: worker.id }, `worker ${worker.id} is serving`);
    }
  });

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    alive.delete(worker);
    const served = listening.delete(worker.id);
    const how = signal ? `killed by ${signal}` : `exited with ${code}`;
    if (stopping) {
      if (code !== 0) exitCode = 1;
      log.info({ worker: worker.id, code, signal }, `worker ${worker.id} ${how}`);
      finishIfAllGone();
      return;
    }
    if (!announced) {
      // A worker that cannot start (its output says why) is no better the second time.
      log.error({ worker: worker.id, code, signal }, `worker ${worker.id} ${how} before serving; stopping`);
      exitCode = 1;
      stop('a worker could not start');
      return;
    }
    log.error({ worker: worker.id, pid: worker.process.pid, code, signal }, `worker ${worker.id} (pid ${worker.process.pid}) ${how}; starting a replacement`);
    if (served) fork();
    else setTimeout(() => { if (!stopping) fork(); }, RESTART_DELAY_MS);
  });

  process.on('SIGTERM', () => stop('SIGTERM received'));
  process.on('SIGINT', () => stop('SIGINT received'));
  for (let i = 0; i < config.workers; i += 1) fork();
}
