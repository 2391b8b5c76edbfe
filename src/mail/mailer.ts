// Sends the few messages Gatehouse writes to people (reset links, verification links, notices).
// With SMTP_URL they go over SMTP through nodemailer, which handles the protocol, STARTTLS, auth
// and encoding; without it each message is written to the server log, so a newcomer running
// `npm start` with nothing configured can still follow a reset link.
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailSettings } from '../config/env.js';
import type { Logger } from '../logging/logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Resolves once the message is handed over (to the SMTP server, or to the log). */
  send(message: MailMessage): Promise<void>;
  /**
   * Sends without making the request wait: a page must answer in the same time whether or not it
   * sent mail (a known or unknown email), and a slow mail server must not hold a sign-in page.
   */
  sendLater(message: MailMessage): void;
}

class SmtpMailer implements Mailer {
  readonly #transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string, private readonly log: Logger) {
    this.#transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: MailMessage): Promise<void> {
    await this.#transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }

  sendLater(message: MailMessage): void {
    this.send(message).catch((error: unknown) => this.log.error({ err: error, subject: message.subject }, 'sending mail failed'));
  }
}

class LogMailer implements Mailer {
  constructor(private readonly from: string, private readonly log: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.log.info({ mail: { from: this.from, to: message.to, subject: message.subject } }, `mail (SMTP_URL is not set, so it is logged instead of sent)\n${message.text}`);
  }

  sendLater(message: MailMessage): void {
    void this.send(message);
  }
}

export function createMailer(settings: MailSettings, log: Logger): Mailer {
  return settings.smtpUrl ? new SmtpMailer(settings.smtpUrl, settings.from, log) : new LogMailer(settings.from, log);
}
