import { internalHeaders, sql } from '@tiketi/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('Toss checkout: request, pay, confirm', () => {
  let h: PaymentHarness;
  let eventId: string;
  let seatIds: string[];
  beforeAll(async () => {
    h = await openPaymentHarness('pay-checkout');
    ({ eventId, seatIds } = await h.publishEvent(20));
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());
  /** How many payments a reservation has (none, when a checkout was refused before anything changed). */
  const paymentsOf = async (reservationId: string) =>
    Number(
      (
        await h.db
          .selectFrom('payments')
          .select(h.db.fn.countAll().as('n'))
          .where('reservationId', '=', reservationId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('takes a reservation to CONFIRMED with tickets issued and the payment COMPLETED', async () => {
    const alice = await h.user();
    const held = await h.hold(alice.token, eventId, [seat(0), seat(1)]);
    expect(held.amount).toBe(110_000);

    const opened = await h.request(alice.token, held.reservationId, held.amount);
    expect(opened.statusCode, opened.body).toBe(201);
    const { paymentUrl, orderId, paymentId } = opened.json() as {
      paymentUrl: string;
      orderId: string;
      paymentId: string;
    };
    expect(paymentUrl).toMatch(/\/checkout\//);
    // The hold now lasts for the payment window rather than the original five minutes.
    expect((await h.reservationRow(held.reservationId)).expiresAt.getTime()).toBeGreaterThan(
      new Date(held.expiresAt).getTime(),
    );
    const tossPayment = h.atToss(orderId)[0];
    expect(tossPayment).toMatchObject({ status: 'READY', totalAmount: 110_000 });

    const paid = h.payAtToss(paymentUrl);
    expect(new URL(paid.redirectUrl).pathname).toBe('/payments/success');
    const res = await h.confirm(alice.token, paid);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: paymentId,
      status: 'COMPLETED',
      amount: 110_000,
      refundedAmount: 0,
      method: '카드',
    });

    expect(await h.reservationRow(held.reservationId)).toMatchObject({ status: 'CONFIRMED', paymentId });
    const tickets = await h.ticketsOf(held.reservationId);
    expect(tickets.map((t) => t.seatId).sort()).toEqual([seat(0), seat(1)].sort());
    expect(tickets.every((t) => t.status === 'ISSUED')).toBe(true);
    expect(await h.seatStatus(eventId, seat(0))).toBe('sold');
    const events = await h.outbox(paymentId);
    expect(events.map((e) => e.type)).toEqual(['payment.completed']);
    expect(events[0]?.data).toMatchObject({ reservationId: held.reservationId, amount: 110_000, orderId });
    expect(h.atToss(orderId)).toMatchObject([{ status: 'DONE', balanceAmount: 110_000 }]);

    const mine = await h.payment.app.inject({ url: '/api/payments', headers: h.bearer(alice.token) });
    expect((mine.json() as { items: { id: string }[] }).items.map((p) => p.id)).toEqual([paymentId]);
    const metrics = await h.payment.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/tiketi_payments_total\{[^}]*outcome="completed"[^}]*\} 1/);
    expect(metrics.body).toMatch(/tiketi_sales_amount_krw_total\{[^}]*\} 110000/);
  });

  it('refuses an amount that is not the reservation’s, before anything is charged', async () => {
    const bob = await h.user();
    const held = await h.hold(bob.token, eventId, [seat(2)]);
    const tampered = await h.request(bob.token, held.reservationId, 100);
    expect(tampered.statusCode).toBe(422);
    expect(tampered.json()).toMatchObject({ code: 'AMOUNT_MISMATCH', expectedAmount: 55_000 });
    expect(await paymentsOf(held.reservationId)).toBe(0);

    // At confirm time too: a tampered amount never reaches Toss.
    const ready = await h.request(bob.token, held.reservationId, held.amount);
    const { paymentUrl, paymentId } = ready.json() as { paymentUrl: string; paymentId: string };
    const paid = h.payAtToss(paymentUrl);
    const low = await h.confirm(bob.token, { ...paid, amount: 1000 });
    expect(low.statusCode).toBe(422);
    expect(low.json()).toMatchObject({ code: 'AMOUNT_MISMATCH' });
    expect(h.atToss(paid.orderId)[0]?.status).toBe('IN_PROGRESS');
    expect((await h.getPayment(bob.token, paymentId)).status).toBe('PENDING');
  });

  it('charges what the order comes to when its voucher is taken off while the checkout opens', async () => {
    // A one-use half-price code, put on and taken off again as the payment opens, each time: whichever
    // comes first, the payment charges the order's amount, and the code is never used more than once.
    const race = await h.publishEvent(8, undefined, 100_000);
    const made = await h.reservation.app.inject({
      method: 'POST',
      url: `/internal/events/${race.eventId}/vouchers`,
      headers: internalHeaders(h.config.INTERNAL_TOKEN),
      payload: { code: 'ONCE50', kind: 'percent', value: 50, maxUses: 1 },
    });
    expect(made.statusCode, made.body).toBe(201);
    const voucherOf = (token: string, reservationId: string, method: 'PUT' | 'DELETE') =>
      h.reservation.app.inject({
        method,
        url: `/api/reservations/${reservationId}/voucher`,
        headers: h.bearer(token),
        ...(method === 'PUT' ? { payload: { code: 'ONCE50' } } : {}),
      });
    let opened = 0;
    for (const seatId of race.seatIds) {
      const fan = await h.user();
      const held = await h.hold(fan.token, race.eventId, [seatId]);
      const applied = await voucherOf(fan.token, held.reservationId, 'PUT');
      expect(applied.statusCode, applied.body).toBe(200);
      const [checkout, removed] = await Promise.all([
        h.request(fan.token, held.reservationId, 50_000),
        voucherOf(fan.token, held.reservationId, 'DELETE'),
      ]);
      const row = await h.reservationRow(held.reservationId);
      if (checkout.statusCode === 201) {
        // The checkout fixed the discounted amount first: the voucher stays on the order it pays for.
        opened++;
        expect(removed.statusCode).toBe(409);
        expect(row.amount).toBe(50_000);
        expect(checkout.json().amount).toBe(50_000);
      } else {
        // The voucher came off first: nothing was opened at half price, and the fan is told the amount.
        expect(removed.statusCode).toBe(200);
        expect(checkout.statusCode).toBe(422);
        expect(checkout.json()).toMatchObject({ code: 'AMOUNT_MISMATCH', expectedAmount: 100_000 });
        expect(row.amount).toBe(100_000);
        expect(await paymentsOf(held.reservationId)).toBe(0);
      }
      if (opened) break;
    }
    expect(opened).toBeLessThanOrEqual(1);
  });

  it('refuses an order under the online minimum before the hold or the voucher changes', async () => {
    const cheap = await h.publishEvent(1, undefined, 50);
    const dan = await h.user();
    const held = await h.hold(dan.token, cheap.eventId, cheap.seatIds);
    expect(held.amount).toBe(50);
    const before = await h.reservationRow(held.reservationId);
    const res = await h.request(dan.token, held.reservationId, 50);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'AMOUNT_BELOW_MINIMUM', minimumAmount: 100 });
    const after = await h.reservationRow(held.reservationId);
    expect(after.expiresAt).toEqual(before.expiresAt);
    expect(await paymentsOf(held.reservationId)).toBe(0);
  });

  it('charges nothing for seats the fan gave back while the Toss page was open', async () => {
    const erin = await h.user();
    const ready = await h.checkout(erin.token, eventId, [seat(5)]);
    const given = await h.reservation.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${ready.reservationId}`,
      headers: h.bearer(erin.token),
    });
    expect(given.statusCode, given.body).toBeLessThan(300);
    const res = await h.confirm(erin.token, ready.confirmBody);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'PAYMENT_EXPIRED',
      failureCode: 'RESERVATION_RELEASED',
      paymentId: ready.paymentId,
    });
    expect(res.json<{ detail: string }>().detail).toMatch(/gave these seats back.*nothing was charged/);
    expect(h.atToss(ready.confirmBody.orderId)[0]?.status).not.toBe('DONE');
    expect((await h.getPayment(erin.token, ready.paymentId)).status).toBe('EXPIRED');
  });

  it('answers the same checkout while one is open, and nobody else may use the reservation', async () => {
    const carol = await h.user();
    const mallory = await h.user();
    const held = await h.hold(carol.token, eventId, [seat(3)]);
    const [first, second] = await Promise.all([
      h.request(carol.token, held.reservationId, held.amount),
      h.request(carol.token, held.reservationId, held.amount),
    ]);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json().orderId).toBe(first.json().orderId);
    expect(h.atToss(first.json().orderId)).toHaveLength(1);
    const other = await h.request(mallory.token, held.reservationId, held.amount);
    expect(other.statusCode).toBe(404);
    const stolen = await h.confirm(mallory.token, h.payAtToss(first.json().paymentUrl));
    expect(stolen.statusCode).toBe(404);
  });

  it('charges once when confirm is sent twice, and when it is sent concurrently', async () => {
    const dave = await h.user();
    const one = await h.checkout(dave.token, eventId, [seat(4)]);
    const first = await h.confirm(dave.token, one.confirmBody);
    const again = await h.confirm(dave.token, one.confirmBody);
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());

    const two = await h.checkout(dave.token, eventId, [seat(5)]);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => h.confirm(dave.token, two.confirmBody)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.json().status))).toEqual(new Set(['COMPLETED']));

    for (const done of [one, two]) {
      expect(h.atToss(done.confirmBody.orderId)).toMatchObject([{ status: 'DONE', cancels: null }]);
      expect((await h.outbox(done.paymentId)).map((e) => e.type)).toEqual(['payment.completed']);
      expect(await h.ticketsOf(done.reservationId)).toHaveLength(1);
    }
    // Toss tells us once per approval.
    const approvals = h.sandbox
      .payments()
      .filter((p) => p.orderId === two.confirmBody.orderId && p.status === 'DONE');
    expect(approvals).toHaveLength(1);
  });

  it('refunds a payment approved after its hold expired, and the seat is sold once', async () => {
    const erin = await h.user();
    const frank = await h.user();
    const late = await h.checkout(erin.token, eventId, [seat(6)]);
    // Erin lingers at Toss; meanwhile her hold runs out and the sweeper releases the seat.
    await sql`update reservations set expires_at = now() - interval '1 second' where id = ${late.reservationId}`.execute(
      h.reservationDb,
    );
    await eventually(async () => expect((await h.reservationRow(late.reservationId)).status).toBe('EXPIRED'));
    // Frank takes the seat and pays for it.
    const frankPays = await h.checkout(frank.token, eventId, [seat(6)]);
    expect((await h.confirm(frank.token, frankPays.confirmBody)).statusCode).toBe(200);

    const res = await h.confirm(erin.token, late.confirmBody);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'HOLD_EXPIRED_REFUNDED', paymentId: late.paymentId });
    const payment = await h.getPayment(erin.token, late.paymentId);
    expect(payment).toMatchObject({ status: 'REFUNDED', amount: 55_000, refundedAmount: 55_000 });
    expect(payment.refunds).toMatchObject([{ status: 'DONE', lateApproval: true, full: true }]);
    expect(h.atToss(late.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
    const events = await h.outbox(late.paymentId);
    expect(events.map((e) => e.type)).toEqual(['payment.refunded']);
    expect(events[0]?.data).toMatchObject({
      lateApproval: true,
      full: true,
      amount: 55_000,
      seatIds: [seat(6)],
      seatLabels: ['B-7'],
      standingAreas: [],
    });

    // The refund event leaves Frank's seat alone: sold once, to Frank.
    await h.handledByReservation(events[0]?.id ?? '');
    expect(await h.seatStatus(eventId, seat(6))).toBe('sold');
    expect(await h.reservationRow(frankPays.reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.ticketsOf(late.reservationId)).toHaveLength(0);
    // Asking again answers the same.
    expect((await h.confirm(erin.token, late.confirmBody)).json()).toMatchObject({
      code: 'HOLD_EXPIRED_REFUNDED',
    });
  });

  it('ends the payment as FAILED when the card is refused, and the hold stays for another try', async () => {
    const gina = await h.user();
    const held = await h.hold(gina.token, eventId, [seat(7)]);
    const opened = (await h.request(gina.token, held.reservationId, held.amount)).json() as {
      paymentUrl: string;
      paymentId: string;
    };
    const refused = await h.confirm(gina.token, h.payAtToss(opened.paymentUrl, 'reject'));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'PAYMENT_REJECTED', failureCode: 'REJECT_CARD_PAYMENT' });
    expect((await h.outbox(opened.paymentId)).map((e) => e.type)).toEqual(['payment.failed']);
    expect((await h.reservationRow(held.reservationId)).status).toBe('PENDING');

    const retry = await h.request(gina.token, held.reservationId, held.amount);
    expect(retry.statusCode).toBe(201);
    expect(retry.json().paymentId).not.toBe(opened.paymentId);
    const paid = await h.confirm(gina.token, h.payAtToss(retry.json().paymentUrl));
    expect(paid.statusCode).toBe(200);
  });

  it('opens a new payment when the fan gave up at Toss, rather than the dead checkout again', async () => {
    const hana = await h.user();
    const held = await h.hold(hana.token, eventId, [seat(8)]);
    const opened = (await h.request(hana.token, held.reservationId, held.amount)).json() as {
      paymentUrl: string;
      paymentId: string;
      orderId: string;
    };
    // This sandbox sends no webhooks: the next request finds out from Toss itself.
    h.sandbox.abort(new URL(opened.paymentUrl).pathname.split('/').pop() ?? '');
    const retry = await h.request(hana.token, held.reservationId, held.amount);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json().orderId).not.toBe(opened.orderId);
    expect(h.atToss(opened.orderId)).toMatchObject([{ status: 'ABORTED' }]);
    const paid = await h.confirm(hana.token, h.payAtToss(retry.json().paymentUrl));
    expect(paid.statusCode, paid.body).toBe(200);
  });

  it('opens a new payment when the fan was sent back from Toss but never confirmed, and the first is never charged', async () => {
    const ian = await h.user();
    const held = await h.hold(ian.token, eventId, [seat(9)]);
    const opened = (await h.request(ian.token, held.reservationId, held.amount)).json() as {
      paymentUrl: string;
      paymentId: string;
    };
    // Authenticated at Toss, but the confirm never went through (here: an address with another amount).
    const authenticated = h.payAtToss(opened.paymentUrl);
    const tampered = await h.confirm(ian.token, { ...authenticated, amount: 1000 });
    expect(tampered.statusCode).toBe(422);
    // Toss's page for that payment is done with: paying again opens a new one rather than that dead page.
    const retry = await h.request(ian.token, held.reservationId, held.amount);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json().orderId).not.toBe(authenticated.orderId);
    expect(h.atToss(retry.json().orderId)).toMatchObject([{ status: 'READY' }]);
    // The first one, confirmed late (its success page opened again), charges nothing.
    const old = await h.confirm(ian.token, authenticated);
    expect(old.statusCode, old.body).toBe(422);
    expect(old.json()).toMatchObject({ code: 'PAYMENT_REJECTED', failureCode: 'CHECKOUT_REPLACED' });
    expect(h.atToss(authenticated.orderId)).toMatchObject([{ status: 'IN_PROGRESS' }]);
    const paid = await h.confirm(ian.token, h.payAtToss(retry.json().paymentUrl));
    expect(paid.statusCode, paid.body).toBe(200);
  });
});
