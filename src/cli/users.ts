// `gatehouse user ...`: accounts that sign in with email and password.
import { PasswordHasher } from '../accounts/passwords.js';
import { normaliseEmail, Users, type User } from '../accounts/users.js';
import type { Database } from '../persistence/prisma-client.js';
import { LoginThrottle } from '../throttling/login-throttle.js';
import { AuditLog } from '../audit/audit-log.js';
import { Factors, type FactorSummary } from '../mfa/factors.js';
import {
  optionalString, passwordOptions, passwordSource, requiredString,
  type CommandContext, type CommandGroup,
} from './command.js';
import { failure, formatDate, table } from './output.js';

function usersOf(ctx: CommandContext): Users {
  return new Users(ctx.db, new PasswordHasher(ctx.config.argon2));
}

async function findUser(users: Users, idOrEmail: string): Promise<User> {
  const user = await users.findByIdOrEmail(idOrEmail);
  if (!user) throw failure(`no user with id or email "${idOrEmail}"`);
  return user;
}

function factorsOf(ctx: CommandContext): Factors {
  return new Factors({ db: ctx.db, audit: new AuditLog(ctx.db), issuerName: 'Gatehouse', keyEncryptionSecret: ctx.config.keyEncryptionSecret });
}

function describe(user: User, factors: FactorSummary) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    created_at: user.createdAt.toISOString(),
    factors: { totp: factors.totp, passkeys: factors.passkeys, recovery_codes_left: factors.recoveryCodesLeft },
  };
}

/** "totp, 2 passkeys, 9 recovery codes", or "-" for a password alone. */
function describeFactors(factors: FactorSummary): string {
  const parts = [
    ...(factors.totp ? ['totp'] : []),
    ...(factors.passkeys ? [`${factors.passkeys} passkey${factors.passkeys === 1 ? '' : 's'}`] : []),
    ...(factors.recoveryCodesLeft ? [`${factors.recoveryCodesLeft} recovery code${factors.recoveryCodesLeft === 1 ? '' : 's'}`] : []),
  ];
  return parts.length ? parts.join(', ') : '-';
}

/**
 * Grants, refresh tokens and grant-bound tokens of a deleted user would otherwise stay in the
 * database until they expire; the provider refuses most of them once the account is gone, but
 * nothing should depend on that.
 */
async function revokeUserGrants(db: Database, accountId: string) {
  return db.$transaction(async (tx) => {
    const grantIds = (await tx.grant.findMany({ where: { accountId }, select: { id: true } })).map((g) => g.id);
    const refreshTokens = await tx.refreshToken.deleteMany({
      where: { OR: [{ accountId }, { grantId: { in: grantIds } }] },
    });
    const grantTokens = await tx.oidcPayload.deleteMany({ where: { grantId: { in: grantIds } } });
    const grants = await tx.grant.deleteMany({ where: { accountId } });
    return { grants: grants.count, refresh_tokens: refreshTokens.count, grant_tokens: grantTokens.count };
  });
}

export const userCommands: CommandGroup = {
  name: 'user',
  description: 'Create, list and delete users; set their passwords; verify their emails; reset their second factors; clear sign-in lockouts',
  commands: {
    create: {
      synopsis: '--email EMAIL (--password PASSWORD | --password-stdin) [--name NAME]',
      description: 'Create a user who signs in with email and password',
      options: { email: { type: 'string' }, name: { type: 'string' }, ...passwordOptions },
      positionals: [],
      prepare(values) {
        const email = requiredString(values, 'email');
        const name = optionalString(values, 'name');
        const password = passwordSource(values);
        return async (ctx) => {
          const users = usersOf(ctx);
          const secret = await password(ctx);
          // Checked here as well as in Users.create so a duplicate is a failure (exit 1), not bad input.
          if (await users.findByEmail(email)) throw failure(`a user with email ${normaliseEmail(email)} already exists`);
          const user = await users.create({ email, password: secret, ...(name === undefined ? {} : { name }) });
          ctx.out.result(
            { id: user.id, email: user.email, ...(user.name === null ? {} : { name: user.name }) },
            `Created user ${user.email} (${user.id})`,
          );
        };
      },
    },

    list: {
      synopsis: '',
      description: 'List users, oldest first',
      options: {},
      positionals: [],
      prepare() {
        return async (ctx) => {
          const users = await usersOf(ctx).list();
          const factors = factorsOf(ctx);
          const summaries = await Promise.all(users.map((u) => factors.summary(u.id)));
          ctx.out.result(
            { users: users.map((u, i) => describe(u, summaries[i])) },
            users.length === 0
              ? 'No users.'
              : table(
                ['ID', 'EMAIL', 'NAME', 'VERIFIED', 'FACTORS', 'CREATED'],
                users.map((u, i) => [u.id, u.email, u.name ?? '-', u.emailVerified ? 'yes' : 'no', describeFactors(summaries[i]), formatDate(u.createdAt)]),
              ),
          );
        };
      },
    },

    delete: {
      synopsis: 'ID|EMAIL',
      description: 'Delete a user and revoke every grant and token issued for them',
      options: {},
      positionals: ['ID|EMAIL'],
      prepare(_values, [idOrEmail]) {
        return async (ctx) => {
          const users = usersOf(ctx);
          const user = await findUser(users, idOrEmail);
          const revoked = await revokeUserGrants(ctx.db, user.id);
          if (!(await users.delete(user.id))) throw failure(`no user with id or email "${idOrEmail}"`);
          ctx.out.result(
            { id: user.id, email: user.email, deleted: true, revoked },
            `Deleted user ${user.email} (${user.id}); revoked ${revoked.grants} grant(s) and ${revoked.refresh_tokens} refresh token(s)`,
          );
        };
      },
    },

    'set-password': {
      synopsis: 'ID|EMAIL (--password PASSWORD | --password-stdin)',
      description: "Replace a user's password",
      options: { ...passwordOptions },
      positionals: ['ID|EMAIL'],
      prepare(values, [idOrEmail]) {
        const password = passwordSource(values);
        return async (ctx) => {
          const users = usersOf(ctx);
          const user = await findUser(users, idOrEmail);
          const secret = await password(ctx);
          if (!(await users.setPassword(user.id, secret))) throw failure(`no user with id or email "${idOrEmail}"`);
          ctx.out.result({ id: user.id, email: user.email, password_changed: true }, `Changed the password of ${user.email}`);
        };
      },
    },

    'mfa reset': {
      synopsis: 'ID|EMAIL',
      description:
        "Remove a user's second factors (authenticator app, recovery codes, passkeys), e.g. after a lost phone; "
        + 'they sign in with their password alone, or set up a factor again where one is required',
      options: {},
      positionals: ['ID|EMAIL'],
      prepare(_values, [idOrEmail]) {
        return async (ctx) => {
          const user = await findUser(usersOf(ctx), idOrEmail);
          const removed = await factorsOf(ctx).resetAll(user.id, { userAgent: 'gatehouse-cli' });
          const any = removed.totp + removed.recoveryCodes + removed.passkeys > 0;
          ctx.out.result(
            { id: user.id, email: user.email, removed: { totp: removed.totp > 0, recovery_codes: removed.recoveryCodes, passkeys: removed.passkeys } },
            any
              ? `Removed the second factors of ${user.email}: ${removed.totp ? 'authenticator app, ' : ''}${removed.passkeys} passkey(s), ${removed.recoveryCodes} recovery code(s)`
              : `${user.email} had no second factors to remove`,
          );
        };
      },
    },

    'verify-email': {
      synopsis: 'ID|EMAIL',
      description: "Mark a user's email address as verified (email_verified in ID tokens and userinfo)",
      options: {},
      positionals: ['ID|EMAIL'],
      prepare(_values, [idOrEmail]) {
        return async (ctx) => {
          const users = usersOf(ctx);
          const user = await findUser(users, idOrEmail);
          if (!(await users.markEmailVerified(user.id))) throw failure(`no user with id or email "${idOrEmail}"`);
          await new AuditLog(ctx.db).record({ type: 'email.verified', accountId: user.id, userAgent: 'gatehouse-cli', detail: { was_verified: user.emailVerified } });
          ctx.out.result(
            { id: user.id, email: user.email, email_verified: true, was_verified: user.emailVerified },
            user.emailVerified ? `${user.email} was already verified` : `Marked the email of ${user.email} as verified`,
          );
        };
      },
    },

    unlock: {
      synopsis: 'EMAIL',
      description: 'Clear the failed sign-in count and any lockout of an account',
      options: {},
      positionals: ['EMAIL'],
      prepare(_values, [email]) {
        return async (ctx) => {
          // Lockouts are kept per email, whether or not such a user exists, so unknown emails unlock too.
          const cleared = await new LoginThrottle(ctx.store, ctx.config.loginThrottle).unlock(email);
          const user = await usersOf(ctx).findByEmail(email);
          await new AuditLog(ctx.db).record({ type: 'user.unlocked', accountId: user?.id, userAgent: 'gatehouse-cli', detail: { cleared } });
          ctx.out.result(
            { email: normaliseEmail(email), unlocked: true, had_failures: cleared },
            cleared ? `Cleared the sign-in lockout of ${normaliseEmail(email)}` : `${normaliseEmail(email)} had no failed sign-ins to clear`,
          );
        };
      },
    },
  },
};
