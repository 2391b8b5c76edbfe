// One worker of a cluster (WORKERS > 1): the whole server, listening on the port the primary shares
// out, logging with its worker id, and draining on the SIGTERM the primary forwards.
import cluster from 'node:cluster';
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { startServer } from '../server.js';
import { stopOnSignals } from '../operations/stop-on-signals.js';
import { clusterMetricsSource } from './cluster-metrics.js';

export async function runWorker(config: Config, log: Logger): Promise<void> {
  const id = cluster.worker?.id;
  if (id === undefined) throw new Error('runWorker called outside a cluster worker');
  const workerLog = log.child({ worker: id });
  const running = await startServer(config, workerLog, { id, metricsSource: clusterMetricsSource });
  stopOnSignals(running, config, workerLog);
}
