// Usage metering: successful token requests per client, per UTC day, per grant type, so operators
// can see who consumes the APIs and how much (`gatehouse client usage`). Counts are added up in
// memory and written once a second, one row per client, day and grant type: a row written on every
// token request would make every request of a client wait in line for that one row.
import type { Database } from '../persistence/prisma-client.js';

export interface UsageRow {
  day: string;
  grantType: string;
  count: number;
}

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** How long counts may wait in memory before they are written. */
export const USAGE_FLUSH_MS = 1000;

type Key = { clientId: string; day: string; grantType: string };

export class UsageMeter {
  private pending = new Map<string, Key & { count: number }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database, private readonly onError: (error: unknown) => void = () => {}) {}

  count(clientId: string, grantType: string, now = new Date()): void {
    this.add({ clientId, day: utcDay(now), grantType }, 1);
    if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, USAGE_FLUSH_MS);
      this.timer.unref();
    }
  }

  private add(key: Key, count: number): void {
    const id = JSON.stringify([key.clientId, key.day, key.grantType]);
    const entry = this.pending.get(id);
    if (entry) entry.count += count;
    else this.pending.set(id, { ...key, count });
  }

  /** Writes what is counted so far; counts that fail to write are kept for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.pending.values()];
      this.pending = new Map();
      for (const { count, ...key } of batch) {
        try {
          await this.db.clientUsage.upsert({
            where: { clientId_day_grantType: key },
            create: { ...key, count },
            update: { count: { increment: count } },
          });
        } catch (error) {
          this.add(key, count);
          this.onError(error);
        }
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes the rest, for shutdown. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Usage of the last `days` UTC days including today, newest day first. */
  async report(clientId: string, days: number, now = new Date()): Promise<UsageRow[]> {
    const first = utcDay(new Date(now.getTime() - (days - 1) * 86_400_000));
    const rows = await this.db.clientUsage.findMany({
      where: { clientId, day: { gte: first } },
      orderBy: [{ day: 'desc' }, { grantType: 'asc' }],
    });
    return rows.map(({ day, grantType, count }) => ({ day, grantType, count }));
  }
}
