// Metering of gateway checks: calls per client, API and API key, per UTC day, split into allowed,
// denied and throttled (`gatehouse apikey usage`, `gatehouse client usage`). As with token usage
// (src/usage/usage-meter.ts), counts are added up in memory and written once a second, one row per
// client, API, key and day, so no call waits for a write.
import type { Database } from '../persistence/prisma-client.js';
import { USAGE_FLUSH_MS, utcDay } from '../usage/usage-meter.js';

export const CHECK_OUTCOMES = ['allowed', 'denied', 'throttled'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

export interface MeterRequest {
  apiKeyId?: string | undefined;
  clientId: string;
  resource: string;
  outcome: CheckOutcome;
}

export interface ApiUsageRow {
  day: string;
  resource: string;
  /** undefined: calls with an access token and no key. */
  apiKeyId: string | undefined;
  allowed: number;
  denied: number;
  throttled: number;
}

type Key = { clientId: string; resource: string; apiKeyId: string; day: string };
type Counts = Record<CheckOutcome, number>;

const NO_KEY = '';

export class ApiUsageMeter {
  private pending = new Map<string, Key & Counts>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database, private readonly onError: (error: unknown) => void = () => {}) {}

  meter(request: MeterRequest, now = new Date()): void {
    const key = { clientId: request.clientId, resource: request.resource, apiKeyId: request.apiKeyId ?? NO_KEY, day: utcDay(now) };
    this.add(key, { allowed: 0, denied: 0, throttled: 0, [request.outcome]: 1 });
    if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, USAGE_FLUSH_MS);
      this.timer.unref();
    }
  }

  private add(key: Key, counts: Counts): void {
    const id = JSON.stringify([key.clientId, key.resource, key.apiKeyId, key.day]);
    const entry = this.pending.get(id);
    if (!entry) {
      this.pending.set(id, { ...key, ...counts });
      return;
    }
    for (const outcome of CHECK_OUTCOMES) entry[outcome] += counts[outcome];
  }

  /** Writes what is counted so far; counts that fail to write are kept for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.pending.values()];
      this.pending = new Map();
      for (const { allowed, denied, throttled, ...key } of batch) {
        try {
          await this.db.apiUsage.upsert({
            where: { clientId_resource_apiKeyId_day: key },
            create: { ...key, allowed, denied, throttled },
            update: { allowed: { increment: allowed }, denied: { increment: denied }, throttled: { increment: throttled } },
          });
        } catch (error) {
          this.add(key, { allowed, denied, throttled });
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
}

function firstDay(days: number, now: Date): string {
  return utcDay(new Date(now.getTime() - (days - 1) * 86_400_000));
}

const toRow = (row: Key & Counts): ApiUsageRow => ({
  day: row.day, resource: row.resource, apiKeyId: row.apiKeyId === NO_KEY ? undefined : row.apiKeyId,
  allowed: row.allowed, denied: row.denied, throttled: row.throttled,
});

/** A key's checks in the last `days` UTC days including today, newest first. */
export async function usageOfKey(db: Database, apiKeyId: string, days: number, now = new Date()): Promise<ApiUsageRow[]> {
  const rows = await db.apiUsage.findMany({ where: { apiKeyId, day: { gte: firstDay(days, now) } }, orderBy: [{ day: 'desc' }, { resource: 'asc' }] });
  return rows.map(toRow);
}

/** A client's checks per API and key (no key: token-only calls) in the last `days` UTC days, newest first. */
export async function usageOfClient(db: Database, clientId: string, days: number, now = new Date()): Promise<ApiUsageRow[]> {
  const rows = await db.apiUsage.findMany({
    where: { clientId, day: { gte: firstDay(days, now) } },
    orderBy: [{ day: 'desc' }, { resource: 'asc' }, { apiKeyId: 'asc' }],
  });
  return rows.map(toRow);
}
