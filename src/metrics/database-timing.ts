// Times every Prisma query, model queries and raw SQL alike, into the query-latency histogram with a
// client extension, so the adapter and repositories stay unaware of metrics.
import type { Database } from '../persistence/prisma-client.js';
import type { Metrics } from './metrics.js';

export function timeQueries(db: Database, metrics: Metrics): Database {
  const extended = db.$extends({
    name: 'query-timing',
    query: {
      async $allOperations({ model, operation, args, query }) {
        const end = metrics.queryDuration.startTimer({ model: model ?? 'raw', operation });
        try {
          return await query(args);
        } finally {
          end();
        }
      },
    },
  });
  // The extension only wraps queries; the client's shape and methods are unchanged.
  return extended as unknown as Database;
}
