// A real SMTP server in the test process (smtp-server) that keeps every message Gatehouse sends
// it, parsed with mailparser, so tests read mail that went over an actual SMTP connection from
// nodemailer, not a stub of our mailer.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { freePort } from './gatehouse-process.js';

export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface Mailbox {
  url: string;
  messages: ReceivedMail[];
  /** The first message to this address (and matching the subject) arriving after `since` messages. */
  waitFor(to: string, subject?: RegExp, since?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text ?? '';
        messages.push({ from: mail.from?.text ?? '', to, subject: mail.subject ?? '', text: mail.text ?? '' });
        for (const wake of waiters) wake();
        callback();
      }, callback);
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));

  const find = (to: string, subject: RegExp | undefined, since: number) =>
    messages.slice(since).find((m) => m.to.includes(to) && (!subject || subject.test(m.subject)));

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(to, subject, since = 0, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find(to, subject, since);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to}${subject ? ` matching ${subject}` : ''}; received: ${JSON.stringify(messages.map((m) => [m.to, m.subject]))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in a message's text. */
export function linkIn(mail: ReceivedMail): URL {
  const match = /https?:\/\/\S+/.exec(mail.text);
  if (!match) throw new Error(`no link in mail "${mail.subject}":\n${mail.text}`);
  return new URL(match[0]);
}
