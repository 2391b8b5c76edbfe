// Usage metering: successful token requests per client, per UTC day, per grant type, so operators
// can see who consumes the APIs and how much (`gatehouse client usage`).
import type { Database } from '../persistence/prisma-client.js';

export interface UsageRow {
  day: string;
  grantType: string;
  count: number;
}

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export class UsageMeter {
  constructor(private readonly db: Database) {}

  async count(clientId: string, grantType: string, now = new Date()): Promise<void> {
    const day = utcDay(now);
    await this.db.clientUsage.upsert({
      where: { clientId_day_grantType: { clientId, day, grantType } },
      create: { clientId, day, grantType, count: 1 },
      update: { count: { increment: 1 } },
    });
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
