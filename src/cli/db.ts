// `gatehouse db ...`: for operators who migrate before rolling out new instances (with
// MIGRATE_ON_START=false) instead of letting each instance migrate as it starts.
import type { CommandGroup } from './command.js';
import { migrateForCli } from './database.js';
import { migrationStatus } from '../persistence/migration-status.js';
import { providerOf } from '../persistence/database-provider.js';

export const dbCommands: CommandGroup = {
  name: 'db',
  description: 'Apply and inspect database migrations',
  commands: {
    status: {
      synopsis: '',
      description: 'Show which migrations are applied and which are pending; exits 1 when some are pending',
      options: {},
      positionals: [],
      database: 'as-is',
      prepare() {
        return async (ctx) => {
          const status = await migrationStatus(ctx.db, ctx.config.databaseUrl);
          ctx.out.result(
            { provider: providerOf(ctx.config.databaseUrl), applied: status.applied, pending: status.pending, up_to_date: status.pending.length === 0 },
            [
              ...status.applied.map((name) => `applied  ${name}`),
              ...status.pending.map((name) => `pending  ${name}`),
              status.pending.length === 0 ? 'The database is up to date.' : `${status.pending.length} migration(s) pending: run \`gatehouse db migrate\`.`,
            ],
          );
          if (status.pending.length > 0) ctx.setExitCode(1);
        };
      },
    },

    migrate: {
      synopsis: '',
      description: 'Apply pending migrations (safe to run while other instances start: they take turns)',
      options: {},
      positionals: [],
      database: 'as-is',
      prepare() {
        return async (ctx) => {
          const { pending } = await migrationStatus(ctx.db, ctx.config.databaseUrl);
          // The SQLite engine needs the file to itself; the client reconnects by itself afterwards.
          await ctx.db.$disconnect();
          const applied = pending.length ? await migrateForCli(ctx.config.databaseUrl, pending) : [];
          ctx.out.result(
            { applied },
            applied.length ? applied.map((name) => `applied  ${name}`) : ['Nothing to apply: the database is up to date.'],
          );
        };
      },
    },
  },
};
