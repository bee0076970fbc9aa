import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('text with a NUL or a lone surrogate', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  beforeAll(async () => {
    h = await openPaymentHarness('pay-text');
    ({ eventId, seatIds } = await h.publishEvent(10));
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());

  const post = (token: string, url: string, payload: object) =>
    h.payment.app.inject({ method: 'POST', url, headers: h.bearer(token), payload });
  const expectInvalidText = (
    res: { statusCode: number; body: string; json: () => unknown },
    field: string,
  ) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_TEXT', errors: [{ field }] });
  };

  it('refuses a cancel reason with a lone surrogate before anything is refunded', async () => {
    const alice = await h.user();
    const order = await h.paid(alice.token, eventId, [seat(0), seat(1)]);
    const res = await post(alice.token, `/api/payments/${order.paymentId}/cancel`, {
      reason: 'plans changed \ud800',
    });
    expectInvalidText(res, 'body.reason');
    const amount = order.confirmBody.amount;
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ status: 'DONE', balanceAmount: amount }]);
    expect((await h.getPayment(alice.token, order.paymentId)).refundedAmount).toBe(0);
    expect((await h.outbox(order.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);

    const admin = await h.user('admin');
    const refund = await post(admin.token, `/api/payments/${order.paymentId}/refund`, {
      reason: 'goodwill\u0000',
    });
    expectInvalidText(refund, 'body.reason');
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ status: 'DONE', balanceAmount: amount }]);
  });

  it('refuses a NUL in the checkout name and in the paymentKey, and opens or approves nothing', async () => {
    const bob = await h.user();
    const held = await h.hold(bob.token, eventId, [seat(2)]);
    const opened = await post(bob.token, '/api/payments/toss/request', {
      reservationId: held.reservationId,
      amount: held.amount,
      customerInfo: { name: 'Bob\u0000', email: 'bob@example.com' },
    });
    expectInvalidText(opened, 'body.customerInfo.name');
    const none = await h.db
      .selectFrom('payments')
      .select('id')
      .where('reservationId', '=', held.reservationId)
      .execute();
    expect(none).toEqual([]);

    const ready = await h.checkout((await h.user()).token, eventId, [seat(3)]);
    const confirmed = await h.confirm(bob.token, {
      ...ready.confirmBody,
      paymentKey: `${ready.confirmBody.paymentKey}\u0000`,
    });
    expectInvalidText(confirmed, 'body.paymentKey');
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'IN_PROGRESS' }]);
  });
});
