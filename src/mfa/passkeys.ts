// Passkeys (WebAuthn) with @simplewebauthn/server, which checks every part of the ceremonies
// (challenge, origin, RP ID, signature, counter) so none of it is hand-written here. Registration
// and use take an account id, so the sign-in steps and the account page share them. Challenges are
// stored per ceremony key and taken (deleted) when a response is checked, so each is used once.
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Database } from '../persistence/prisma-client.js';
import type { AuditLog } from '../audit/audit-log.js';
import { recordFactorChange, type FactorChangeListener, type RequestContext } from './factor-changes.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_NAME = 64;
const MAX_PASSKEYS = 20;

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** singleDevice (a hardware key) or multiDevice (synced between devices). */
  deviceType: string;
}

export interface PasskeyUse {
  accountId: string;
  /** The authenticator verified the user (PIN, biometrics), not only their presence. */
  userVerified: boolean;
  deviceType: string;
}

export interface PasskeysOptions {
  db: Database;
  audit: AuditLog;
  /** The issuer's origin (scheme, host, port): the only origin ceremonies may come from. */
  origin: string;
  /** The issuer's host name; WebAuthn refuses IP addresses here. */
  rpId: string;
  rpName: string;
  onChange?: FactorChangeListener | undefined;
}

export class PasskeyInputError extends Error {
  override name = 'PasskeyInputError';
}

const registrationKey = (accountId: string) => `register:${accountId}`;

/** The browser's answer, posted as JSON text in a form field; anything unparsable is the user's problem, not a 500. */
export function parseCredentialJson<T extends { id: string }>(raw: string | null): T {
  if (!raw) throw new PasskeyInputError('No passkey answer was sent.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new PasskeyInputError('The passkey answer could not be read.');
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as { id?: unknown }).id !== 'string') {
    throw new PasskeyInputError('The passkey answer could not be read.');
  }
  return parsed as T;
}

function transportsOf(stored: string | null): AuthenticatorTransport[] | undefined {
  return stored ? (stored.split(',') as AuthenticatorTransport[]) : undefined;
}

export class Passkeys {
  constructor(private readonly options: PasskeysOptions) {}

  private get db(): Database {
    return this.options.db;
  }

  list(accountId: string): Promise<PasskeyView[]> {
    return this.db.mfaPasskey.findMany({
      where: { accountId },
      select: { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** Whose passkey this credential id is, to throttle a passwordless attempt per account. */
  async ownerOf(credentialId: string): Promise<{ accountId: string; email: string } | undefined> {
    const row = await this.db.mfaPasskey.findUnique({ where: { id: credentialId }, select: { accountId: true } });
    const user = row ? await this.db.user.findUnique({ where: { id: row.accountId }, select: { email: true } }) : null;
    return row && user ? { accountId: row.accountId, email: user.email } : undefined;
  }

  async count(accountId: string): Promise<number> {
    return this.db.mfaPasskey.count({ where: { accountId } });
  }

  /** Options for navigator.credentials.create: a discoverable credential, so it can sign in alone. */
  async registrationOptions(accountId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.db.user.findUnique({ where: { id: accountId }, select: { email: true, name: true } });
    if (!user) throw new PasskeyInputError('This account no longer exists.');
    const existing = await this.db.mfaPasskey.findMany({ where: { accountId }, select: { id: true, transports: true } });
    if (existing.length >= MAX_PASSKEYS) throw new PasskeyInputError(`An account can have at most ${MAX_PASSKEYS} passkeys. Remove one first.`);
    const options = await generateRegistrationOptions({
      rpName: this.options.rpName,
      rpID: this.options.rpId,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      userID: new TextEncoder().encode(accountId),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: transportsOf(c.transports) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    await this.storeChallenge(registrationKey(accountId), options.challenge);
    return options;
  }

  async verifyRegistration(accountId: string, response: RegistrationResponseJSON, name: string, context: RequestContext = {}): Promise<PasskeyView> {
    const challenge = await this.takeChallenge(registrationKey(accountId));
    if (!challenge) throw new PasskeyInputError('This passkey request has expired. Try again.');
    const label = name.trim().slice(0, MAX_NAME) || 'Passkey';
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.options.origin,
        expectedRPID: this.options.rpId,
        requireUserVerification: false,
      });
    } catch {
      throw new PasskeyInputError('The passkey could not be verified. Try again.');
    }
    if (!verification.verified) throw new PasskeyInputError('The passkey could not be verified. Try again.');
    const { credential, credentialDeviceType } = verification.registrationInfo;
    if (await this.db.mfaPasskey.findUnique({ where: { id: credential.id }, select: { id: true } })) {
      throw new PasskeyInputError('This passkey is already registered.');
    }
    const row = await this.db.mfaPasskey.create({
      data: {
        id: credential.id,
        accountId,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports?.join(',') || null,
        deviceType: credentialDeviceType,
        name: label,
      },
      select: { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true },
    });
    await recordFactorChange(this.options.audit, this.options.onChange, {
      accountId, type: 'mfa.passkey_added', factor: 'passkey', change: 'added', context, detail: { passkey: row.id.slice(0, 16) },
    });
    return row;
  }

  async remove(accountId: string, passkeyId: string, context: RequestContext = {}): Promise<boolean> {
    const { count } = await this.db.mfaPasskey.deleteMany({ where: { id: passkeyId, accountId } });
    if (count > 0) {
      await recordFactorChange(this.options.audit, this.options.onChange, {
        accountId, type: 'mfa.passkey_removed', factor: 'passkey', change: 'removed', context, detail: { passkey: passkeyId.slice(0, 16) },
      });
    }
    return count > 0;
  }

  /**
   * Options for navigator.credentials.get under a ceremony key (e.g. the interaction). With an
   * account, only its passkeys are offered (a second factor); without, any discoverable one (passwordless).
   */
  async authenticationOptions(ceremonyKey: string, accountId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowed = accountId === undefined
      ? []
      : await this.db.mfaPasskey.findMany({ where: { accountId }, select: { id: true, transports: true } });
    const options = await generateAuthenticationOptions({
      rpID: this.options.rpId,
      allowCredentials: allowed.map((c) => ({ id: c.id, transports: transportsOf(c.transports) })),
      userVerification: 'preferred',
    });
    await this.storeChallenge(`signin:${ceremonyKey}`, options.challenge);
    return options;
  }

  /** Checks a passkey answer; with an account, the passkey must be one of its own. */
  async verifyAuthentication(ceremonyKey: string, response: AuthenticationResponseJSON, accountId?: string): Promise<PasskeyUse> {
    const challenge = await this.takeChallenge(`signin:${ceremonyKey}`);
    if (!challenge) throw new PasskeyInputError('This passkey request has expired. Try again.');
    const row = await this.db.mfaPasskey.findUnique({ where: { id: response.id } });
    if (!row || (accountId !== undefined && row.accountId !== accountId)) {
      throw new PasskeyInputError('This passkey is not registered with this account.');
    }
    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.options.origin,
        expectedRPID: this.options.rpId,
        credential: { id: row.id, publicKey: Buffer.from(row.publicKey, 'base64url'), counter: row.counter, transports: transportsOf(row.transports) },
        requireUserVerification: false,
      });
    } catch {
      throw new PasskeyInputError('The passkey could not be verified. Try again.');
    }
    if (!verification.verified) throw new PasskeyInputError('The passkey could not be verified. Try again.');
    const { newCounter, userVerified } = verification.authenticationInfo;
    await this.db.mfaPasskey.update({ where: { id: row.id }, data: { counter: newCounter, lastUsedAt: new Date() } });
    return { accountId: row.accountId, userVerified, deviceType: row.deviceType };
  }

  private async storeChallenge(key: string, challenge: string): Promise<void> {
    const expiresAt = new Date(Date.now() + CHALLENGE_TTL_MS);
    await this.db.mfaChallenge.upsert({ where: { key }, create: { key, challenge, expiresAt }, update: { challenge, expiresAt } });
  }

  /** The challenge, deleted as it is read so that one answer cannot be checked twice. */
  private async takeChallenge(key: string): Promise<string | undefined> {
    const row = await this.db.mfaChallenge.findUnique({ where: { key } });
    if (!row) return undefined;
    const { count } = await this.db.mfaChallenge.deleteMany({ where: { key, challenge: row.challenge } });
    if (count !== 1 || row.expiresAt.getTime() < Date.now()) return undefined;
    return row.challenge;
  }
}

