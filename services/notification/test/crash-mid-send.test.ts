import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeEnvelope } from '@tiketi/kit';
import { openTestInfra, testConfig } from '@tiketi/kit/testing';
import { startMailSandbox } from '@tiketi/sandbox-mail';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DB } from '../src/db/schema.ts';

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 60_000, interval: 100 });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The notification service as its own process (`node src/main.ts`), so that a test can kill it outright
 * while a mail is on its way: no `finally`, no shutdown hook, no rollback of its own.
 */
describe('notification service killed while a mail is on its way', async () => {
  const config = testConfig('notif-crash');
  const infra = await openTestInfra<
    { service: string; database: { name: string; migrations: string }; bus: true },
    DB
  >(
    {
      service: 'notification',
      database: { name: 'unused', migrations: new URL('../migrations', import.meta.url).pathname },
      bus: true,
    },
    config,
  );
  const { db, bus } = infra;
  const mail = await startMailSandbox({ smtpPort: 0, httpPort: 0 });
  const amqp = await amqplib.connect(config.AMQP_URL);
  const channel = await amqp.createChannel();
  const mailQueue = `${config.AMQP_EXCHANGE}.notification.mail`;
  const children: { kill(): Promise<void> }[] = [];

  async function spawnNotification() {
    const port = await freePort();
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const [key, value] of Object.entries(config)) env[key] = String(value);
    Object.assign(env, { PORT: String(port), SMTP_URL: mail.smtpUrl, LOG_LEVEL: 'silent' });
    const child = spawn(process.execPath, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const instance = {
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    children.push(instance);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    return instance;
  }

  beforeAll(async () => {
    await bus.waitForConnect();
    // The service's own queue, declared as it declares it, so that nothing published before it consumes is lost.
    await channel.assertExchange(config.AMQP_EXCHANGE, 'topic', { durable: true });
    await channel.assertQueue(mailQueue, { durable: true });
    await channel.bindQueue(mailQueue, config.AMQP_EXCHANGE, 'user.registered');
  });
  afterAll(async () => {
    for (const child of children) await child.kill();
    await amqp.close();
    await mail.close();
    await infra.cleanup();
  });

  it('sends no second mail when the event comes again after the sender died mid-send', {
    timeout: 180_000,
  }, async () => {
    const first = await spawnNotification();
    const email = `crash-${randomUUID()}@example.com`;
    const event = makeEnvelope('user.registered', {
      userId: randomUUID(),
      email,
      name: 'Crash',
      locale: 'en',
      provider: 'google',
    });
    // The relay takes the mail and keeps its answer back: the sender dies not knowing it was taken.
    mail.holdNext(1);
    await bus.publish(event);
    await eventually(() => expect(mail.messages({ to: email })).toHaveLength(1));
    await first.kill();

    // RabbitMQ gives the unacknowledged event to the next process.
    await spawnNotification();
    await eventually(async () => {
      expect((await channel.checkQueue(mailQueue)).messageCount).toBe(0);
      const row = await db
        .selectFrom('notifications')
        .select('status')
        .where('eventId', '=', event.id)
        .executeTakeFirst();
      expect(row?.status).toMatch(/^(sent|unconfirmed)$/);
    });
    // A later mail has gone out through the same process: the redelivery was handled before it.
    const marker = `marker-${randomUUID()}@example.com`;
    await bus.publish(
      makeEnvelope('user.registered', {
        userId: randomUUID(),
        email: marker,
        name: 'Marker',
        locale: 'en',
        provider: 'google',
      }),
    );
    await eventually(() => expect(mail.messages({ to: marker })).toHaveLength(1));
    expect(mail.messages({ to: email })).toHaveLength(1);
    const rows = await db
      .selectFrom('notifications')
      .select(['status', 'detail'])
      .where('eventId', '=', event.id)
      .execute();
    expect(rows).toEqual([{ status: 'unconfirmed', detail: expect.stringContaining('not sent again') }]);
  });
});
