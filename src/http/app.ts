// The Koa application: our pages in front, oidc-provider mounted at the root behind them.
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type Router from '@koa/router';
import { securityHeaders } from './security-headers.js';
import { errorBoundary } from './error-boundary.js';
import { stylesheet } from './assets.js';
import { prefillDeviceCode } from '../device/prefill.js';
import { healthRoutes } from '../operations/health-routes.js';
import { databaseUnavailable } from '../operations/unavailable.js';
import type { Readiness } from '../operations/readiness.js';

export interface AppParts {
  provider: Provider;
  pages: Router;
  readiness: Readiness;
  trustProxy: boolean;
  log: (message: string, error?: unknown) => void;
}

export function createApp({ provider, pages, readiness, trustProxy, log }: AppParts): Koa {
  const app = new Koa();
  app.proxy = trustProxy;
  provider.proxy = trustProxy;
  // oidc-provider runs on our context when mounted: sign its cookies with its own keys.
  app.keys = provider.keys;
  app.use(errorBoundary(log));
  app.use(securityHeaders);
  app.use(healthRoutes(readiness));
  app.use(databaseUnavailable((error) => log('database unavailable', error)));
  app.use(stylesheet());
  app.use(prefillDeviceCode);
  app.use(pages.routes());
  app.use(pages.allowedMethods());
  app.use(mount(provider));
  return app;
}
