// oidc-provider 9.13 defect: when a device-code form is posted with no stored session (a forged or
// stale post), its error handler re-renders the form, which touches the brand-new session, and a
// later step then throws "persist can only be called on previously persisted Sessions" after the
// 400 page is already rendered. The rendered answer is right; only the throw is wrong, so keep it.
import type { Middleware } from 'koa';

const MESSAGE = 'persist can only be called on previously persisted Sessions';

export const unsavedSessionGuard: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (error instanceof TypeError && error.message === MESSAGE && ctx.status >= 400 && ctx.status < 500 && ctx.body) return;
    throw error;
  }
};
