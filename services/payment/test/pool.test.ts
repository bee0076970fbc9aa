import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPaymentHarness, type PaymentHarness } from './harness.ts';

/**
 * Work on one payment holds one pooled connection (its advisory lock lives there). A query that asked the
 * pool for a second connection meanwhile would wait on the others doing the same: with as many payments
 * at once as the pool has connections, every one of them would wait until the pool gave up.
 */
describe('a payment worked on under its lock needs one connection only', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  const POOL = 2;
  const AT_ONCE = 6;
  beforeAll(async () => {
    h = await openPaymentHarness('pay-pool');
    ({ eventId, seatIds } = await h.publishEvent(AT_ONCE * 2));
  });
  afterAll(() => h.cleanup());

  it('confirms more payments at once than its pool has connections', async () => {
    const small = await h.instance({ poolSize: POOL });
    const buyers = await Promise.all(Array.from({ length: AT_ONCE }, () => h.user()));
    const ready = [];
    for (const [i, buyer] of buyers.entries()) {
      ready.push({ buyer, ...(await h.checkout(buyer.token, eventId, [seatIds[i] as string])) });
    }
    const answers = await Promise.all(ready.map((r) => h.confirm(r.buyer.token, r.confirmBody, small.app)));
    expect(answers.map((a) => a.statusCode)).toEqual(ready.map(() => 200));
    for (const r of ready) expect((await h.getPayment(r.buyer.token, r.paymentId)).status).toBe('COMPLETED');
  });

  it('takes back more tickets at once than its pool has connections', async () => {
    const small = await h.instance({ poolSize: POOL });
    const buyers = await Promise.all(Array.from({ length: AT_ONCE }, () => h.user()));
    const orders = [];
    for (const [i, buyer] of buyers.entries()) {
      orders.push({ buyer, ...(await h.paid(buyer.token, eventId, [seatIds[AT_ONCE + i] as string])) });
    }
    const answers = await Promise.all(
      orders.map((o) =>
        small.app.inject({
          method: 'POST',
          url: `/api/payments/${o.paymentId}/cancel`,
          headers: h.bearer(o.buyer.token),
          payload: { reason: 'cannot come' },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(orders.map(() => 200));
    for (const o of orders) expect((await h.getPayment(o.buyer.token, o.paymentId)).status).toBe('REFUNDED');
  });
});
