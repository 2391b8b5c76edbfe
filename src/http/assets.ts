// Serves the one stylesheet every page uses. It is read once: it only changes with a deploy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Middleware } from 'koa';
import { viewsFolder } from './render.js';

export function stylesheet(): Middleware {
  const css = readFileSync(join(viewsFolder, 'assets', 'gatehouse.css'));
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/assets/gatehouse.css') return next();
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  };
}
