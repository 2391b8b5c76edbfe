// A code or refresh token presented by two requests at once: the adapter lets one consume it,
// revokes the grant, and asks here what to tell the other. It answers as oidc-provider answers a
// replay, in the same words (so logs, metrics and audit count it as one) and with its event.
import { Provider, errors } from 'oidc-provider';
import type { ReplayRefusal } from '../persistence/oidc-adapter.js';

function alreadyUsed(model: string): string {
  switch (model) {
    case 'RefreshToken': return 'refresh token already used';
    case 'AuthorizationCode': return 'authorization code already consumed';
    case 'DeviceCode': return 'device code already consumed';
    case 'BackchannelAuthenticationRequest': return 'backchannel authentication request already consumed';
    default: return `${model} already consumed`;
  }
}

export const refuseReplay: ReplayRefusal = (model, grantId) => {
  const ctx = Provider.ctx;
  if (grantId && ctx) ctx.oidc.provider.emit('grant.revoked', ctx, grantId);
  return new errors.InvalidGrant(alreadyUsed(model));
};
