// Our interaction pages, the part of sign-in oidc-provider leaves to us: it sends the browser to
// /interaction/:uid, we show the step it asks for (login or consent) and hand the result back.
import Router from '@koa/router';
import { PageError, interactionErrors } from './errors.js';
import { loadInteraction, uidParam } from './interaction.js';
import { secondFactorDeps, showLogin, submitLogin, type LoginDeps } from './login.js';
import { showConsent, submitConsent } from './consent.js';
import { pendingSignIn } from '../mfa/sign-in/pending-sign-in.js';
import { showSecondFactor } from '../mfa/sign-in/second-factor-steps.js';
import { addSecondFactorRoutes } from '../mfa/sign-in/second-factor-routes.js';

export function createInteractionRouter(deps: LoginDeps): Router {
  const router = new Router();

  router.get('/interaction/:uid', interactionErrors, async (ctx) => {
    const uid = uidParam(ctx);
    const interaction = await loadInteraction(deps.provider, ctx, uid);
    switch (interaction.prompt.name) {
      case 'login': {
        const pending = pendingSignIn(interaction);
        return pending ? showSecondFactor(secondFactorDeps(deps), ctx, interaction, pending) : showLogin(deps, ctx, interaction);
      }
      case 'consent':
        return showConsent(deps, ctx, interaction);
      default:
        throw new PageError(400, 'invalid_request', 'This sign-in step is not supported. Go back to the application and try again.');
    }
  });

  router.post('/interaction/:uid/login', interactionErrors, async (ctx) => submitLogin(deps, ctx, uidParam(ctx)));
  router.post('/interaction/:uid/consent', interactionErrors, async (ctx) => submitConsent(deps, ctx, uidParam(ctx)));
  addSecondFactorRoutes(router, secondFactorDeps(deps));

  return router;
}
