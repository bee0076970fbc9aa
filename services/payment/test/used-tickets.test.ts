import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPaymentHarness, type PaymentHarness } from './harness.ts';

/*
 * A ticket checked in at the door was used: its buyer cannot refund it any more, with a reason of its own,
 * while the other seats of the order stay refundable and an operator can still refund it by hand.
 */
describe('refunds of tickets used at the door', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  let first: string;
  let second: string;
  let admin: { id: string; token: string };
  let fan: { id: string; token: string };
  let order: Awaited<ReturnType<typeof h.paid>>;
  afterAll(() => h.cleanup());

  async function checkIn(reservationId: string, seatId: string) {
    const ticket = (await h.ticketsOf(reservationId)).find((t) => t.seatId === seatId);
    const detail = await h.reservation.app.inject({
      url: `/api/tickets/${ticket?.id}`,
      headers: h.bearer(fan.token),
    });
    const res = await h.reservation.app.inject({
      method: 'POST',
      url: '/api/tickets/check-in',
      headers: h.bearer(admin.token),
      payload: { qr: detail.json().qr },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  const post = (token: string, path: string, body: object) =>
    h.payment.app.inject({ method: 'POST', url: path, headers: h.bearer(token), payload: body });
  beforeAll(async () => {
    // Refunds allowed until the start, so only the check-in stands in the buyer's way.
    h = await openPaymentHarness('pay-used', { CANCEL_DEADLINE_HOURS: 0 });
    // Starts in an hour: the doors (three hours before, by default) are open.
    ({ eventId, seatIds } = await h.publishEvent(4, 3_600_000));
    [first, second] = seatIds as [string, string];

    admin = await h.user('admin');
    fan = await h.user();

    order = await h.paid(fan.token, eventId, [first, second]);
    await checkIn(order.reservationId, first);
  });

  it('refuses the buyer a refund of the whole order once one ticket was used', async () => {
    const res = await post(fan.token, `/api/payments/${order.paymentId}/cancel`, { reason: 'cannot come' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'TICKET_USED', seatIds: [first] });
    const payment = await h.payment.app.inject({
      url: `/api/payments/${order.paymentId}`,
      headers: h.bearer(fan.token),
    });
    expect(payment.json()).toMatchObject({ status: 'COMPLETED', refundedAmount: 0 });
  });

  it('refuses the buyer the used seat alone, and refunds the unused one', async () => {
    const used = await post(fan.token, `/api/payments/${order.paymentId}/cancel`, {
      reason: 'cannot come',
      seatIds: [first],
    });
    expect(used.statusCode).toBe(409);
    expect(used.json()).toMatchObject({ code: 'TICKET_USED' });
    const unused = await post(fan.token, `/api/payments/${order.paymentId}/cancel`, {
      reason: 'my friend cannot come',
      seatIds: [second],
    });
    expect(unused.statusCode, unused.body).toBe(200);
    expect(unused.json()).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 55_000 });
  });

  it('lets an operator refund the used ticket by hand, with a reason', async () => {
    const noReason = await post(admin.token, `/api/payments/${order.paymentId}/refund`, { seatIds: [first] });
    expect(noReason.statusCode).toBe(400);
    const res = await post(admin.token, `/api/payments/${order.paymentId}/refund`, {
      seatIds: [first],
      reason: 'Left after the first song: sound failure in block B',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'REFUNDED', refundedAmount: 110_000 });
    const refunds = (await h.outbox(order.paymentId)).filter((e) => e.type === 'payment.refunded');
    expect(refunds).toHaveLength(2);
    for (const e of refunds) await h.handledByReservation(e.id);
    expect((await h.ticketsOf(order.reservationId)).map((t) => t.status)).toEqual(['VOIDED', 'VOIDED']);
  });
});
