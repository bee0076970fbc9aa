import { randomUUID } from 'node:crypto';
import { createTossClient, isSessionExpired, TossError } from '@tiketi/toss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTossSandbox, type TossSandbox } from '../src/index.ts';

/** The sandbox-only HTTP controls, for tests that run the sandbox in another process. */
describe('Toss sandbox controls over HTTP', () => {
  let sandbox: TossSandbox;
  let toss: ReturnType<typeof createTossClient>;
  beforeAll(async () => {
    sandbox = await startTossSandbox({ port: 0 });
    toss = createTossClient({ secretKey: 'test_sk_controls', baseUrl: sandbox.url, retries: 0 });
  });
  afterAll(() => sandbox.close());

  const post = (path: string, body: unknown) =>
    fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const open = () =>
    toss.createPayment(
      {
        amount: 7000,
        orderId: `order-${randomUUID()}`,
        orderName: 'controls',
        successUrl: 'http://localhost:3000/ok',
        failUrl: 'http://localhost:3000/fail',
      },
      { idempotencyKey: randomUUID() },
    );

  it('authorizes a payment like the checkout button, then injects a fault into the next confirm', async () => {
    const payment = await open();
    const authorized = await post(`/sandbox/payments/${payment.paymentKey}/authorize`, {});
    expect(await authorized.json()).toMatchObject({
      paymentKey: payment.paymentKey,
      orderId: payment.orderId,
      amount: 7000,
      redirectUrl: expect.stringContaining(`paymentKey=${payment.paymentKey}`),
    });
    const injected = await post('/sandbox/faults', {
      operation: 'confirm',
      mode: 'error',
      status: 400,
      code: 'PROVIDER_ERROR',
    });
    expect(injected.status).toBe(204);
    const confirm = { paymentKey: payment.paymentKey, orderId: payment.orderId, amount: 7000 };
    await expect(toss.confirm(confirm, { idempotencyKey: randomUUID() })).rejects.toBeInstanceOf(TossError);
    expect((await toss.confirm(confirm, { idempotencyKey: randomUUID() })).status).toBe('DONE');
  });

  it('moves the clock past the confirm window', async () => {
    const payment = await open();
    await post(`/sandbox/payments/${payment.paymentKey}/authorize`, {});
    const moved = await post('/sandbox/clock', { advanceMs: 601_000 });
    expect(moved.status).toBe(200);
    const error = await toss
      .confirm(
        { paymentKey: payment.paymentKey, orderId: payment.orderId, amount: 7000 },
        { idempotencyKey: randomUUID() },
      )
      .catch((e: unknown) => e);
    expect(isSessionExpired(error)).toBe(true);
  });

  it('answers a malformed control request with 400 in Toss error shape', async () => {
    const res = await post('/sandbox/faults', { operation: 'explode' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
