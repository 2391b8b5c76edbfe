// Assembles and starts Gatehouse: migrate, open the database, load keys, build the provider and
// the pages, listen, sweep expired rows, and shut down cleanly.
import { createServer, type Server } from 'node:http';
import type { Config } from './config/env.js';
import { applyMigrations } from './persistence/migrations.js';
import { openDatabase, type Database } from './persistence/prisma-client.js';
import { createAdapterFactory } from './persistence/oidc-adapter.js';
import { startSweeper } from './persistence/sweeper.js';
import { loadSigningKeys, retiredKeyLifetime } from './keys/signing-keys.js';
import { loadCookieKeys } from './keys/cookie-keys.js';
import { PasswordHasher } from './accounts/passwords.js';
import { Users } from './accounts/users.js';
import { createFindAccount } from './accounts/find-account.js';
import { createProvider } from './oidc/create-provider.js';
import { createInteractionRouter } from './interactions/routes.js';
import { createApp } from './http/app.js';
import type { Logger } from './logging/logger.js';
import { Metrics } from './metrics/metrics.js';
import { timeQueries } from './metrics/database-timing.js';
import { observeProviderEvents } from './events/provider-events.js';

export interface RunningServer {
  server: Server;
  db: Database;
  metrics: Metrics;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const applied = await applyMigrations(config.databaseUrl);
  if (applied.length) log.info({ migrations: applied }, 'applied migrations');

  const metrics = new Metrics();
  const db = timeQueries(await openDatabase(config.databaseUrl), metrics);
  const users = new Users(db, new PasswordHasher(config.argon2));
  const cookieKeys = config.cookieKeys ?? await loadCookieKeys(db);
  const provider = createProvider(db, {
    config,
    adapter: createAdapterFactory(db),
    findAccount: createFindAccount(users),
    jwks: config.jwks ?? await loadSigningKeys(db, retiredKeyLifetime(config.ttl)),
    cookieKeys,
    onSlowDown: () => metrics.rateLimitHits.inc({ limiter: 'device_poll' }),
  });
  observeProviderEvents(provider, log, metrics);

  const pages = createInteractionRouter({
    provider,
    users,
    csrfKey: cookieKeys[0],
    onSignIn: (result) => metrics.signIns.inc({ result }),
  });
  const app = createApp({ provider, pages, trustProxy: config.trustProxy, log, metrics, metricsToken: config.metricsToken });
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const stopSweeper = startSweeper(db, config.sweepIntervalSeconds, (error) => log.error({ err: error }, 'sweep failed'));

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(`Gatehouse listening on http://${config.host}:${port} with issuer ${config.issuer}`);

  return {
    server,
    db,
    metrics,
    url: `http://127.0.0.1:${port}`,
    async close() {
      stopSweeper();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.$disconnect();
    },
  };
}
