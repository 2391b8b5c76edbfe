// oidc-provider's findAccount: maps our users to the claims released for the granted scopes.
import type { FindAccount } from 'oidc-provider';
import type { HotStore } from '../persistence/hot-path/hot-store.js';

export function createFindAccount(store: HotStore): FindAccount {
  return async (_ctx, sub) => {
    const user = await store.findUser(sub);
    if (!user) return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          email: user.email,
          email_verified: user.emailVerified,
          ...(user.name ? { name: user.name } : {}),
        };
      },
    };
  };
}
