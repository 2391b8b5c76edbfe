// The words of every message Gatehouse mails, in one place. Plain text only: links stay readable
// and clickable in every client, and nothing in them can be spoofed by markup.
import type { MailMessage } from './mailer.js';

const SIGNATURE = '\n-- \nGatehouse';

export function passwordResetMessage(to: string, link: string, validMinutes: number): MailMessage {
  return {
    to,
    subject: 'Reset your password',
    text: [
      'Someone (hopefully you) asked to reset the password of your account.',
      '',
      `To choose a new password, open this link within ${validMinutes} minutes:`,
      link,
      '',
      'The link works once. If you did not ask for this, ignore this message: your password stays as it is.',
      SIGNATURE,
    ].join('\n'),
  };
}

export function passwordChangedMessage(to: string, how: 'reset' | 'changed', accountUrl: string): MailMessage {
  return {
    to,
    subject: 'Your password was changed',
    text: [
      how === 'reset'
        ? 'The password of your account was just reset with a link sent to this address. Every browser signed in to your account was signed out.'
        : 'The password of your account was just changed on the account page. Your other browser sessions were signed out.',
      '',
      'If this was not you, reset your password at once and review your account:',
      accountUrl,
      SIGNATURE,
    ].join('\n'),
  };
}

export function verificationMessage(to: string, link: string, validHours: number): MailMessage {
  return {
    to,
    subject: 'Confirm your email address',
    text: [
      'Confirm that this address belongs to your account by opening this link',
      `within ${validHours} hours:`,
      link,
      '',
      'If you did not create an account, ignore this message.',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner of an address someone tried to sign up with again: the sign-up page never says so. */
export function alreadyRegisteredMessage(to: string, forgotUrl: string): MailMessage {
  return {
    to,
    subject: 'You already have an account',
    text: [
      'Someone tried to create an account with this address, but you already have one.',
      '',
      'If it was you and you forgot your password, reset it here:',
      forgotUrl,
      '',
      'If it was not you, ignore this message.',
      SIGNATURE,
    ].join('\n'),
  };
}
