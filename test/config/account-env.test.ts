// The account settings: mail (SMTP_URL, MAIL_FROM), SIGNUP and STEP_UP_MAX_AGE, with their defaults
// and bad values stopped with a message naming the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/env.js';

test('defaults: mail to the log from no-reply at the issuer host, sign-up closed, step-up after 10 minutes', () => {
  const config = loadConfig({ ISSUER: 'https://id.example.com' });
  assert.deepEqual(config.mail, { smtpUrl: undefined, from: 'Gatehouse <no-reply@id.example.com>' });
  assert.equal(config.signup, 'closed');
  assert.equal(config.stepUpMaxAgeSeconds, 600);
});

test('accepted values', () => {
  const config = loadConfig({ SMTP_URL: 'smtp://user:pw@127.0.0.1:2525', MAIL_FROM: 'Accounts <accounts@example.com>', SIGNUP: 'open', STEP_UP_MAX_AGE: '300' });
  assert.deepEqual(config.mail, { smtpUrl: 'smtp://user:pw@127.0.0.1:2525', from: 'Accounts <accounts@example.com>' });
  assert.equal(config.signup, 'open');
  assert.equal(config.stepUpMaxAgeSeconds, 300);
  assert.equal(loadConfig({ MAIL_FROM: 'bare@example.com' }).mail.from, 'bare@example.com');
});

test('bad values name the variable, and never print an SMTP password', () => {
  const refused = (env: Record<string, string>, pattern: RegExp) => assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /hunter2/);
    return true;
  });
  refused({ SMTP_URL: 'http://user:hunter2@mail.example.com' }, /^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
  refused({ SMTP_URL: 'not a url' }, /^SMTP_URL/);
  refused({ MAIL_FROM: 'not an address' }, /^MAIL_FROM/);
  refused({ SIGNUP: 'sometimes' }, /^SIGNUP must be closed or open/);
  refused({ STEP_UP_MAX_AGE: '2' }, /^STEP_UP_MAX_AGE must be between 5 and 86400/);
});
