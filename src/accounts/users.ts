// The users repository: accounts that sign in with email and password.
import { randomUUID } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import type { PasswordHasher } from './passwords.js';
import { passwordProblem } from './passwords.js';

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A password check's outcome; why it failed is for the audit trail, never for the user. */
export type SignInCheck = { user: User } | { failure: 'unknown_account' } | { failure: 'wrong_password'; accountId: string };

export class UserInputError extends Error {
  override name = 'UserInputError';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Emails compare case-insensitively: they are stored and looked up lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Whether an address (already normalised) is one Users.create accepts. */
export function isValidEmail(email: string): boolean {
  return EMAIL.test(email) && email.length <= 254;
}

const publicFields = { id: true, email: true, emailVerified: true, name: true, createdAt: true, updatedAt: true } as const;

export class Users {
  constructor(private readonly db: Database, private readonly hasher: PasswordHasher) {}

  async create(input: { email: string; password: string; name?: string; emailVerified?: boolean }): Promise<User> {
    const email = normaliseEmail(input.email);
    if (!isValidEmail(email)) throw new UserInputError(`"${input.email}" is not a valid email address`);
    const problem = passwordProblem(input.password);
    if (problem) throw new UserInputError(problem);
    if (await this.db.user.findUnique({ where: { email }, select: { id: true } })) {
      throw new UserInputError(`a user with email ${email} already exists`);
    }
    return this.db.user.create({
      data: {
        id: randomUUID(),
        email,
        name: input.name?.trim() || null,
        emailVerified: input.emailVerified ?? false,
        passwordHash: await this.hasher.hash(input.password),
      },
      select: publicFields,
    });
  }

  findById(id: string): Promise<User | null> {
    return this.db.user.findUnique({ where: { id }, select: publicFields });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.db.user.findUnique({ where: { email: normaliseEmail(email) }, select: publicFields });
  }

  /** Finds an id or an email, as operators type either on the command line. */
  async findByIdOrEmail(idOrEmail: string): Promise<User | null> {
    return idOrEmail.includes('@') ? this.findByEmail(idOrEmail) : this.findById(idOrEmail);
  }

  list(): Promise<User[]> {
    return this.db.user.findMany({ select: publicFields, orderBy: { createdAt: 'asc' } });
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.user.deleteMany({ where: { id } });
    return count > 0;
  }

  async setPassword(id: string, password: string): Promise<boolean> {
    const problem = passwordProblem(password);
    if (problem) throw new UserInputError(problem);
    const { count } = await this.db.user.updateMany({ where: { id }, data: { passwordHash: await this.hasher.hash(password) } });
    return count > 0;
  }

  async setName(id: string, name: string): Promise<boolean> {
    const trimmed = name.trim();
    if (trimmed.length > 200) throw new UserInputError('name must be at most 200 characters');
    const { count } = await this.db.user.updateMany({ where: { id }, data: { name: trimmed || null } });
    return count > 0;
  }

  /** Sets email_verified; false when there is no such user. */
  async markEmailVerified(id: string): Promise<boolean> {
    const { count } = await this.db.user.updateMany({ where: { id }, data: { emailVerified: true } });
    return count > 0;
  }

  /** Returns the user when the password matches, spending equal time whether or not the email exists. */
  async authenticate(email: string, password: string): Promise<User | null> {
    const outcome = await this.check(email, password);
    return 'user' in outcome ? outcome.user : null;
  }

  /** Like authenticate, but says why a sign-in failed, for the audit trail (never for the user). */
  async check(email: string, password: string): Promise<SignInCheck> {
    const row = await this.db.user.findUnique({ where: { email: normaliseEmail(email) } });
    if (!row || password.length > 1024) {
      await this.hasher.verifyAgainstNothing(password.slice(0, 1024));
      return row ? { failure: 'wrong_password', accountId: row.id } : { failure: 'unknown_account' };
    }
    if (!(await this.hasher.verify(row.passwordHash, password))) return { failure: 'wrong_password', accountId: row.id };
    const { passwordHash: _hash, ...user } = row;
    return { user };
  }
}
