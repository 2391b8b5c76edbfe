// The passkey script (views/assets/passkey.js) reads JSON from the ceremony routes of both the
// sign-in steps and /account, so their failures must be JSON too, never an HTML error page.
import type { Context } from 'koa';
import { PageError } from '../interactions/errors.js';
import { PasskeyInputError } from './passkeys.js';

export async function answerPasskeyJson(ctx: Context, produce: () => Promise<object>): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  try {
    ctx.body = await produce();
  } catch (error) {
    if (error instanceof PageError) {
      ctx.status = error.status;
      ctx.body = { error: error.error, error_description: error.description };
    } else if (error instanceof PasskeyInputError) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: error.message };
    } else {
      throw error;
    }
  }
}
