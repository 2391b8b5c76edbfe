// verification_uri_complete (/device?user_code=...) makes oidc-provider answer with a form that
// submits itself by script. We show our own code page instead, with the code already filled in,
// so the user sees and confirms it and no script is needed.
import type { Middleware } from 'koa';

export const prefillDeviceCode: Middleware = async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/device' && typeof ctx.query.user_code === 'string') {
    ctx.state.prefilledUserCode = ctx.query.user_code.slice(0, 32);
    ctx.querystring = '';
  }
  await next();
};
