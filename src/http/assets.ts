// Serves the static files our pages use: the one stylesheet, and the passkey script with the
// @simplewebauthn/browser bundle it drives, all same-origin so the CSP needs no outside source.
// They are read once: they only change with a deploy.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Middleware } from 'koa';
import { viewsFolder } from './render.js';

interface Asset {
  type: string;
  body: Buffer;
}

function webAuthnBrowserBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const packageRoot = entry.slice(0, entry.lastIndexOf(join('node_modules', '@simplewebauthn', 'browser')) + join('node_modules', '@simplewebauthn', 'browser').length);
  return readFileSync(join(packageRoot, 'dist', 'bundle', 'index.umd.min.js'));
}

export function staticAssets(): Middleware {
  const assets = new Map<string, Asset>([
    ['/assets/gatehouse.css', { type: 'text/css', body: readFileSync(join(viewsFolder, 'assets', 'gatehouse.css')) }],
    ['/assets/passkey.js', { type: 'application/javascript', body: readFileSync(join(viewsFolder, 'assets', 'passkey.js')) }],
    ['/assets/simplewebauthn-browser.js', { type: 'application/javascript', body: webAuthnBrowserBundle() }],
  ]);
  return async (ctx, next) => {
    const asset = ctx.method === 'GET' ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  };
}
