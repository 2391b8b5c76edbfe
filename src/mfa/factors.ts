// A user's second factors other than passkeys: the authenticator app (TOTP) and recovery codes.
// Enrolment, use and removal take an account id and nothing from the sign-in, so the sign-in steps,
// the account page and the CLI share them. Every change is written to the audit trail and counted.
import QRCode from 'qrcode';
import type { Database } from '../persistence/prisma-client.js';
import type { AuditLog } from '../audit/audit-log.js';
import { decryptSecret, encryptSecret } from '../keys/key-encryption.js';
import { matchingTotpStep, newTotpSecret, normaliseTotpCode, totpUri } from './totp.js';
import { hashRecoveryCode, newRecoveryCode, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.js';
import {
  recordFactorChange, type FactorAuditEvent, type FactorChange, type FactorChangeListener, type FactorKind, type RequestContext,
} from './factor-changes.js';

export interface TotpEnrolment {
  /** Base32, shown as text for apps that cannot scan. */
  secret: string;
  /** otpauth://totp/...: the QR code's content, and a link phones open directly. */
  uri: string;
  /** The URI as a QR code, an SVG document rendered on the server. */
  qrSvg: string;
}

export type TotpConfirmation =
  | { confirmed: true; /** The first set, when this is the account's first factor. */ recoveryCodes: string[] | undefined }
  | { confirmed: false; reason: 'not_started' | 'wrong_code' };

export interface FactorSummary {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

export interface FactorsOptions {
  db: Database;
  audit: AuditLog;
  /** Shown in the authenticator app next to the account. */
  issuerName: string;
  /** KEY_ENCRYPTION_SECRET: TOTP secrets are stored encrypted under it when set. */
  keyEncryptionSecret: string | undefined;
  onChange?: FactorChangeListener | undefined;
}

const totpBinding = (accountId: string) => `totp:${accountId}`;

export class Factors {
  constructor(private readonly options: FactorsOptions) {}

  private get db(): Database {
    return this.options.db;
  }

  async summary(accountId: string): Promise<FactorSummary> {
    const [totp, passkeys, recoveryCodesLeft] = await Promise.all([
      this.db.mfaTotp.count({ where: { accountId, confirmedAt: { not: null } } }),
      this.db.mfaPasskey.count({ where: { accountId } }),
      this.recoveryCodesLeft(accountId),
    ]);
    return { totp: totp > 0, passkeys, recoveryCodesLeft };
  }

  /** True when the account has a factor besides its password (recovery codes alone do not count). */
  async hasSecondFactor(accountId: string): Promise<boolean> {
    const { totp, passkeys } = await this.summary(accountId);
    return totp || passkeys > 0;
  }

  /**
   * A new secret, kept unconfirmed until a code from it is entered. Starting again replaces an
   * unconfirmed one; an account with a confirmed authenticator must remove it first.
   */
  async startTotpEnrolment(accountId: string): Promise<TotpEnrolment | undefined> {
    const user = await this.db.user.findUnique({ where: { id: accountId }, select: { email: true } });
    if (!user) return undefined;
    const existing = await this.db.mfaTotp.findUnique({ where: { accountId }, select: { confirmedAt: true } });
    if (existing?.confirmedAt) return undefined;
    const secret = newTotpSecret();
    const stored = this.seal(accountId, secret);
    await this.db.mfaTotp.upsert({
      where: { accountId },
      create: { accountId, secret: stored },
      update: { secret: stored, lastStep: null, createdAt: new Date() },
    });
    return this.describeEnrolment(secret, user.email);
  }

  /** The enrolment in progress again (a page reloaded after a wrong code), or undefined. */
  async pendingTotpEnrolment(accountId: string): Promise<TotpEnrolment | undefined> {
    const [row, user] = await Promise.all([
      this.db.mfaTotp.findUnique({ where: { accountId } }),
      this.db.user.findUnique({ where: { id: accountId }, select: { email: true } }),
    ]);
    if (!row || row.confirmedAt || !user) return undefined;
    return this.describeEnrolment(this.unseal(accountId, row.secret), user.email);
  }

  async confirmTotpEnrolment(accountId: string, input: string, context: RequestContext = {}): Promise<TotpConfirmation> {
    const row = await this.db.mfaTotp.findUnique({ where: { accountId } });
    if (!row || row.confirmedAt) return { confirmed: false, reason: 'not_started' };
    const code = normaliseTotpCode(input);
    const step = code === undefined ? undefined : matchingTotpStep(this.unseal(accountId, row.secret), code);
    if (step === undefined) return { confirmed: false, reason: 'wrong_code' };
    const { count } = await this.db.mfaTotp.updateMany({
      where: { accountId, confirmedAt: null, secret: row.secret },
      data: { confirmedAt: new Date(), lastStep: step },
    });
    if (count !== 1) return { confirmed: false, reason: 'not_started' };
    await this.changed(accountId, 'mfa.totp_enrolled', 'totp', 'added', context);
    return { confirmed: true, recoveryCodes: await this.issueFirstRecoveryCodes(accountId, context) };
  }

  /** Recovery codes for an account's first factor; undefined when it already has a set. */
  async issueFirstRecoveryCodes(accountId: string, context: RequestContext = {}): Promise<string[] | undefined> {
    const hasCodes = (await this.db.mfaRecoveryCode.count({ where: { accountId } })) > 0;
    return hasCodes ? undefined : this.regenerateRecoveryCodes(accountId, context);
  }

  /** Checks a code from the authenticator app; each code (time step) is accepted once. */
  async verifyTotp(accountId: string, input: string, now = Date.now()): Promise<boolean> {
    const row = await this.db.mfaTotp.findUnique({ where: { accountId } });
    const code = normaliseTotpCode(input);
    if (!row?.confirmedAt || code === undefined) return false;
    const step = matchingTotpStep(this.unseal(accountId, row.secret), code, now);
    if (step === undefined) return false;
    // One conditional write: of two requests with the same code, or an older one, only one gets through.
    const { count } = await this.db.mfaTotp.updateMany({
      where: { accountId, confirmedAt: { not: null }, OR: [{ lastStep: null }, { lastStep: { lt: step } }] },
      data: { lastStep: step },
    });
    return count === 1;
  }

  async removeTotp(accountId: string, context: RequestContext = {}): Promise<boolean> {
    const { count } = await this.db.mfaTotp.deleteMany({ where: { accountId } });
    if (count > 0) await this.changed(accountId, 'mfa.totp_removed', 'totp', 'removed', context);
    return count > 0;
  }

  /** A new set of ten codes, shown once; the previous set stops working. */
  async regenerateRecoveryCodes(accountId: string, context: RequestContext = {}): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.db.$transaction(async (tx) => {
      await tx.mfaRecoveryCode.deleteMany({ where: { accountId } });
      await tx.mfaRecoveryCode.createMany({ data: codes.map((code) => ({ codeHash: hashRecoveryCode(code), accountId })) });
    });
    await this.changed(accountId, 'mfa.recovery_codes_generated', 'recovery_codes', 'generated', context);
    return codes;
  }

  recoveryCodesLeft(accountId: string): Promise<number> {
    return this.db.mfaRecoveryCode.count({ where: { accountId, usedAt: null } });
  }

  /** Spends one recovery code; false when it is not one of the account's unused codes. */
  async useRecoveryCode(accountId: string, input: string, context: RequestContext = {}): Promise<boolean> {
    const code = normaliseRecoveryCode(input);
    if (code === undefined) return false;
    const { count } = await this.db.mfaRecoveryCode.updateMany({
      where: { codeHash: hashRecoveryCode(code), accountId, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (count !== 1) return false;
    await this.changed(accountId, 'mfa.recovery_code_used', 'recovery_codes', 'used', context, { left: await this.recoveryCodesLeft(accountId) });
    return true;
  }

  /** Removes every factor (authenticator, recovery codes, passkeys): an operator's `user mfa reset`. */
  async resetAll(accountId: string, context: RequestContext = {}): Promise<{ totp: number; recoveryCodes: number; passkeys: number }> {
    const removed = await this.db.$transaction(async (tx) => ({
      totp: (await tx.mfaTotp.deleteMany({ where: { accountId } })).count,
      recoveryCodes: (await tx.mfaRecoveryCode.deleteMany({ where: { accountId } })).count,
      passkeys: (await tx.mfaPasskey.deleteMany({ where: { accountId } })).count,
    }));
    await this.changed(accountId, 'mfa.reset', 'all', 'reset', context, {
      totp: removed.totp, recovery_codes: removed.recoveryCodes, passkeys: removed.passkeys,
    });
    return removed;
  }

  private async describeEnrolment(secret: string, email: string): Promise<TotpEnrolment> {
    const uri = totpUri(secret, this.options.issuerName, email);
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { secret, uri, qrSvg };
  }

  private seal(accountId: string, secret: string): string {
    const key = this.options.keyEncryptionSecret;
    return key ? encryptSecret(secret, totpBinding(accountId), key, 'totpSecret') : secret;
  }

  private unseal(accountId: string, stored: string): string {
    return decryptSecret(stored, totpBinding(accountId), this.options.keyEncryptionSecret, 'totpSecret', 'authenticator secret');
  }

  private changed(accountId: string, type: FactorAuditEvent, factor: FactorKind, change: FactorChange, context: RequestContext, detail: Record<string, number> = {}): Promise<void> {
    return recordFactorChange(this.options.audit, this.options.onChange, { accountId, type, factor, change, context, detail });
  }
}
