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
import { loadDpopNonceSecret } from './keys/dpop-nonce-secret.js';
import { signingAlgorithms } from './keys/signing-algorithms.js';
import { Resources } from './resources/resources.js';
import { PasswordHasher } from './accounts/passwords.js';
import { Users } from './accounts/users.js';
import { createFindAccount } from './accounts/find-account.js';
import { createProvider } from './oidc/create-provider.js';
import { createInteractionRouter } from './interactions/routes.js';
import { createApp } from './http/app.js';
import type { Logger } from './logging/logger.js';
import { AuditLog } from './audit/audit-log.js';
import { wireProviderEvents } from './audit/provider-events.js';
import { UsageMeter } from './usage/usage-meter.js';
import { LoginThrottle } from './throttling/login-throttle.js';
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
  const resources = new Resources(db);
  const jwks = config.jwks ?? await loadSigningKeys(db, retiredKeyLifetime(config.ttl, await resources.longestTtl()), new Date(), config.keyEncryptionSecret);
  const audit = new AuditLog(db, (error) => log.error({ err: error }, 'audit write failed'));
  const provider = createProvider(db, {
    config,
    log,
    adapter: createAdapterFactory(db),
    findAccount: createFindAccount(users),
    jwks,
    cookieKeys,
    resources,
    signingAlgs: signingAlgorithms(jwks),
    dpopNonceSecret: await loadDpopNonceSecret(db),
    audit,
    onSlowDown: () => metrics.rateLimitHits.inc({ limiter: 'device_poll' }),
  });
  wireProviderEvents(provider, audit, new UsageMeter(db), (error) => log.error({ err: error }, 'usage metering failed'));
  observeProviderEvents(provider, log, metrics);

  const throttle = new LoginThrottle(db, config.loginThrottle);
  const pages = createInteractionRouter({
    provider,
    users,
    csrfKey: cookieKeys[0],
    throttle,
    audit,
    onSignIn: (result) => metrics.signIns.inc({ result }),
  });
  const app = createApp({ provider, pages, trustProxy: config.trustProxy, log, resources, metrics, metricsToken: config.metricsToken });
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const stopSweeper = startSweeper(db, config.sweepIntervalSeconds, config.auditRetentionDays, (error) => log.error({ err: error }, 'sweep failed'));

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
