// RFC 8628 section 3.5: a device that polls the token endpoint faster than its interval gets
// `slow_down`, and its interval grows by five seconds. oidc-provider never sends slow_down itself,
// so this middleware rewrites its `authorization_pending` answer when the device polled too soon.
// It also advertises the interval in the device authorization response.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../persistence/prisma-client.js';
import { hashId } from '../persistence/sealing.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SLOW_DOWN_STEP_SECONDS = 5;

/** Records one poll and says whether it came before the device's current interval had passed. */
export async function recordPoll(db: Database, deviceCode: string, baseInterval: number, ttlSeconds: number, now = new Date()): Promise<boolean> {
  const idHash = hashId(deviceCode);
  const previous = await db.devicePoll.findUnique({ where: { idHash } });
  if (!previous) {
    await db.devicePoll.upsert({
      where: { idHash },
      create: { idHash, lastPolledAt: now, interval: baseInterval, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) },
      update: { lastPolledAt: now },
    });
    return false;
  }
  const tooSoon = now.getTime() - previous.lastPolledAt.getTime() < previous.interval * 1000;
  await db.devicePoll.update({
    where: { idHash },
    data: { lastPolledAt: now, interval: tooSoon ? previous.interval + SLOW_DOWN_STEP_SECONDS : previous.interval },
  });
  return tooSoon;
}

export function devicePollThrottle(db: Database, interval: number, deviceCodeTtl: number, onSlowDown: () => void = () => {}): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    if (route === 'device_authorization' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      ctx.body = { ...(ctx.body as object), interval };
      return;
    }
    if (route !== 'token' || ctx.oidc?.params?.grant_type !== DEVICE_CODE_GRANT) return;
    const deviceCode = ctx.oidc.params.device_code;
    if (typeof deviceCode !== 'string' || deviceCode === '') return;
    const tooSoon = await recordPoll(db, deviceCode, interval, deviceCodeTtl);
    const body = ctx.body as { error?: string } | undefined;
    if (tooSoon && body?.error === 'authorization_pending') {
      onSlowDown();
      ctx.status = 400;
      ctx.body = {
        error: 'slow_down',
        error_description: `polling too fast: wait at least the interval (now ${interval + SLOW_DOWN_STEP_SECONDS}s or more) between requests`,
      };
    }
  };
}
