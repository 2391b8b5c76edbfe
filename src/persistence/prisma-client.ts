// Opens the Prisma client on the configured database with the settings concurrency needs:
// WAL lets readers run beside the writer, and the busy timeout queues writers from other processes.
import { PrismaClient } from '../generated/prisma/client.js';
import { createDriverAdapter } from './driver-adapter.js';

export type Database = PrismaClient;

export async function openDatabase(databaseUrl: string): Promise<Database> {
  const prisma = new PrismaClient({ adapter: createDriverAdapter(databaseUrl) });
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return prisma;
}
