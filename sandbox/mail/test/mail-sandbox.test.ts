import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaughtMessage, type MailSandbox, startMailSandbox } from '../src/index.ts';

describe('mail sandbox', () => {
  let sandbox: MailSandbox;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  beforeAll(async () => {
    sandbox = await startMailSandbox({ smtpPort: 0, httpPort: 0 });
    smtp = nodemailer.createTransport(sandbox.smtpUrl);
  });
  afterAll(async () => {
    smtp.close();
    await sandbox.close();
  });

  it('catches SMTP mail and lists it by recipient in the JSON API', async () => {
    await smtp.sendMail({
      from: 'Tiketi <no-reply@tiketi.dev>',
      to: 'Fan@Example.com',
      subject: '예매가 완료되었습니다',
      text: 'plain body',
      html: '<p>html <b>body</b></p>',
    });
    await smtp.sendMail({
      from: 'no-reply@tiketi.dev',
      to: 'other@example.com',
      subject: 'other',
      text: 'x',
    });

    const res = await fetch(`${sandbox.httpUrl}/api/messages?to=fan@example.com`);
    const { items } = (await res.json()) as { items: CaughtMessage[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      via: 'smtp',
      to: ['fan@example.com'],
      subject: '예매가 완료되었습니다',
      text: 'plain body',
      html: '<p>html <b>body</b></p>',
    });
    const one = await fetch(`${sandbox.httpUrl}/api/messages/${items[0]?.id}`);
    expect(((await one.json()) as CaughtMessage).subject).toBe('예매가 완료되었습니다');
  });

  it('shows the inbox and a message as HTML pages, escaping what the mail says', async () => {
    await smtp.sendMail({
      from: 'no-reply@tiketi.dev',
      to: 'page@example.com',
      subject: '<script>alert(1)</script>',
      html: '<h1>Hello</h1>',
    });
    const [message] = sandbox.messages({ to: 'page@example.com' });
    const inbox = await (await fetch(`${sandbox.httpUrl}/?to=page@example.com`)).text();
    expect(inbox).toContain(`/messages/${message?.id}`);
    expect(inbox).toContain('&lt;script&gt;');
    expect(inbox).not.toContain('<script>alert');
    const page = await (await fetch(`${sandbox.httpUrl}/messages/${message?.id}`)).text();
    expect(page).toMatch(/<iframe sandbox [^>]*srcdoc="[^"]*&lt;h1&gt;Hello/);
  });

  it('accepts SendGrid v3 mail/send calls and refuses them without a key', async () => {
    const body = {
      personalizations: [{ to: [{ email: 'grid@example.com' }] }],
      from: { email: 'no-reply@tiketi.dev', name: 'Tiketi' },
      subject: 'via sendgrid',
      content: [
        { type: 'text/plain', value: 'text' },
        { type: 'text/html', value: '<p>html</p>' },
      ],
    };
    const refused = await fetch(`${sandbox.httpUrl}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(refused.status).toBe(401);
    const accepted = await fetch(`${sandbox.httpUrl}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SG.test' },
      body: JSON.stringify(body),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-message-id')).toBeTruthy();
    expect(sandbox.messages({ to: 'grid@example.com' })[0]).toMatchObject({
      via: 'sendgrid',
      from: 'Tiketi <no-reply@tiketi.dev>',
      subject: 'via sendgrid',
      html: '<p>html</p>',
    });
    const bad = await fetch(`${sandbox.httpUrl}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SG.test' },
      body: JSON.stringify({ from: { email: 'x@example.com' } }),
    });
    expect(bad.status).toBe(400);
  });

  it('keeps attached and inline files, serves their bytes and shows them on the message page', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const pdf = Buffer.from('%PDF-1.3\n%fake ticket\n');
    await smtp.sendMail({
      from: 'no-reply@tiketi.dev',
      to: 'files@example.com',
      subject: 'with files',
      text: 'see attached',
      html: '<p><img src="cid:qr-1@tiketi" alt="QR"></p>',
      attachments: [
        { filename: 'qr.png', content: png, contentType: 'image/png', cid: 'qr-1@tiketi' },
        { filename: 'tickets.pdf', content: pdf, contentType: 'application/pdf' },
      ],
    });
    const [message] = sandbox.messages({ to: 'files@example.com' });
    expect(message?.attachments).toEqual([
      {
        index: 0,
        filename: 'qr.png',
        contentType: 'image/png',
        size: png.length,
        contentId: 'qr-1@tiketi',
        inline: true,
      },
      {
        index: 1,
        filename: 'tickets.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
        contentId: undefined,
        inline: false,
      },
    ]);
    const file = await fetch(`${sandbox.httpUrl}/api/messages/${message?.id}/attachments/1`);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(pdf);
    expect((await fetch(`${sandbox.httpUrl}/api/messages/${message?.id}/attachments/2`)).status).toBe(404);
    const page = await (await fetch(`${sandbox.httpUrl}/messages/${message?.id}`)).text();
    expect(page).toContain(`/api/messages/${message?.id}/attachments/1">tickets.pdf</a>`);
    expect(page).toContain(`src=&quot;/api/messages/${message?.id}/attachments/0&quot;`);
  });

  it('keeps the files of a SendGrid call', async () => {
    const accepted = await fetch(`${sandbox.httpUrl}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SG.test' },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: 'grid-files@example.com' }] }],
        from: { email: 'no-reply@tiketi.dev' },
        subject: 'files via sendgrid',
        content: [{ type: 'text/plain', value: 'text' }],
        attachments: [
          { content: Buffer.from('%PDF-1.3').toString('base64'), type: 'application/pdf', filename: 't.pdf' },
        ],
      }),
    });
    expect(accepted.status).toBe(202);
    expect(sandbox.messages({ to: 'grid-files@example.com' })[0]?.attachments).toEqual([
      {
        index: 0,
        filename: 't.pdf',
        contentType: 'application/pdf',
        size: 8,
        contentId: undefined,
        inline: false,
      },
    ]);
  });
});
