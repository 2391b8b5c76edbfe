// Assembles and starts Gatehouse: migrate (or check migrations), open the database, load keys, build
// the provider and the pages, listen, sweep expired rows, and shut down cleanly.
import type { Server } from 'node:http';
import type { Config } from './config/env.js';
import { applyMigrations } from './persistence/migrations.js';
import { migrationStatus } from './persistence/migration-status.js';
import { openDatabase, openDatabaseWithConnection, type Database } from './persistence/prisma-client.js';
import { createHotStore } from './persistence/hot-path/create-hot-store.js';
import { providerOf } from './persistence/database-provider.js';
import { createAdapterFactory } from './persistence/oidc-adapter.js';
import { refuseReplay } from './oidc/replay-refusal.js';
import { startSweeper } from './persistence/sweeper.js';
import { loadSigningKeys, retiredKeyLifetime } from './keys/signing-keys.js';
import { loadCookieKeys } from './keys/cookie-keys.js';
import { loadDpopNonceSecret } from './keys/dpop-nonce-secret.js';
import { loadRefreshRetryWindow } from './oidc/refresh-retry.js';
import { signingAlgorithms } from './keys/signing-algorithms.js';
import { Resources } from './resources/resources.js';
import { StoredResourceCatalog } from './resources/stored-resource-catalog.js';
import { PasswordHasher } from './accounts/passwords.js';
import { Users } from './accounts/users.js';
import { createFindAccount } from './accounts/find-account.js';
import { createProvider } from './oidc/create-provider.js';
import { createInteractionRouter } from './interactions/routes.js';
import { createApp } from './http/app.js';
import { Readiness } from './operations/readiness.js';
import { markUnavailable } from './operations/unavailable.js';
import { closeGracefully } from './operations/graceful-close.js';
import type { Logger } from './logging/logger.js';
import { AuditLog } from './audit/audit-log.js';
import { wireProviderEvents } from './audit/provider-events.js';
import { UsageMeter } from './usage/usage-meter.js';
import { LoginThrottle } from './throttling/login-throttle.js';
import { Metrics } from './metrics/metrics.js';
import { timeQueries } from './metrics/database-timing.js';
import { observeProviderEvents } from './events/provider-events.js';
import { createGatewayCheck } from './gateway/gateway-check.js';
import { createListener } from './http/listener.js';
import type { MetricsSource } from './metrics/endpoint.js';
import type { Registry } from 'prom-client';
import { plainSigningSecretsWarning } from './apikeys/signing-secret-warning.js';
import { createMailer } from './mail/mailer.js';
import { createAccountRouter } from './account/routes.js';
import { AccountTokens } from './account/account-tokens.js';
import { AccountSessions } from './account/account-sessions.js';
import { ConnectedApps } from './account/connected-apps.js';
import { trackSessions } from './account/session-tracking.js';
import { MailRequestThrottle } from './throttling/mail-request-throttle.js';
import { Factors } from './mfa/factors.js';
import { Passkeys } from './mfa/passkeys.js';

export interface RunningServer {
  server: Server;
  db: Database;
  metrics: Metrics;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (cut after the timeout), closes the pool. */
  close(): Promise<void>;
}

/** The SQLite engine needs the file to itself; another process holding it open times it out. */
function isSqliteLockTimeout(error: unknown): boolean {
  return error instanceof Error && /SocketTimeout|database is locked|SQLITE_BUSY/i.test(error.message);
}

/**
 * Migrates at start, or with MIGRATE_ON_START=false refuses to run on a database that lacks
 * migrations. The engine only starts when something is pending, so an instance joining a running
 * SQLite deployment never needs the exclusive lock the running ones prevent.
 */
async function prepareSchema(config: Config, log: Logger): Promise<void> {
  // A short-lived client: on SQLite no connection of ours may stay open while the engine migrates.
  const pendingNow = async () => {
    const probe = await openDatabase(config.databaseUrl, { poolSize: 1 });
    try {
      return (await migrationStatus(probe, config.databaseUrl)).pending;
    } finally {
      await probe.$disconnect();
    }
  };
  const pending = await pendingNow();
  if (pending.length === 0) return;
  if (!config.migrateOnStart) {
    throw new Error(`the database lacks migrations (${pending.join(', ')}); run \`gatehouse db migrate\` first, or set MIGRATE_ON_START=true`);
  }
  try {
    const applied = await applyMigrations(config.databaseUrl);
    if (applied.length) log.info({ migrations: applied }, 'applied migrations');
  } catch (error) {
    // Another instance starting at the same moment on the same SQLite file may have migrated it.
    if (!isSqliteLockTimeout(error) || (await pendingNow()).length > 0) throw error;
    log.info('another process applied the pending migrations');
  }
}

/** Every key and secret the server signs or derives with, each created on first use and kept in the database. */
async function loadKeys(db: Database, config: Config) {
  return {
    cookieKeys: config.cookieKeys ?? await loadCookieKeys(db),
    jwks: config.jwks ?? await loadSigningKeys(db, retiredKeyLifetime(config.ttl, await new Resources(db).longestTtl()), new Date(), config.keyEncryptionSecret),
    refreshRetry: await loadRefreshRetryWindow(db, config.refreshTokenRetryGrace, config.keyEncryptionSecret),
    dpopNonceSecret: await loadDpopNonceSecret(db),
  };
}

/**
 * What a cluster's primary does once before it forks: migrate and create the keys, so the workers
 * start on a ready database and never race each other for the first key set.
 */
export async function prepareDatabase(config: Config, log: Logger): Promise<void> {
  await prepareSchema(config, log);
  const db = await openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await loadKeys(db, config);
  } finally {
    await db.$disconnect();
  }
}

/** The line tests, benchmarks and operators wait for: printed once the port answers. */
export function announceListening(config: Config, port: number, log: Logger, workers?: number): void {
  log.info(`Gatehouse listening on ${config.tls ? 'https' : 'http'}://${config.host}:${port} with issuer ${config.issuer}${workers ? ` (${workers} workers)` : ''}`);
  if (config.mtls.ignoredCertificateHeader) {
    log.info(`MTLS_CERTIFICATE_HEADER (${config.mtls.ignoredCertificateHeader}) is ignored: client certificates in a header are trusted only with TRUST_PROXY=true`);
  }
  if (config.issuer.startsWith('https:') && !config.trustProxy && !config.tls) {
    log.info('ISSUER is https but TRUST_PROXY=false: behind a TLS-terminating proxy set TRUST_PROXY=true, or cookies are not marked Secure');
  }
}

/** Set when the server runs as one worker of a cluster (WORKERS > 1). */
export interface WorkerRole {
  id: number;
  /** What /metrics exposes, given this worker's own registry. */
  metricsSource(registry: Registry): MetricsSource;
}

export async function startServer(config: Config, log: Logger, worker?: WorkerRole): Promise<RunningServer> {
  await prepareSchema(config, log);
  const metrics = new Metrics();
  let connectionLostLogged = 0;
  const opened = await openDatabaseWithConnection(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    // Idle connections die with the database; the pool replaces them when it is back. Log at most every 10 s.
    onConnectionLost: (error) => {
      if (Date.now() - connectionLostLogged < 10_000) return;
      connectionLostLogged = Date.now();
      log.error({ err: error }, 'database connection lost');
    },
  });
  const db = timeQueries(opened.db, metrics);
  const store = createHotStore(opened.connection, (model, operation) => {
    const histogram = metrics.queryDuration.labels({ model, operation });
    return () => histogram.startTimer();
  });
  const readiness = new Readiness(db, config.databaseUrl);

  const users = new Users(db, new PasswordHasher(config.argon2));
  const { cookieKeys, jwks, refreshRetry, dpopNonceSecret } = await loadKeys(db, config);
  const resources = new StoredResourceCatalog(store);
  const audit = new AuditLog(db, (error) => log.error({ err: error }, 'audit write failed'));
  const onFactorChange = (factor: string, change: string) => metrics.mfaFactorChanges.inc({ factor, change });
  const issuerUrl = new URL(config.issuer);
  const factors = new Factors({ db, audit, issuerName: `Gatehouse (${issuerUrl.host})`, keyEncryptionSecret: config.keyEncryptionSecret, onChange: onFactorChange });
  const passkeys = new Passkeys({ db, audit, origin: issuerUrl.origin, rpId: issuerUrl.hostname, rpName: 'Gatehouse', onChange: onFactorChange });
  const provider = createProvider(db, {
    config,
    log,
    adapter: createAdapterFactory(db, store, refuseReplay, refreshRetry),
    refreshRetry,
    findAccount: createFindAccount(store),
    jwks,
    cookieKeys,
    resources,
    signingAlgs: signingAlgorithms(jwks),
    dpopNonceSecret,
    hasSecondFactor: (accountId) => factors.hasSecondFactor(accountId),
    audit,
    store,
    onSlowDown: () => metrics.rateLimitHits.inc({ limiter: 'device_poll' }),
  });
  const usage = new UsageMeter(db, (error) => log.error({ err: error }, 'usage metering failed'));
  wireProviderEvents(provider, audit, usage);
  observeProviderEvents(provider, log, metrics);
  readiness.keysLoaded();
  // Logged by observeProviderEvents; here the request only learns to answer 503 when the database is gone.
  provider.on('server_error', (ctx, error) => markUnavailable(ctx, error));

  const accountSessions = new AccountSessions(db, store);
  provider.use(trackSessions(accountSessions, (error) => log.error({ err: error }, 'recording a session failed')));

  const throttle = new LoginThrottle(store, config.loginThrottle);
  const pages = createInteractionRouter({
    provider,
    users,
    csrfKey: cookieKeys[0],
    throttle,
    audit,
    onSignIn: (result) => metrics.signIns.inc({ result }),
    signupOpen: config.signup === 'open',
    mfa: { factors, passkeys, serverRequiresMfa: config.mfaRequired },
  });
  const accountPages = createAccountRouter({
    provider,
    issuer: config.issuer,
    users,
    tokens: new AccountTokens(db),
    sessions: accountSessions,
    apps: new ConnectedApps(db, store),
    audit,
    mailer: createMailer(config.mail, log),
    loginThrottle: throttle,
    resetThrottle: new MailRequestThrottle(store, 'password-reset'),
    signupThrottle: new MailRequestThrottle(store, 'signup'),
    csrfKey: cookieKeys[0],
    signup: config.signup,
    stepUpMaxAgeSeconds: config.stepUpMaxAgeSeconds,
    inBackground: (task) => {
      task().catch((error: unknown) => log.error({ err: error }, 'account request failed'));
    },
    onChange: (change) => metrics.accountChanges.inc({ change }),
    onThrottled: (limiter) => metrics.rateLimitHits.inc({ limiter }),
  }, { factors, passkeys });
  pages.use(accountPages.routes());
  const gatewayCheck = createGatewayCheck({
    provider,
    issuer: config.issuer,
    jwks,
    dpopNonceSecret,
    db,
    store,
    metrics,
    audit,
    clientSecretPepper: config.clientSecretPepper,
    certificateHeader: config.mtls.certificateHeader,
    keyEncryptionSecret: config.keyEncryptionSecret,
    signatureMaxSkewSeconds: config.signatureMaxSkew,
    onError: (error) => log.error({ err: error }, 'gateway check bookkeeping failed'),
  });
  const signingSecretsWarning = await plainSigningSecretsWarning(db, config.keyEncryptionSecret);
  if (signingSecretsWarning) log.warn(signingSecretsWarning);
  const app = createApp({
    provider, pages, gatewayCheck: gatewayCheck.routes, jwtRevocation: gatewayCheck.jwtRevocation, readiness, trustProxy: config.trustProxy, log, resources, metrics,
    metricsSource: worker ? worker.metricsSource(metrics.registry) : metrics.registry,
    workerId: worker?.id,
    metricsToken: config.metricsToken,
  });
  const server = createListener(config, app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const stopSweeper = startSweeper(db, providerOf(config.databaseUrl), config.sweepIntervalSeconds, config.auditRetentionDays, (error) => log.error({ err: error }, 'sweep failed'));

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  return {
    server,
    db,
    metrics,
    port,
    url: `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    async close() {
      readiness.shuttingDown();
      const cut = await closeGracefully(server, config.shutdownTimeoutSeconds * 1000);
      if (cut) log.error(`cut ${cut} connection(s) still busy after ${config.shutdownTimeoutSeconds}s`);
      await stopSweeper();
      await usage.close();
      await gatewayCheck.close();
      await db.$disconnect();
    },
  };
}
