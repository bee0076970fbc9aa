import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@tiketi/kit';
import Fastify, { LogController } from 'fastify';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';
import { createInbox, type MessageFilter } from './inbox.ts';
import { inboxPage, messagePage } from './pages.ts';

export type MailSandboxOptions = {
  host?: string;
  /** SMTP port; 0 picks a free one (tests). */
  smtpPort?: number;
  /** Inbox page, JSON API and SendGrid stand-in; 0 picks a free one. */
  httpPort?: number;
  logger?: Logger;
};

const emailAddress = z.object({ email: z.string(), name: z.string().optional() });
/** The part of SendGrid's `POST /v3/mail/send` body the stand-in understands. */
const sendGridMail = z.object({
  personalizations: z
    .array(z.object({ to: z.array(emailAddress).min(1), subject: z.string().optional() }))
    .min(1),
  from: emailAddress,
  subject: z.string().optional(),
  content: z.array(z.object({ type: z.string(), value: z.string() })).min(1),
  headers: z.record(z.string(), z.string()).optional(),
  attachments: z
    .array(
      z.object({
        content: z.base64(),
        type: z.string().optional(),
        filename: z.string(),
        disposition: z.enum(['inline', 'attachment']).optional(),
        content_id: z.string().optional(),
      }),
    )
    .optional(),
});

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).filter(Boolean);
}

/** Starts the SMTP catcher and its inbox (HTML page and JSON API), plus a SendGrid v3 stand-in. */
export async function startMailSandbox(options: MailSandboxOptions = {}) {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger('sandbox-mail', 'silent');
  const inbox = createInbox();
  let rejections = 0;
  let holds = 0;
  /** Answers owed for messages caught but not yet acknowledged (`holdNext`). */
  const held: (() => void)[] = [];

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      if (rejections > 0) {
        rejections--;
        stream.resume();
        stream.on('end', () =>
          callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 })),
        );
        return;
      }
      // Keeps cid: references as sent, so a test sees which image the HTML points at.
      simpleParser(stream, { skipImageLinks: true })
        .then((parsed) => {
          const envelope = session.envelope.rcptTo.map((r) => r.address);
          const to = [...new Set([...envelope, ...addresses(parsed.to), ...addresses(parsed.cc)])].map((a) =>
            a.toLowerCase(),
          );
          const stored = inbox.add(
            {
              via: 'smtp',
              messageId: parsed.messageId,
              from: parsed.from?.text ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: parsed.html === false ? undefined : parsed.html,
            },
            parsed.attachments.map((a) => ({
              filename: a.filename,
              contentType: a.contentType,
              contentId: a.cid,
              inline: a.contentDisposition === 'inline' || Boolean(a.related),
              content: a.content,
            })),
          );
          logger.info({ id: stored.id, to: stored.to, subject: stored.subject }, 'mail caught');
          if (holds > 0) {
            holds--;
            held.push(() => callback());
            return;
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  smtp.on('error', (err) => logger.warn({ err: err.message }, 'smtp error'));
  await new Promise<void>((resolve) => smtp.listen(options.smtpPort ?? 0, host, resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const filterQuery = z.object({ to: z.string().optional(), subject: z.string().optional() });

  app.get('/', async (req, reply) => {
    const { to } = filterQuery.parse(req.query);
    return reply.type('text/html').send(inboxPage(inbox.list({ to }), to));
  });
  app.get('/messages/:id', async (req, reply) => {
    const message = inbox.get((req.params as { id: string }).id);
    if (!message) return reply.code(404).type('text/html').send('<h1>No such message</h1>');
    return reply.type('text/html').send(messagePage(message));
  });
  app.get('/api/messages', async (req) => ({ items: inbox.list(filterQuery.parse(req.query)) }));
  app.get('/api/messages/:id', async (req, reply) => {
    const message = inbox.get((req.params as { id: string }).id);
    return message ?? reply.code(404).send({ error: 'not found' });
  });
  app.get('/api/messages/:id/attachments/:index', async (req, reply) => {
    const { id, index } = z
      .object({ id: z.string(), index: z.coerce.number().int().nonnegative() })
      .parse(req.params);
    const file = inbox.attachment(id, index);
    if (!file) return reply.code(404).send({ error: 'not found' });
    reply.header('content-type', file.contentType).header('x-content-type-options', 'nosniff');
    if (file.filename)
      reply.header('content-disposition', `inline; filename="${encodeURIComponent(file.filename)}"`);
    return reply.send(file.content);
  });
  app.delete('/api/messages', async (_req, reply) => {
    inbox.clear();
    return reply.code(204).send();
  });
  // SendGrid's v3 API shape: 202 with X-Message-Id, 401 without a key, 400 with `errors` on a bad body.
  app.post('/v3/mail/send', async (req, reply) => {
    const auth = req.headers.authorization ?? '';
    if (!/^Bearer \S+$/.test(auth)) {
      return reply.code(401).send({ errors: [{ message: 'The provided authorization grant is invalid.' }] });
    }
    const parsed = sendGridMail.safeParse(req.body);
    if (!parsed.success) {
      return reply.code(400).send({
        errors: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    const mail = parsed.data;
    for (const p of mail.personalizations) {
      const stored = inbox.add(
        {
          via: 'sendgrid',
          messageId: mail.headers?.['Message-ID'],
          from: mail.from.name ? `${mail.from.name} <${mail.from.email}>` : mail.from.email,
          to: p.to.map((t) => t.email.toLowerCase()),
          subject: p.subject ?? mail.subject ?? '',
          text: mail.content.find((c) => c.type === 'text/plain')?.value ?? '',
          html: mail.content.find((c) => c.type === 'text/html')?.value,
        },
        (mail.attachments ?? []).map((a) => ({
          filename: a.filename,
          contentType: a.type ?? 'application/octet-stream',
          contentId: a.content_id,
          inline: a.disposition === 'inline',
          content: Buffer.from(a.content, 'base64'),
        })),
      );
      reply.header('x-message-id', stored.id);
    }
    return reply.code(202).send();
  });

  await app.listen({ port: options.httpPort ?? 0, host });
  const httpPort = (app.server.address() as AddressInfo).port;

  return {
    smtpPort,
    httpPort,
    /** For nodemailer / SMTP_URL. */
    smtpUrl: `smtp://${host}:${smtpPort}`,
    /** Inbox page and JSON API; also SENDGRID_API_URL for the SendGrid stand-in. */
    httpUrl: `http://${host}:${httpPort}`,
    messages: (filter?: MessageFilter) => inbox.list(filter),
    clear: () => inbox.clear(),
    /** Answers the next `count` messages with a temporary SMTP failure (451), as a flaky relay would. */
    rejectNext: (count = 1) => {
      rejections += count;
    },
    /**
     * Catches the next `count` messages but keeps their SMTP answer back (until `releaseHeld` or close):
     * the relay has the mail, the sender does not know it yet, as when a sender dies mid-send.
     */
    holdNext: (count = 1) => {
      holds += count;
    },
    releaseHeld: () => {
      for (const answer of held.splice(0)) answer();
    },
    async close() {
      for (const answer of held.splice(0)) answer();
      await app.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

export type MailSandbox = Awaited<ReturnType<typeof startMailSandbox>>;
