import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('reconciliation with Toss', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  beforeAll(async () => {
    h = await openPaymentHarness('pay-reconcile');
    ({ eventId, seatIds } = await h.publishEvent(10));
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());

  it('finishes a payment Toss approved while the instance that asked never recorded it', async () => {
    const alice = await h.user();
    const ready = await h.checkout(alice.token, eventId, [seat(0)]);
    // Toss approves, then the answer never reaches the instance (connection cut), which then dies.
    const doomed = await h.instance({ tossRetries: 0 });
    h.sandbox.injectFault({ operation: 'confirm', mode: 'drop' });
    const lost = await h.confirm(alice.token, ready.confirmBody, doomed.app);
    expect(lost.statusCode).toBe(503);
    expect(lost.json()).toMatchObject({ code: 'PAYMENT_PENDING' });
    await doomed.close();
    expect((await h.getPayment(alice.token, ready.paymentId)).status).toBe('IN_PROGRESS');
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'DONE' }]);

    // Another instance's reconciliation pass settles it: tickets issued, one charge, one event.
    const survivor = await h.instance();
    expect(await survivor.reconcile()).toBe(1);
    expect(await h.getPayment(alice.token, ready.paymentId)).toMatchObject({
      status: 'COMPLETED',
      refundedAmount: 0,
    });
    expect((await h.reservationRow(ready.reservationId)).status).toBe('CONFIRMED');
    expect(await h.ticketsOf(ready.reservationId)).toHaveLength(1);
    expect((await h.outbox(ready.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([
      { status: 'DONE', balanceAmount: 55_000, cancels: null },
    ]);

    // The customer's retry now gets the outcome, not a second charge; another pass finds nothing to do.
    const retry = await h.confirm(alice.token, ready.confirmBody);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ status: 'COMPLETED' });
    expect(await survivor.reconcile()).toBe(0);
    expect((await h.outbox(ready.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);
  });

  it('approves a payment whose confirm never reached Toss, once, even with two instances reconciling', async () => {
    const bob = await h.user();
    const ready = await h.checkout(bob.token, eventId, [seat(1)]);
    // Toss fails before doing anything: the payment is IN_PROGRESS, Toss still waits for approval.
    h.sandbox.injectFault({
      operation: 'confirm',
      mode: 'error',
      status: 500,
      code: 'PROVIDER_ERROR',
    });
    const failed = await h.confirm(bob.token, ready.confirmBody);
    expect(failed.statusCode).toBe(503);
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'IN_PROGRESS' }]);

    const [one, two] = [await h.instance(), await h.instance()];
    const settled = await Promise.all([one.reconcile(), two.reconcile(), h.payment.reconcile()]);
    expect(settled.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await h.getPayment(bob.token, ready.paymentId)).status).toBe('COMPLETED');
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'DONE', balanceAmount: 55_000 }]);
    expect((await h.outbox(ready.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);
    expect((await h.reservationRow(ready.reservationId)).status).toBe('CONFIRMED');
  });

  it('refunds at reconciliation a lost approval whose hold has meanwhile been released', async () => {
    const carol = await h.user();
    const ready = await h.checkout(carol.token, eventId, [seat(2)]);
    h.sandbox.injectFault({ operation: 'confirm', mode: 'after-commit' });
    expect((await h.confirm(carol.token, ready.confirmBody)).statusCode).toBe(503);
    await h.reservation.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${ready.reservationId}`,
      headers: h.bearer(carol.token),
    });
    expect(await h.payment.reconcile()).toBe(1);
    expect(await h.getPayment(carol.token, ready.paymentId)).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: 55_000,
    });
    expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
    const events = await h.outbox(ready.paymentId);
    expect(events.map((e) => e.type)).toEqual(['payment.refunded']);
    expect(events[0]?.data).toMatchObject({ lateApproval: true });
    expect(await h.seatStatus(eventId, seat(2))).toBe('available');
  });

  it('expires a checkout that was never paid once its hold is over, and says so', async () => {
    const dave = await h.user();
    const held = await h.hold(dave.token, eventId, [seat(3)]);
    const opened = (await h.request(dave.token, held.reservationId, held.amount)).json() as {
      paymentId: string;
    };
    expect(await h.payment.reconcile()).toBe(0);
    await h.db
      .updateTable('payments')
      .set({ holdExpiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', opened.paymentId)
      .execute();
    expect(await h.payment.reconcile()).toBe(1);
    expect(await h.getPayment(dave.token, opened.paymentId)).toMatchObject({
      status: 'EXPIRED',
      failure: { code: 'CHECKOUT_EXPIRED' },
    });
    expect((await h.outbox(opened.paymentId)).map((e) => e.type)).toEqual(['payment.failed']);
  });
});
