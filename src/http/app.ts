// The Koa application: our pages in front, oidc-provider mounted at the root behind them.
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type Router from '@koa/router';
import { securityHeaders } from './security-headers.js';
import { errorBoundary } from './error-boundary.js';
import { bodyLimit } from './body-limit.js';
import { staticAssets } from './assets.js';
import { prefillDeviceCode } from '../device/prefill.js';
import { authorizationServerMetadata } from './authorization-server-metadata.js';
import type { ResourceCatalog } from '../resources/resources.js';
import type { Logger } from '../logging/logger.js';
import { requestLog } from '../logging/request-log.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsEndpoint, type MetricsSource } from '../metrics/endpoint.js';
import { healthRoutes } from '../operations/health-routes.js';
import { databaseUnavailable } from '../operations/unavailable.js';
import type { Readiness } from '../operations/readiness.js';

export interface AppParts {
  provider: Provider;
  pages: Router;
  /** The gateway check (/api/authz/*), answered before anything that reads a body or a session. */
  gatewayCheck: Router;
  /** Revokes JWT access tokens at /token/revocation, in front of oidc-provider. */
  jwtRevocation: Koa.Middleware;
  readiness: Readiness;
  trustProxy: boolean;
  log: Logger;
  resources: ResourceCatalog;
  metrics: Metrics;
  /** What /metrics exposes: the registry of `metrics`, or with WORKERS > 1 the sum over all workers. */
  metricsSource: MetricsSource;
  /** The cluster worker answering (WORKERS > 1), named in /readyz; undefined in a single process. */
  workerId: number | undefined;
  /** Bearer token a scraper must present at /metrics; undefined turns the endpoint off. */
  metricsToken: string | undefined;
}

export function createApp({ provider, pages, gatewayCheck, jwtRevocation, readiness, trustProxy, log, resources, metrics, metricsSource, workerId, metricsToken }: AppParts): Koa {
  const app = new Koa();
  app.proxy = trustProxy;
  provider.proxy = trustProxy;
  // oidc-provider runs on our context when mounted: sign its cookies with its own keys.
  app.keys = provider.keys;
  app.use(requestLog(log, metrics));
  app.use(errorBoundary(log));
  app.use(metricsEndpoint(metricsSource, metricsToken));
  app.use(securityHeaders);
  app.use(healthRoutes(readiness, workerId));
  app.use(databaseUnavailable((error) => log.error({ err: error }, 'database unavailable')));
  app.use(gatewayCheck.routes());
  app.use(bodyLimit);
  app.use(staticAssets());
  app.use(prefillDeviceCode);
  app.use(authorizationServerMetadata(resources));
  app.use(pages.routes());
  app.use(pages.allowedMethods());
  app.use(jwtRevocation);
  app.use(mount(provider));
  return app;
}
