import { randomUUID } from 'node:crypto';
import {
  createTossClient,
  isAlreadyCanceled,
  isAlreadyProcessed,
  isNotCancelable,
  isNotFound,
  isRejected,
  isRetryable,
  isSessionExpired,
  isUnauthorized,
  TossError,
  TossUnavailableError,
} from '@tiketi/toss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTossSandbox, type TossSandbox } from '../src/index.ts';

const SECRET = 'test_sk_toss_client_suite';

describe('Toss client against the Toss sandbox', () => {
  let sandbox: TossSandbox;
  let toss: ReturnType<typeof createTossClient>;
  beforeAll(async () => {
    sandbox = await startTossSandbox({ port: 0 });
    toss = createTossClient({ secretKey: SECRET, baseUrl: sandbox.url, timeoutMs: 2000, retries: 1 });
  });
  afterAll(() => sandbox.close());

  const orderId = () => `order-${randomUUID()}`;
  async function open(amount = 50_000) {
    return toss.createPayment(
      {
        amount,
        orderId: orderId(),
        orderName: 'IU — The Golden Hour, 2 seats',
        successUrl: 'http://localhost:3000/payment/success',
        failUrl: 'http://localhost:3000/payment/fail',
        customerEmail: 'fan@example.com',
      },
      { idempotencyKey: randomUUID() },
    );
  }
  async function authorized(amount = 50_000) {
    const payment = await open(amount);
    sandbox.authorize(payment.paymentKey);
    return payment;
  }
  const confirmOf = (p: { paymentKey: string; orderId: string; totalAmount: number }) => ({
    paymentKey: p.paymentKey,
    orderId: p.orderId,
    amount: p.totalAmount,
  });
  const rejection = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected the call to fail');
  };

  it('runs a payment from checkout through confirm, lookups, a partial and a full cancel', async () => {
    const created = await open(50_000);
    expect(created.status).toBe('READY');
    expect(created.checkout?.url).toBe(`http://localhost:${sandbox.port}/checkout/${created.paymentKey}`);

    const page = await fetch(`${sandbox.url}/checkout/${created.paymentKey}`);
    expect(await page.text()).toContain('50,000원');
    const paid = await fetch(`${sandbox.url}/checkout/${created.paymentKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=pay',
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    const success = new URL(paid.headers.get('location') ?? '');
    expect(success.pathname).toBe('/payment/success');
    expect(Object.fromEntries(success.searchParams)).toEqual({
      paymentKey: created.paymentKey,
      orderId: created.orderId,
      amount: '50000',
    });

    const approved = await toss.confirm(confirmOf(created), { idempotencyKey: `confirm-${created.orderId}` });
    expect(approved).toMatchObject({
      status: 'DONE',
      totalAmount: 50_000,
      balanceAmount: 50_000,
      method: '카드',
    });
    expect(approved.approvedAt).toBeTruthy();

    expect(await toss.getPayment(created.paymentKey)).toMatchObject({ status: 'DONE' });
    expect(await toss.getPaymentByOrderId(created.orderId)).toMatchObject({ paymentKey: created.paymentKey });

    const partial = await toss.cancel(
      created.paymentKey,
      { cancelReason: 'one seat returned', cancelAmount: 20_000, refundableAmount: 50_000 },
      { idempotencyKey: randomUUID() },
    );
    expect(partial).toMatchObject({ status: 'PARTIAL_CANCELED', balanceAmount: 30_000 });
    expect(partial.cancels).toHaveLength(1);

    const full = await toss.cancel(
      created.paymentKey,
      { cancelReason: 'event cancelled' },
      { idempotencyKey: randomUUID() },
    );
    expect(full).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    expect(full.cancels?.map((c) => c.cancelAmount)).toEqual([20_000, 30_000]);

    const again = await rejection(
      toss.cancel(created.paymentKey, { cancelReason: 'again' }, { idempotencyKey: randomUUID() }),
    );
    expect(isAlreadyCanceled(again)).toBe(true);
  });

  it('answers a repeated confirm with the same Idempotency-Key with the first answer and charges once', async () => {
    const payment = await authorized();
    const key = `confirm-${payment.orderId}`;
    const first = await toss.confirm(confirmOf(payment), { idempotencyKey: key });
    const second = await toss.confirm(confirmOf(payment), { idempotencyKey: key });
    expect(second).toEqual(first);
    const otherKey = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: randomUUID() }));
    expect(isAlreadyProcessed(otherKey)).toBe(true);
    expect((otherKey as TossError).status).toBe(400);
  });

  it('refuses a concurrent repeat of an Idempotency-Key still being processed', async () => {
    const payment = await authorized();
    sandbox.injectFault({ operation: 'confirm', mode: 'delay', delayMs: 300 });
    const key = randomUUID();
    const results = await Promise.allSettled([
      toss.confirm(confirmOf(payment), { idempotencyKey: key }),
      new Promise((r) => setTimeout(r, 50)).then(() =>
        toss.confirm(confirmOf(payment), { idempotencyKey: key }),
      ),
    ]);
    expect(results[0].status).toBe('fulfilled');
    const refused = results[1].status === 'rejected' ? results[1].reason : undefined;
    expect(refused).toBeInstanceOf(TossError);
    expect((refused as TossError).code).toBe('IDEMPOTENT_REQUEST_PROCESSING');
    expect(isRetryable(refused)).toBe(true);
    const replay = await toss.confirm(confirmOf(payment), { idempotencyKey: key });
    expect(replay.status).toBe('DONE');
  });

  it('maps Toss error codes to typed errors', async () => {
    const wrongKey = createTossClient({ secretKey: 'live_sk_nope', baseUrl: sandbox.url, retries: 0 });
    const unauthorized = await rejection(wrongKey.getPayment('anything'));
    expect(unauthorized).toMatchObject({ status: 401, code: 'UNAUTHORIZED_KEY' });
    expect(isUnauthorized(unauthorized)).toBe(true);

    expect(isNotFound(await rejection(toss.getPayment('tsb_missing')))).toBe(true);
    expect(isNotFound(await rejection(toss.getPaymentByOrderId('order-missing')))).toBe(true);

    const tooMuch = await rejection(open(20_000_000));
    expect(tooMuch).toMatchObject({ code: 'EXCEED_MAX_AMOUNT' });
    expect(isRejected(tooMuch)).toBe(true);

    const payment = await authorized(30_000);
    const tampered = await rejection(
      toss.confirm({ ...confirmOf(payment), amount: 100 }, { idempotencyKey: randomUUID() }),
    );
    expect(tampered).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('IN_PROGRESS');

    // A paymentKey confirmed under another order's id is not that order's payment, as at Toss.
    const other = await authorized(30_000);
    const borrowed = await rejection(
      toss.confirm({ ...confirmOf(other), paymentKey: payment.paymentKey }, { idempotencyKey: randomUUID() }),
    );
    expect(borrowed).toMatchObject({ status: 404, code: 'NOT_FOUND_PAYMENT' });
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('IN_PROGRESS');
    expect((await toss.getPayment(other.paymentKey)).status).toBe('IN_PROGRESS');

    const unpaid = await open();
    const notCancelable = await rejection(
      toss.cancel(unpaid.paymentKey, { cancelReason: 'x' }, { idempotencyKey: randomUUID() }),
    );
    expect(notCancelable).toMatchObject({ status: 403, code: 'NOT_CANCELABLE_PAYMENT' });
    expect(isNotCancelable(notCancelable)).toBe(true);

    await toss.confirm(confirmOf(payment), { idempotencyKey: randomUUID() });
    const overRefund = await rejection(
      toss.cancel(
        payment.paymentKey,
        { cancelReason: 'x', cancelAmount: 30_001 },
        { idempotencyKey: randomUUID() },
      ),
    );
    expect(overRefund).toMatchObject({ code: 'NOT_CANCELABLE_AMOUNT' });
  });

  it('declines at confirm a card the customer chose to have declined', async () => {
    const payment = await open();
    sandbox.authorize(payment.paymentKey, 'reject');
    const declined = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: randomUUID() }));
    expect(declined).toMatchObject({ status: 403, code: 'REJECT_CARD_PAYMENT' });
    expect(isRejected(declined)).toBe(true);
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('ABORTED');
  });

  it('sends a customer who gives up to the failUrl, and the payment cannot be confirmed', async () => {
    const payment = await open();
    const res = await fetch(`${sandbox.url}/checkout/${payment.paymentKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=cancel',
      redirect: 'manual',
    });
    const fail = new URL(res.headers.get('location') ?? '');
    expect(fail.pathname).toBe('/payment/fail');
    expect(fail.searchParams.get('code')).toBe('PAY_PROCESS_CANCELED');
    expect(fail.searchParams.get('orderId')).toBe(payment.orderId);
    const late = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: randomUUID() }));
    expect(isSessionExpired(late)).toBe(true);
  });

  it('refuses a confirm more than 10 minutes after authentication and expires the payment', async () => {
    const payment = await authorized();
    sandbox.advanceClock(10 * 60_000 + 1000);
    const late = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: randomUUID() }));
    expect(late).toMatchObject({ status: 404, code: 'NOT_FOUND_PAYMENT_SESSION' });
    expect(isSessionExpired(late)).toBe(true);
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('EXPIRED');
  });

  it('recovers the answer of a confirm whose connection was cut, by retrying with the same key', async () => {
    const payment = await authorized();
    sandbox.injectFault({ operation: 'confirm', mode: 'drop' });
    const approved = await toss.confirm(confirmOf(payment), { idempotencyKey: `confirm-${payment.orderId}` });
    expect(approved.status).toBe('DONE');
  });

  it('reports an approval whose answer failed as retryable, and the payment is approved at Toss', async () => {
    const payment = await authorized();
    sandbox.injectFault({ operation: 'confirm', mode: 'after-commit' });
    const key = `confirm-${payment.orderId}`;
    const failed = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: key }));
    expect(failed).toMatchObject({ status: 500, code: 'FAILED_INTERNAL_SYSTEM_PROCESSING' });
    expect(isRetryable(failed)).toBe(true);
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('DONE');
    expect(
      isAlreadyProcessed(await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: key }))),
    ).toBe(true);
  });

  it('leaves the payment untouched when Toss refuses with a provider error', async () => {
    const payment = await authorized();
    sandbox.injectFault({ operation: 'confirm', mode: 'error' });
    const key = randomUUID();
    const failed = await rejection(toss.confirm(confirmOf(payment), { idempotencyKey: key }));
    expect(failed).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(isRetryable(failed)).toBe(true);
    expect((await toss.getPayment(payment.paymentKey)).status).toBe('IN_PROGRESS');
    expect((await toss.confirm(confirmOf(payment), { idempotencyKey: key })).status).toBe('DONE');
  });

  it('gives up with TossUnavailableError when Toss does not answer in time', async () => {
    const impatient = createTossClient({
      secretKey: SECRET,
      baseUrl: sandbox.url,
      timeoutMs: 100,
      retries: 0,
    });
    sandbox.injectFault({ operation: 'get', mode: 'delay', delayMs: 400 });
    const payment = await open();
    const error = await rejection(impatient.getPayment(payment.paymentKey));
    expect(error).toBeInstanceOf(TossUnavailableError);
    expect(isRetryable(error)).toBe(true);
  });
});
