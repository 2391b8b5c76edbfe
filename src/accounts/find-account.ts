// oidc-provider's findAccount: maps our users to the claims released for the granted scopes.
import type { FindAccount } from 'oidc-provider';
import type { Users } from './users.js';

export function createFindAccount(users: Users): FindAccount {
  return async (_ctx, sub) => {
    const user = await users.findById(sub);
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
