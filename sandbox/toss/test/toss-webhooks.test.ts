import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTossClient, type TossWebhook, tossWebhook } from '@tiketi/toss';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTossSandbox, type TossSandbox } from '../src/index.ts';

/** A webhook receiver that answers the given statuses in turn (the last one repeats). */
async function receiver(statuses: number[]) {
  const received: TossWebhook[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(tossWebhook.parse(JSON.parse(body)));
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/payments/toss/webhook`;
  return { url, received, close: () => new Promise((r) => server.close(r)) };
}

describe('Toss sandbox webhooks', () => {
  let sandbox: TossSandbox;
  let toss: ReturnType<typeof createTossClient>;
  beforeAll(async () => {
    sandbox = await startTossSandbox({ port: 0, webhookRetryDelaysMs: [20, 40, 80] });
    toss = createTossClient({ secretKey: 'test_sk_toss_webhooks', baseUrl: sandbox.url });
  });
  afterAll(() => sandbox.close());

  async function approvedPayment() {
    const payment = await toss.createPayment(
      {
        amount: 11_000,
        orderId: `order-${randomUUID()}`,
        orderName: 'webhook test',
        successUrl: 'http://localhost:3000/ok',
        failUrl: 'http://localhost:3000/fail',
      },
      { idempotencyKey: randomUUID() },
    );
    sandbox.authorize(payment.paymentKey);
    await toss.confirm(
      { paymentKey: payment.paymentKey, orderId: payment.orderId, amount: 11_000 },
      { idempotencyKey: randomUUID() },
    );
    return payment;
  }

  it('delivers PAYMENT_STATUS_CHANGED and retries until the receiver answers 200', async () => {
    const hook = await receiver([500, 503, 200]);
    sandbox.setWebhookUrl(hook.url);
    const payment = await approvedPayment();
    await vi.waitFor(() => expect(hook.received).toHaveLength(3), { timeout: 5000 });
    for (const delivery of hook.received) {
      expect(delivery).toMatchObject({
        eventType: 'PAYMENT_STATUS_CHANGED',
        data: { paymentKey: payment.paymentKey, orderId: payment.orderId, status: 'DONE' },
      });
    }
    await vi.waitFor(() => {
      const attempts = sandbox.webhookAttempts().filter((a) => a.paymentKey === payment.paymentKey);
      expect(attempts.map((a) => a.responseStatus)).toEqual([500, 503, 200]);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(hook.received).toHaveLength(3);
    await hook.close();
  });

  it('gives up after the last retry when the receiver never answers 200', async () => {
    const hook = await receiver([500]);
    sandbox.setWebhookUrl(hook.url);
    const payment = await approvedPayment();
    await vi.waitFor(
      () =>
        expect(sandbox.webhookAttempts().filter((a) => a.paymentKey === payment.paymentKey)).toHaveLength(4),
      { timeout: 5000 },
    );
    await new Promise((r) => setTimeout(r, 250));
    expect(hook.received).toHaveLength(4);
    expect(sandbox.webhookAttempts().filter((a) => a.paymentKey === payment.paymentKey)).toHaveLength(4);
    await hook.close();
  });

  it('announces cancels and expiries as status changes too', async () => {
    const hook = await receiver([200]);
    sandbox.setWebhookUrl(hook.url);
    const paid = await approvedPayment();
    await toss.cancel(
      paid.paymentKey,
      { cancelReason: 'partial', cancelAmount: 1000 },
      { idempotencyKey: randomUUID() },
    );
    const abandoned = await toss.createPayment(
      {
        amount: 5000,
        orderId: `order-${randomUUID()}`,
        orderName: 'abandoned',
        successUrl: 'http://localhost:3000/ok',
        failUrl: 'http://localhost:3000/fail',
      },
      { idempotencyKey: randomUUID() },
    );
    sandbox.authorize(abandoned.paymentKey);
    sandbox.advanceClock(11 * 60_000);
    await vi.waitFor(() => {
      const seen = hook.received.map((h) => `${h.data.paymentKey}:${h.data.status}`);
      expect(seen).toEqual(
        expect.arrayContaining([
          `${paid.paymentKey}:DONE`,
          `${paid.paymentKey}:PARTIAL_CANCELED`,
          `${abandoned.paymentKey}:EXPIRED`,
        ]),
      );
    });
    await hook.close();
  });
});
