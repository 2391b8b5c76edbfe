// Times every Prisma model query into the query-latency histogram with a client extension, so the
// adapter and repositories stay unaware of metrics.
import type { Database } from '../persistence/prisma-client.js';
import type { Metrics } from './metrics.js';

export function timeQueries(db: Database, metrics: Metrics): Database {
  const extended = db.$extends({
    name: 'query-timing',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          const end = metrics.queryDuration.startTimer({ model, operation });
          try {
            return await query(args);
          } finally {
            end();
          }
        },
      },
    },
  });
  // The extension only wraps queries; the client's shape and methods are unchanged.
  return extended as unknown as Database;
}
