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
});
