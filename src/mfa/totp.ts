// RFC 6238 time-based codes with the otpauth library: SHA-1, 6 digits, 30-second steps, the only
// parameters every authenticator app supports. A code is accepted one step either side of now, to
// allow for clock drift and typing time; which step it matched is returned so the caller can refuse
// it a second time.
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Steps either side of the current one that still match. */
const WINDOW = 1;
/** 160 bits, the HMAC-SHA-1 block RFC 4226 recommends. */
const SECRET_BYTES = 20;

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totpFor(secretBase32: string, issuer: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

/** The otpauth://totp/... URI authenticator apps read from the QR code or open as a link. */
export function totpUri(secretBase32: string, issuer: string, accountName: string): string {
  return totpFor(secretBase32, issuer, accountName).toString();
}

/** Six digits, spaces allowed ("123 456"), as people copy them from their app. */
export function normaliseTotpCode(input: string): string | undefined {
  const code = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/** The time step the code belongs to, or undefined when it matches none in the window. */
export function matchingTotpStep(secretBase32: string, code: string, now = Date.now()): number | undefined {
  const delta = totpFor(secretBase32, 'Gatehouse', 'check').validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS) + delta;
}
