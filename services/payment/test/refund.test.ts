import { makeEnvelope } from '@tiketi/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('cancellations and refunds', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  let soon: { eventId: string; seatIds: string[] };
  beforeAll(async () => {
    h = await openPaymentHarness('pay-refund');
    ({ eventId, seatIds } = await h.publishEvent(20));
    soon = await h.publishEvent(4, 3_600_000);
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());

  const paid = (
    token: string,
    seats: string[],
    event = eventId,
    standing: { section: string; quantity: number }[] = [],
  ) => h.paid(token, event, seats, standing);
  const cancel = (token: string, id: string, body: object) =>
    h.payment.app.inject({
      method: 'POST',
      url: `/api/payments/${id}/cancel`,
      headers: h.bearer(token),
      payload: body,
    });
  const refund = (token: string, id: string, body: object) =>
    h.payment.app.inject({
      method: 'POST',
      url: `/api/payments/${id}/refund`,
      headers: h.bearer(token),
      payload: body,
    });
  const ticketStates = async (reservationId: string) =>
    Object.fromEntries((await h.ticketsOf(reservationId)).map((t) => [t.seatId, t.status]));

  it('refunds some seats at their prices: amounts, tickets and seats follow', async () => {
    const alice = await h.user();
    const order = await paid(alice.token, [seat(0), seat(1), seat(2)]);
    const res = await cancel(alice.token, order.paymentId, {
      reason: 'a friend cannot come',
      seatIds: [seat(1)],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      amount: 165_000,
      refundedAmount: 55_000,
    });
    expect(
      res
        .json()
        .seats.filter((s: { refunded: boolean }) => s.refunded)
        .map((s: { id: string }) => s.id),
    ).toEqual([seat(1)]);
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([
      { status: 'PARTIAL_CANCELED', balanceAmount: 110_000 },
    ]);
    const events = await h.outbox(order.paymentId);
    expect(events.map((e) => e.type)).toEqual(['payment.completed', 'payment.refunded']);
    expect(events[1]?.data).toMatchObject({
      amount: 55_000,
      totalRefunded: 55_000,
      seatIds: [seat(1)],
      seatLabels: ['B-2'],
      // No standing areas at this event: every label is a seat.
      standingAreas: [],
      full: false,
    });

    await h.handledByReservation(events[1]?.id ?? '');
    expect(await ticketStates(order.reservationId)).toEqual({
      [seat(0)]: 'ISSUED',
      [seat(1)]: 'VOIDED',
      [seat(2)]: 'ISSUED',
    });
    expect(await h.seatStatus(eventId, seat(1))).toBe('available');
    expect((await h.reservationRow(order.reservationId)).status).toBe('CONFIRMED');

    // The same seat cannot be refunded twice; the rest can, which ends the payment.
    const twice = await cancel(alice.token, order.paymentId, { reason: 'again', seatIds: [seat(1)] });
    expect(twice.statusCode).toBe(422);
    expect(twice.json()).toMatchObject({ code: 'SEATS_NOT_REFUNDABLE', seatIds: [seat(1)] });
    const rest = await cancel(alice.token, order.paymentId, { reason: 'plans changed' });
    expect(rest.json()).toMatchObject({ status: 'REFUNDED', refundedAmount: 165_000 });
    const last = (await h.outbox(order.paymentId))[2];
    expect(last?.data).toMatchObject({ amount: 110_000, totalRefunded: 165_000, full: true });
    await h.handledByReservation(last?.id ?? '');
    expect((await h.reservationRow(order.reservationId)).status).toBe('REFUNDED');
    expect(Object.values(await ticketStates(order.reservationId))).toEqual(['VOIDED', 'VOIDED', 'VOIDED']);
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
    const metrics = await h.payment.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/tiketi_payments_total\{[^}]*outcome="refunded"[^}]*\} 2/);
  });

  it('names the refunded seats and places, and the event’s standing areas, so the mail can say “Floor standing × 1”', async () => {
    const mixed = await h.publishEvent(2, undefined, undefined, 3);
    const fan = await h.user();
    const order = await paid(fan.token, [mixed.seatIds[0] as string], mixed.eventId, [
      { section: 'Floor', quantity: 2 },
    ]);
    const seats = (await h.getPayment(fan.token, order.paymentId)).seats;
    const place = seats.find((s) => s.label.startsWith('Floor-P'));
    expect(place).toBeDefined();
    const some = await cancel(fan.token, order.paymentId, {
      reason: 'two of us cannot come',
      seatIds: [place?.id, mixed.seatIds[0]],
    });
    expect(some.statusCode, some.body).toBe(200);
    const rest = await cancel(fan.token, order.paymentId, { reason: 'plans changed' });
    expect(rest.statusCode, rest.body).toBe(200);
    const other = seats.find((s) => s.label.startsWith('Floor-P') && s.id !== place?.id);
    const events = (await h.outbox(order.paymentId)).filter((e) => e.type === 'payment.refunded');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({
        full: false,
        // The labels are in the order of seatIds.
        seatIds: [mixed.seatIds[0], place?.id],
        seatLabels: ['B-1', place?.label],
        standingAreas: ['Floor'],
      }),
      expect.objectContaining({
        full: true,
        seatIds: [other?.id],
        seatLabels: [other?.label],
        standingAreas: ['Floor'],
      }),
    ]);
  });

  it('names no places of an event whose standing areas it does not know, so the mail counts seats', async () => {
    // An event the service knew before it kept standing areas: printing "Floor-P1" would show a fan a
    // label of ours, so the refund carries neither labels nor areas.
    const older = await h.publishEvent(2, undefined, undefined, 3);
    await h.db
      .updateTable('eventSchedule')
      .set({ standingAreas: null })
      .where('eventId', '=', older.eventId)
      .execute();
    const fan = await h.user();
    const order = await paid(fan.token, [], older.eventId, [{ section: 'Floor', quantity: 1 }]);
    expect((await cancel(fan.token, order.paymentId, { reason: 'cannot come' })).statusCode).toBe(200);
    const [refunded] = (await h.outbox(order.paymentId)).filter((e) => e.type === 'payment.refunded');
    expect(refunded?.data).toMatchObject({ full: true });
    expect(refunded?.data).not.toHaveProperty('seatLabels');
    expect(refunded?.data).not.toHaveProperty('standingAreas');
  });

  it('lets only the buyer cancel, and only until the deadline before the event', async () => {
    const bob = await h.user();
    const eve = await h.user();
    const order = await paid(bob.token, [seat(3)]);
    expect((await cancel(eve.token, order.paymentId, { reason: 'mine now' })).statusCode).toBe(404);
    expect((await refund(bob.token, order.paymentId, { reason: 'as admin' })).statusCode).toBe(403);

    const late = await paid(bob.token, [soon.seatIds[0] as string], soon.eventId);
    const refused = await cancel(bob.token, late.paymentId, { reason: 'too late' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'CANCEL_DEADLINE_PASSED' });
    expect((await h.getPayment(bob.token, late.paymentId)).status).toBe('COMPLETED');
    expect(h.atToss(late.confirmBody.orderId)).toMatchObject([{ status: 'DONE' }]);
  });

  it('moves the cancellation deadline with a rescheduled concert', async () => {
    const moved = await h.publishEvent(2);
    const dan = await h.user();
    const order = await paid(dan.token, [moved.seatIds[0] as string], moved.eventId);
    // Brought forward to an hour from now: past the deadline for a customer's cancellation.
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    await h.redeliver(
      makeEnvelope('event.updated', {
        eventId: moved.eventId,
        status: 'on_sale',
        title: 'Payment test concert, moved',
        startsAt,
        saleOpensAt: new Date(Date.now() - 3_600_000).toISOString(),
        saleClosesAt: startsAt,
        perUserLimit: 6,
        waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
        waitlistOfferMinutes: 30,
      }),
    );
    await eventually(async () => {
      const row = await h.db
        .selectFrom('eventSchedule')
        .select(['startsAt', 'title'])
        .where('eventId', '=', moved.eventId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ startsAt: new Date(startsAt), title: 'Payment test concert, moved' });
    });
    const refused = await cancel(dan.token, order.paymentId, { reason: 'moved' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'CANCEL_DEADLINE_PASSED' });

    // An older update delivered again afterwards (a relay replay) does not bring the old time back.
    const stale = makeEnvelope('event.updated', {
      eventId: moved.eventId,
      status: 'on_sale',
      title: 'Payment test concert',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      saleOpensAt: new Date(Date.now() - 3_600_000).toISOString(),
      saleClosesAt: startsAt,
      perUserLimit: 6,
      waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
      waitlistOfferMinutes: 30,
    });
    await h.redeliver({ ...stale, occurredAt: new Date(Date.now() - 60_000).toISOString() });
    // Handled in order after it (publishing waits until the schedule has it): the stale one was handled too.
    await h.publishEvent(1);
    const kept = await h.db
      .selectFrom('eventSchedule')
      .select(['startsAt', 'title'])
      .where('eventId', '=', moved.eventId)
      .executeTakeFirstOrThrow();
    expect(kept).toEqual({ startsAt: new Date(startsAt), title: 'Payment test concert, moved' });
  });

  it('lets an admin refund an amount, keeping the tickets, at any time', async () => {
    const carol = await h.user();
    const admin = await h.user('admin');
    const order = await paid(carol.token, [soon.seatIds[1] as string], soon.eventId);
    const tooMuch = await refund(admin.token, order.paymentId, { reason: 'goodwill', amount: 60_000 });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ code: 'REFUND_TOO_LARGE', refundableAmount: 55_000 });
    const res = await refund(admin.token, order.paymentId, { reason: 'late start goodwill', amount: 5_000 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 5_000 });
    const events = await h.outbox(order.paymentId);
    expect(events[1]?.data).toMatchObject({ amount: 5_000, seatIds: [], full: false });
    await h.handledByReservation(events[1]?.id ?? '');
    expect(Object.values(await ticketStates(order.reservationId))).toEqual(['ISSUED']);

    const search = await h.payment.app.inject({
      url: `/api/payments?userId=${carol.id}&status=PARTIALLY_REFUNDED`,
      headers: h.bearer(admin.token),
    });
    expect(search.json()).toMatchObject({ total: 1, items: [{ id: order.paymentId }] });
    const revenue = await h.payment.app.inject({
      url: `/api/payments/events/${soon.eventId}/revenue`,
      headers: h.bearer(admin.token),
    });
    expect(revenue.json()).toEqual({
      payments: 2,
      grossAmount: 110_000,
      refunds: 1,
      refundedAmount: 5_000,
      netAmount: 105_000,
    });
  });

  it('finishes a refund whose Toss answer was lost, without refunding twice', async () => {
    const dave = await h.user();
    const order = await paid(dave.token, [seat(4), seat(5)]);
    const doomed = await h.instance({ tossRetries: 0 });
    h.sandbox.injectFault({ operation: 'cancel', mode: 'after-commit' });
    const lost = await doomed.app.inject({
      method: 'POST',
      url: `/api/payments/${order.paymentId}/cancel`,
      headers: h.bearer(dave.token),
      payload: { reason: 'one seat back', seatIds: [seat(4)] },
    });
    expect(lost.statusCode).toBe(503);
    expect(lost.json()).toMatchObject({ code: 'REFUND_PENDING' });
    await doomed.close();
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ balanceAmount: 55_000 }]);
    expect((await h.getPayment(dave.token, order.paymentId)).refunds).toMatchObject([
      { status: 'REQUESTED' },
    ]);

    expect(await h.payment.reconcile()).toBe(1);
    const settled = await h.getPayment(dave.token, order.paymentId);
    expect(settled).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 55_000 });
    expect(settled.refunds).toMatchObject([{ status: 'DONE', seatIds: [seat(4)] }]);
    expect(h.atToss(order.confirmBody.orderId)).toMatchObject([{ balanceAmount: 55_000 }]);
    await eventually(async () => expect(await h.seatStatus(eventId, seat(4))).toBe('available'));
    expect(await h.seatStatus(eventId, seat(5))).toBe('sold');
  });

  it('keeps a deleted account’s payments for the books without the customer’s name, address and phone', async () => {
    const leaver = await h.user();
    const stays = await h.user();
    const order = await paid(leaver.token, [seat(18)]);
    const other = await paid(stays.token, [seat(19)]);
    const customer = (id: string) =>
      h.db
        .selectFrom('payments')
        .select(['customerName', 'customerEmail', 'customerPhone', 'status', 'amount'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    const before = await customer(order.paymentId);
    expect(before.customerEmail).not.toBe('');
    await h.redeliver(makeEnvelope('user.deleted', { userId: leaver.id }));
    await eventually(async () =>
      expect(await customer(order.paymentId)).toEqual({
        customerName: '',
        customerEmail: '',
        customerPhone: null,
        status: before.status,
        amount: before.amount,
      }),
    );
    expect((await customer(other.paymentId)).customerEmail).not.toBe('');
  });
});
