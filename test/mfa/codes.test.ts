// The code primitives on their own: RFC 6238's published vector (SHA-1, truncated to 6 digits), the
// ±1 step window, and recovery codes typed back loosely. The test's own TOTP implementation is
// checked against the same vector, so the browser tests compute codes independently of otpauth.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchingTotpStep, newTotpSecret, normaliseTotpCode, totpUri } from '../../src/mfa/totp.js';
import { newRecoveryCode, normaliseRecoveryCode } from '../../src/mfa/recovery-codes.js';
import { totpCode } from '../support/totp-code.js';

// RFC 6238 appendix B: the ASCII key "12345678901234567890"; at T = 59 s the 8-digit code is 94287082.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP codes', () => {
  test('match RFC 6238 and the independent implementation', () => {
    assert.equal(totpCode(RFC_SECRET, 59_000), '287082');
    assert.equal(matchingTotpStep(RFC_SECRET, '287082', 59_000), 1);
    const secret = newTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/, '160 bits of base32');
    assert.equal(matchingTotpStep(secret, totpCode(secret, 1_000_000_000_000), 1_000_000_000_000), Math.floor(1_000_000_000 / 30));
  });

  test('accept one step either side, nothing further', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    assert.equal(matchingTotpStep(secret, totpCode(secret, now - 30_000), now), step - 1);
    assert.equal(matchingTotpStep(secret, totpCode(secret, now + 30_000), now), step + 1);
    assert.equal(matchingTotpStep(secret, totpCode(secret, now - 90_000), now), undefined);
    assert.equal(matchingTotpStep(secret, totpCode(secret, now + 90_000), now), undefined);
  });

  test('codes are six digits, spaces allowed', () => {
    assert.equal(normaliseTotpCode(' 123 456 '), '123456');
    for (const bad of ['12345', '1234567', 'abcdef', '']) assert.equal(normaliseTotpCode(bad), undefined, bad);
  });

  test('the otpauth URI names the issuer and account and carries the standard parameters', () => {
    const uri = new URL(totpUri(RFC_SECRET, 'Gatehouse (id.example.com)', 'alice@example.com'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('secret'), RFC_SECRET);
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse (id.example.com)');
  });
});

describe('recovery codes', () => {
  test('are 16 characters in four groups, different every time', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    assert.equal(new Set(codes).size, codes.length);
  });

  test('are read back whatever the case, spacing and easily confused letters', () => {
    const code = '0a1b-2c3d-4e5f-6g7h';
    assert.equal(normaliseRecoveryCode(' 0A1B 2C3D-4E5F 6G7H '), code);
    assert.equal(normaliseRecoveryCode('OA1B2C3D4E5F6G7H'), code, 'O is read as 0');
    assert.equal(normaliseRecoveryCode('0aib-2c3d-4e5f-6g7h'), '0a1b-2c3d-4e5f-6g7h', 'i is read as 1');
    for (const bad of ['0a1b-2c3d-4e5f', '0a1b-2c3d-4e5f-6g7h-8', 'uuuu-uuuu-uuuu-uuuu', '']) assert.equal(normaliseRecoveryCode(bad), undefined, bad);
  });
});
