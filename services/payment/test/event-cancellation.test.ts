import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('refunds when an event is cancelled', () => {
  let h: PaymentHarness;
  let admin: { id: string; token: string };
  beforeAll(async () => {
    // Pages of two, so one cancellation is refunded over several pages.
    h = await openPaymentHarness('pay-event-cancel', { CANCELLED_EVENT_REFUND_BATCH_SIZE: 2 });
    admin = await h.user('admin');
  });
  afterAll(() => h.cleanup());

  const status = async (paymentId: string) => (await h.getPayment(admin.token, paymentId)).status;
  const refundEvents = async (paymentId: string) =>
    (await h.outbox(paymentId)).filter((e) => e.type === 'payment.refunded');

  it('refunds every paid payment of the cancelled event once at Toss, and nothing more when the cancellation comes again', async () => {
    const doomed = await h.publishEvent(8);
    const other = await h.publishEvent(4);
    const seat = (i: number) => doomed.seatIds[i] as string;
    const [alice, bob, carol, dave] = await Promise.all([h.user(), h.user(), h.user(), h.user()]);
    const aliceOrder = await h.paid(alice.token, doomed.eventId, [seat(0), seat(1)]);
    const bobOrder = await h.paid(bob.token, doomed.eventId, [seat(2)]);
    const carolOrder = await h.paid(carol.token, doomed.eventId, [seat(3), seat(4)]);
    const daveOrder = await h.paid(dave.token, doomed.eventId, [seat(5)]);
    const orders = [aliceOrder, bobOrder, carolOrder, daveOrder];
    // Carol already gave one seat back: only what is left on her payment goes back now.
    const partial = await h.payment.app.inject({
      method: 'POST',
      url: `/api/payments/${carolOrder.paymentId}/cancel`,
      headers: h.bearer(carol.token),
      payload: { reason: 'a friend cannot come', seatIds: [seat(3)] },
    });
    expect(partial.json()).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 55_000 });
    const elsewhere = await h.paid(alice.token, other.eventId, [other.seatIds[0] as string]);
    // A hold not paid for yet: the reservation service ends it; there is no money to give back.
    const unpaid = await h.hold(bob.token, doomed.eventId, [seat(6)]);

    const cancellation = await h.cancelEvent(doomed.eventId, 'The artist is ill');
    await eventually(async () => {
      const now = await Promise.all(orders.map((o) => status(o.paymentId)));
      expect(now).toEqual(['REFUNDED', 'REFUNDED', 'REFUNDED', 'REFUNDED']);
    });

    // Toss gave each payment's money back once (Carol: her own partial cancel, then the rest).
    for (const order of orders) {
      const atToss = h.atToss(order.confirmBody.orderId);
      expect(atToss).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
      expect(atToss[0]?.cancels).toHaveLength(order === carolOrder ? 2 : 1);
    }
    expect((await refundEvents(aliceOrder.paymentId)).map((e) => e.data)).toEqual([
      expect.objectContaining({
        amount: 110_000,
        totalRefunded: 110_000,
        full: true,
        seatIds: [seat(0), seat(1)],
        seatLabels: ['B-1', 'B-2'],
        standingAreas: [],
        reason: 'The event was cancelled: The artist is ill',
        lateApproval: false,
        cause: 'event_cancelled',
      }),
    ]);
    // Carol's own refund is hers, not the cancellation's.
    expect((await refundEvents(carolOrder.paymentId))[0]?.data).not.toHaveProperty('cause');
    expect((await refundEvents(carolOrder.paymentId)).map((e) => e.data)).toEqual([
      expect.objectContaining({ amount: 55_000, full: false }),
      expect.objectContaining({
        amount: 55_000,
        totalRefunded: 110_000,
        full: true,
        seatIds: [seat(4)],
        cause: 'event_cancelled',
      }),
    ]);

    // The reservation service voids the tickets of every refunded order.
    for (const order of orders) {
      const [last] = (await refundEvents(order.paymentId)).slice(-1);
      await h.handledByReservation(last?.id ?? '');
      expect((await h.reservationRow(order.reservationId)).status).toBe('REFUNDED');
      expect(new Set((await h.ticketsOf(order.reservationId)).map((t) => t.status))).toEqual(
        new Set(['VOIDED']),
      );
    }
    await eventually(async () =>
      expect((await h.reservationRow(unpaid.reservationId)).status).toBe('CANCELLED'),
    );

    // Another event's payment, its tickets and its money at Toss are as they were.
    expect(await h.getPayment(admin.token, elsewhere.paymentId)).toMatchObject({
      status: 'COMPLETED',
      refundedAmount: 0,
      refunds: [],
    });
    expect(h.atToss(elsewhere.confirmBody.orderId)).toMatchObject([
      { status: 'DONE', balanceAmount: 55_000, cancels: null },
    ]);
    expect((await h.ticketsOf(elsewhere.reservationId)).map((t) => t.status)).toEqual(['ISSUED']);
    expect((await h.outbox(elsewhere.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);

    // The same message delivered again, then the cancellation announced a second time: nothing moves.
    const tossBefore = JSON.stringify(h.sandbox.payments());
    await h.redeliver(cancellation);
    const again = await h.cancelEvent(doomed.eventId, 'Announced twice');
    await h.handledByPayment(again.id);
    expect(await h.payment.refundCancelledEvents()).toBe(0);
    expect(JSON.stringify(h.sandbox.payments())).toBe(tossBefore);
    for (const order of orders) {
      expect(await refundEvents(order.paymentId)).toHaveLength(order === carolOrder ? 2 : 1);
    }
  });

  it('finishes a refund whose Toss answer was lost mid-way, without refunding it twice', async () => {
    const doomed = await h.publishEvent(3);
    const [erin, frank] = await Promise.all([h.user(), h.user()]);
    const first = await h.paid(erin.token, doomed.eventId, [doomed.seatIds[0] as string]);
    const second = await h.paid(frank.token, doomed.eventId, [doomed.seatIds[1] as string]);
    // Toss refunds the first payment but its answer is lost: the process might as well have died between
    // Toss's refund and our record of it.
    h.sandbox.injectFault({ operation: 'cancel', mode: 'after-commit' });

    await h.cancelEvent(doomed.eventId);
    await eventually(async () => expect(await status(second.paymentId)).toBe('REFUNDED'));
    const stuck = await h.getPayment(admin.token, first.paymentId);
    expect(stuck).toMatchObject({ status: 'COMPLETED', refunds: [{ status: 'REQUESTED' }] });
    expect(h.atToss(first.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);

    // The next pass finishes that same refund: recorded once, refunded once at Toss.
    expect(await h.payment.refundCancelledEvents()).toBe(1);
    const settled = await h.getPayment(admin.token, first.paymentId);
    expect(settled).toMatchObject({ status: 'REFUNDED', refundedAmount: 55_000 });
    expect(settled.refunds).toMatchObject([{ id: stuck.refunds[0]?.id, status: 'DONE', full: true }]);
    expect(h.atToss(first.confirmBody.orderId)[0]?.cancels).toHaveLength(1);
    expect(await refundEvents(first.paymentId)).toHaveLength(1);
    expect(await h.payment.refundCancelledEvents()).toBe(0);
  });

  it('refunds the payments of an event whose publication it never recorded', async () => {
    const unseen = await h.publishEvent(2);
    const gina = await h.user();
    const order = await h.paid(gina.token, unseen.eventId, [unseen.seatIds[0] as string]);
    // As if event.published had never reached this service (it started later, or its queue was new).
    await h.db.deleteFrom('eventSchedule').where('eventId', '=', unseen.eventId).execute();

    await h.cancelEvent(unseen.eventId, 'Tour called off');
    await eventually(async () => expect(await status(order.paymentId)).toBe('REFUNDED'));
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
    expect((await refundEvents(order.paymentId)).map((e) => e.data.reason)).toEqual([
      'The event was cancelled: Tour called off',
    ]);
  });
});
