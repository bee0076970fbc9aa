import nodemailer from 'nodemailer';
import { MAILS_AT_ONCE, type Mailer, type OutgoingMail, type Sender } from './mailer.ts';

/**
 * SMTP through nodemailer (the local mail sandbox, or any relay) with timeouts on every step, over a few
 * kept connections: a new connection per mail (connect, greeting, EHLO, then the mail) held a drop's
 * confirmations to about ten mails a second.
 */
export function smtpMailer(url: string, from: Sender): Mailer {
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: MAILS_AT_ONCE,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    name: 'smtp',
    async send(mail: OutgoingMail) {
      const info = await transport.sendMail({
        from: { name: from.name, address: from.email },
        to: { name: mail.to.name, address: mail.to.email },
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        attachments: mail.attachments?.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          content: a.content,
          ...(a.contentId ? { cid: a.contentId, contentDisposition: 'inline' as const } : {}),
        })),
      });
      return { providerMessageId: info.messageId };
    },
    async close() {
      transport.close();
    },
  };
}
