// /metrics with WORKERS > 1: the scrape lands on whichever worker the primary hands the connection
// to, and one worker's counters are only its share. So the worker asks the primary, which collects
// every worker's registry and adds them up with prom-client's AggregatorRegistry (counters and
// histograms summed per label set), and the scraper sees one server, as with WORKERS=1.
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from '../metrics/endpoint.js';

const REQUEST = 'gatehouse:metrics-request';
const ANSWER = 'gatehouse:metrics-answer';
/** prom-client gives up on a worker's share after 5 s; the worker waits a little longer than that. */
const ANSWER_TIMEOUT_MS = 6_000;

interface MetricsRequest { type: typeof REQUEST; id: number }
interface MetricsAnswer { type: typeof ANSWER; id: number; text?: string; error?: string }

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** In the primary: answers each worker's scrape with the sum over all workers. */
export function aggregateWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    const answer = (fields: Omit<MetricsAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...fields } satisfies MetricsAnswer);
    };
    aggregator.clusterMetrics().then((text) => answer({ text }), (error: Error) => answer({ error: error.message }));
  });
}

/** In a worker: hands this worker's registry to the primary's collection and scrapes through the primary. */
export function clusterMetricsSource(registry: Registry): MetricsSource {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's collection requests in this worker.
  new AggregatorRegistry();
  let nextId = 0;
  return {
    contentType: registry.contentType,
    metrics() {
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error('the primary did not answer with the workers\' metrics')), ANSWER_TIMEOUT_MS);
        const onMessage = (message: unknown) => {
          if (!isMessage<MetricsAnswer>(message, ANSWER) || message.id !== id) return;
          if (message.error !== undefined) finish(new Error(message.error));
          else finish(undefined, message.text ?? '');
        };
        function finish(error: Error | undefined, text = '') {
          clearTimeout(timer);
          process.off('message', onMessage);
          if (error) reject(error);
          else resolve(text);
        }
        process.on('message', onMessage);
        process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
      });
    },
  };
}
