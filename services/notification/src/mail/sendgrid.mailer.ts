import type { Mailer, OutgoingMail, Sender } from './mailer.ts';

/** SendGrid's v3 mail/send API: 202 means accepted; anything else is an error the bus retries. */
export function sendGridMailer(options: {
  apiUrl: string;
  apiKey: string;
  from: Sender;
  timeoutMs?: number;
}): Mailer {
  const endpoint = new URL('/v3/mail/send', options.apiUrl);
  return {
    name: 'sendgrid',
    async send(mail: OutgoingMail) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          personalizations: [{ to: [{ email: mail.to.email, name: mail.to.name }] }],
          from: { email: options.from.email, name: options.from.name },
          subject: mail.subject,
          content: [
            { type: 'text/plain', value: mail.text },
            { type: 'text/html', value: mail.html },
          ],
          headers: { 'Message-ID': mail.messageId },
          ...(mail.attachments?.length
            ? {
                attachments: mail.attachments.map((a) => ({
                  content: a.content.toString('base64'),
                  type: a.contentType,
                  filename: a.filename,
                  disposition: a.contentId ? 'inline' : 'attachment',
                  ...(a.contentId ? { content_id: a.contentId } : {}),
                })),
              }
            : {}),
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (res.status !== 202) {
        const detail = (await res.text()).slice(0, 300);
        throw new Error(`SendGrid answered ${res.status}: ${detail}`);
      }
      await res.body?.cancel();
      return { providerMessageId: res.headers.get('x-message-id') ?? undefined };
    },
    async close() {
      // Stateless HTTP: nothing to release.
    },
  };
}
