import { randomUUID } from 'node:crypto';
import { makeEnvelope } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, holdAsNewFan, onSaleEvent, reservationSuite } from './helpers.ts';

describe('an event’s sales report and lists', () => {
  const event = onSaleEvent(20, { perUserLimit: 10 });
  const vip = event.priceTiers[0]!.id;
  const regular = event.priceTiers[1]!.id;
  const seat = (i: number) => event.seats[i]!.id;

  const h = reservationSuite('resv-report', {
    config: { CHECK_IN_OPENS_MINUTES_BEFORE: 31 * 24 * 60 },
    events: [event],
    start: true,
  });
  const admin = h.user('admin');

  const hold = (seatIds: string[]) => holdAsNewFan(h, event.eventId, seatIds);
  async function confirm(reservationId: string) {
    const paymentId = randomUUID();
    const res = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${reservationId}/confirm`,
      headers: h.internal,
      payload: { paymentId },
    });
    return { paymentId, tickets: (res.json() as { tickets: { id: string }[] }).tickets };
  }

  it('counts sold and held seats by tier, orders by day, holds running, check-ins and vouchers', async () => {
    await h.app.inject({
      method: 'POST',
      url: `/internal/events/${event.eventId}/vouchers`,
      headers: h.internal,
      payload: { code: 'TEN', kind: 'percent', value: 10, maxUses: 10 },
    });
    const buyer = await hold([seat(0), seat(10)]);
    await h.app.inject({
      method: 'PUT',
      url: `/api/reservations/${buyer.reservationId}/voucher`,
      headers: bearer(buyer.token),
      payload: { code: 'TEN' },
    });
    const paid = await confirm(buyer.reservationId);
    const refunded = await hold([seat(11)]);
    const refundedPayment = await confirm(refunded.reservationId);
    const refund = makeEnvelope('payment.refunded', {
      paymentId: refundedPayment.paymentId,
      orderId: 'order-x',
      reservationId: refunded.reservationId,
      eventId: event.eventId,
      userId: refunded.id,
      amount: 90_000,
      totalRefunded: 90_000,
      seatIds: [seat(11)],
      full: true,
      reason: 'cannot come',
    });
    await h.svc.db.transaction().execute((trx) => h.svc.handlers.payment(refund, trx));
    await hold([seat(12), seat(13)]);
    const qr = (
      (
        await h.app.inject({ url: `/api/tickets/${paid.tickets[0]!.id}`, headers: bearer(buyer.token) })
      ).json() as {
        qr: string;
      }
    ).qr;
    const checkIn = await h.app.inject({
      method: 'POST',
      url: '/api/tickets/check-in',
      headers: bearer(admin.token),
      payload: { qr },
    });
    expect(checkIn.statusCode).toBe(200);

    const res = await h.app.inject({ url: `/internal/events/${event.eventId}/report`, headers: h.internal });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report.tiers).toEqual([
      { tierId: vip, name: 'VIP', price: 150_000, seats: 10, sold: 1, held: 0, amount: 135_000 },
      { tierId: regular, name: 'R', price: 90_000, seats: 10, sold: 1, held: 2, amount: 81_000 },
    ]);
    expect(report.days).toHaveLength(1);
    expect(report.days[0]).toMatchObject({ orders: 2, tickets: 3, amount: 216_000 + 90_000 });
    expect(report.holds).toEqual({ reservations: 1, seats: 2 });
    expect(report.checkIns).toEqual({ tickets: 2, checkedIn: 1 });
    expect(report.vouchers).toEqual([{ code: 'TEN', used: 1, maxUses: 10, discount: 24_000 }]);

    const orders = (
      await h.app.inject({ url: `/internal/events/${event.eventId}/orders`, headers: h.internal })
    ).json();
    expect(orders.items).toEqual([
      expect.objectContaining({
        reservationId: buyer.reservationId,
        status: 'CONFIRMED',
        seats: ['A-1', 'A-11'],
        price: 240_000,
        discount: 24_000,
        amount: 216_000,
        voucherCode: 'TEN',
        paymentId: paid.paymentId,
      }),
      expect.objectContaining({ reservationId: refunded.reservationId, status: 'REFUNDED', amount: 90_000 }),
    ]);
    const attendees = (
      await h.app.inject({ url: `/internal/events/${event.eventId}/attendees`, headers: h.internal })
    ).json();
    expect(attendees.items).toEqual([
      expect.objectContaining({ seatLabel: 'A-1', tierName: 'VIP', status: 'USED' }),
      expect.objectContaining({ seatLabel: 'A-11', tierName: 'R', status: 'ISSUED' }),
      expect.objectContaining({ seatLabel: 'A-12', tierName: 'R', status: 'VOIDED' }),
    ]);
  });

  it('answers only internal callers, and 404 for an event it never sold', async () => {
    expect((await h.app.inject({ url: `/internal/events/${event.eventId}/report` })).statusCode).toBe(403);
    const unknown = await h.app.inject({
      url: `/internal/events/${randomUUID()}/orders`,
      headers: h.internal,
    });
    expect(unknown.statusCode).toBe(404);
  });
});
