// RFC 8628 section 3.5: a device that polls the token endpoint faster than its interval gets
// `slow_down`, and its interval grows by five seconds. oidc-provider never sends slow_down itself,
// so this middleware rewrites its `authorization_pending` answer when the device polled too soon.
// It also advertises the interval in the device authorization response.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { hashId } from '../persistence/sealing.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SLOW_DOWN_STEP_SECONDS = 5;

/** Records one poll and says whether it came before the device's current interval had passed. */
export async function recordPoll(store: HotStore, deviceCode: string, baseInterval: number, ttlSeconds: number, now = Date.now()): Promise<boolean> {
  const idHash = hashId(deviceCode);
  const previous = await store.findDevicePoll(idHash);
  if (!previous) {
    await store.insertDevicePoll(idHash, now, baseInterval, now + ttlSeconds * 1000);
    return false;
  }
  const tooSoon = now - previous.lastPolledAt < previous.interval * 1000;
  await store.updateDevicePoll(idHash, now, tooSoon ? previous.interval + SLOW_DOWN_STEP_SECONDS : previous.interval);
  return tooSoon;
}

export function devicePollThrottle(store: HotStore, interval: number, deviceCodeTtl: number, onSlowDown: () => void = () => {}): Middleware {
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
    const tooSoon = await recordPoll(store, deviceCode, interval, deviceCodeTtl);
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
