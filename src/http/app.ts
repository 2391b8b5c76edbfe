// The Koa application: our pages in front, oidc-provider mounted at the root behind them.
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type Router from '@koa/router';
import { securityHeaders } from './security-headers.js';
import { errorBoundary } from './error-boundary.js';
import { bodyLimit } from './body-limit.js';
import { stylesheet } from './assets.js';
import { prefillDeviceCode } from '../device/prefill.js';
import { authorizationServerMetadata } from './authorization-server-metadata.js';
import type { Resources } from '../resources/resources.js';

export interface AppParts {
  provider: Provider;
  pages: Router;
  trustProxy: boolean;
  log: (message: string, error?: unknown) => void;
  resources: Resources;
}

export function createApp({ provider, pages, trustProxy, log, resources }: AppParts): Koa {
  const app = new Koa();
  app.proxy = trustProxy;
  provider.proxy = trustProxy;
  // oidc-provider runs on our context when mounted: sign its cookies with its own keys.
  app.keys = provider.keys;
  app.use(errorBoundary(log));
  app.use(securityHeaders);
  app.use(bodyLimit);
  app.use(stylesheet());
  app.use(prefillDeviceCode);
  app.use(authorizationServerMetadata(resources));
  app.use(pages.routes());
  app.use(pages.allowedMethods());
  app.use(mount(provider));
  return app;
}
