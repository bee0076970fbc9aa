import { randomUUID } from 'node:crypto';
import { sql } from '@tiketi/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPaymentHarness, type PaymentHarness } from './harness.ts';

describe('money against a hostile client: repeated keys, cancelled events, borrowed payment keys', () => {
  let h: PaymentHarness;
  let admin: { id: string; token: string };
  let eventId: string;
  let seatIds: string[];
  beforeAll(async () => {
    h = await openPaymentHarness('pay-money-attacks');
    admin = await h.user('admin');
    ({ eventId, seatIds } = await h.publishEvent(30));
  });
  const seat = (i: number) => seatIds[i] as string;
  afterAll(() => h.cleanup());

  const post = (token: string, url: string, payload: object, key?: string) =>
    h.payment.app.inject({
      method: 'POST',
      url,
      headers: { ...h.bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const refund = (id: string, body: object, key?: string) =>
    post(admin.token, `/api/payments/${id}/refund`, body, key);
  const cancelsAtToss = (orderId: string) => h.atToss(orderId)[0]?.cancels?.length ?? 0;
  const refundRows = async (paymentId: string) =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from refunds where payment_id = ${paymentId}`.execute(h.db)
    ).rows[0]?.n;

  describe('Idempotency-Key on the POSTs that move money', () => {
    it('answers an admin refund repeated with the same key with the first answer and refunds once', async () => {
      const alice = await h.user();
      const order = await h.paid(alice.token, eventId, [seat(0), seat(1), seat(2)]);
      const key = randomUUID();
      const body = { amount: 10_000, reason: 'goodwill' };
      const first = await refund(order.paymentId, body, key);
      expect(first.statusCode, first.body).toBe(200);
      const second = await refund(order.paymentId, body, key);
      expect(second.statusCode).toBe(200);
      expect(second.json()).toEqual(first.json());
      expect(second.json()).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 10_000 });
      expect(cancelsAtToss(order.confirmBody.orderId)).toBe(1);

      const other = await refund(order.paymentId, { amount: 20_000, reason: 'goodwill' }, key);
      expect(other.statusCode).toBe(422);
      expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(cancelsAtToss(order.confirmBody.orderId)).toBe(1);
      expect(await refundRows(order.paymentId)).toBe(1);
    });

    it('refunds once when identical refunds under one key arrive at the same moment', async () => {
      const bob = await h.user();
      const order = await h.paid(bob.token, eventId, [seat(3), seat(4)]);
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => refund(order.paymentId, { amount: 5_000, reason: 'late bus' }, key)),
      );
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
      for (const a of answers) expect(a.json()).toEqual(answers[0]?.json());
      expect(cancelsAtToss(order.confirmBody.orderId)).toBe(1);
      expect(await refundRows(order.paymentId)).toBe(1);
      expect((await h.getPayment(admin.token, order.paymentId)).refundedAmount).toBe(5_000);
    });

    it('answers a buyer’s repeated cancel, and its refusal, with the first answer', async () => {
      const carol = await h.user();
      const order = await h.paid(carol.token, eventId, [seat(5), seat(6)]);
      const url = `/api/payments/${order.paymentId}/cancel`;
      const key = randomUUID();
      const body = { reason: 'a friend cannot come', seatIds: [seat(5)] };
      const first = await post(carol.token, url, body, key);
      expect(first.statusCode, first.body).toBe(200);
      const again = await post(carol.token, url, body, key);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      expect(cancelsAtToss(order.confirmBody.orderId)).toBe(1);

      // A refusal is an answer too: the same request under its key is refused the same way.
      const refusalKey = randomUUID();
      const refused = await post(carol.token, url, body, refusalKey);
      expect(refused.statusCode).toBe(422);
      const refusedAgain = await post(carol.token, url, body, refusalKey);
      expect(refusedAgain.statusCode).toBe(422);
      expect(refusedAgain.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refusedAgain.json()).toEqual(refused.json());
    });

    it('answers a repeated checkout request with the first checkout and refuses the key for another reservation', async () => {
      const dave = await h.user();
      const one = await h.hold(dave.token, eventId, [seat(7)]);
      const two = await h.hold(dave.token, eventId, [seat(8)]);
      const key = randomUUID();
      const body = (reservationId: string) => ({
        reservationId,
        amount: 55_000,
        customerInfo: { name: 'Dave', email: 'dave@example.com' },
      });
      const first = await post(dave.token, '/api/payments/toss/request', body(one.reservationId), key);
      expect(first.statusCode, first.body).toBe(201);
      const again = await post(dave.token, '/api/payments/toss/request', body(one.reservationId), key);
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
      const other = await post(dave.token, '/api/payments/toss/request', body(two.reservationId), key);
      expect(other.statusCode).toBe(422);
      expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from payments where reservation_id = ${two.reservationId}`.execute(h.db);
      expect(rows[0]?.n).toBe(0);
    });
  });

  describe('a cancelled event takes no money', () => {
    it('refuses a checkout and a confirm for a cancelled event with EVENT_CANCELLED and charges nothing at Toss', async () => {
      const doomed = await h.publishEvent(4);
      const erin = await h.user();
      const ready = await h.checkout(erin.token, doomed.eventId, [doomed.seatIds[0] as string]);
      const unpaid = await h.hold(erin.token, doomed.eventId, [doomed.seatIds[1] as string]);
      const atTossBefore = h.sandbox.payments().length;

      const cancellation = await h.cancelEvent(doomed.eventId);
      await h.handledByPayment(cancellation.id);
      await h.handledByReservation(cancellation.id);

      const request = await h.request(erin.token, unpaid.reservationId, unpaid.amount);
      expect(request.statusCode, request.body).toBe(409);
      expect(request.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(request.json()).toMatchObject({ code: 'EVENT_CANCELLED' });
      const reopen = await h.request(erin.token, ready.reservationId, 55_000);
      expect(reopen.json()).toMatchObject({ status: 409, code: 'EVENT_CANCELLED' });
      expect(h.sandbox.payments()).toHaveLength(atTossBefore);

      const confirm = await h.confirm(erin.token, ready.confirmBody);
      expect(confirm.statusCode, confirm.body).toBe(409);
      expect(confirm.json()).toMatchObject({ code: 'EVENT_CANCELLED' });
      expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([
        { status: 'IN_PROGRESS', approvedAt: null },
      ]);
      expect((await h.getPayment(erin.token, ready.paymentId)).status).toBe('FAILED');
    });

    it('gives the money back when Toss approves while the event is being cancelled', async () => {
      const doomed = await h.publishEvent(4);
      const frank = await h.user();
      const ready = await h.checkout(frank.token, doomed.eventId, [doomed.seatIds[0] as string]);
      // Toss takes its time approving; the cancellation lands in both services meanwhile.
      h.sandbox.injectFault({ operation: 'confirm', mode: 'delay', delayMs: 5_000 });
      const confirming = h.confirm(frank.token, ready.confirmBody);
      // IN_PROGRESS is written just before Toss is asked: from here the approval is under way.
      await eventually(async () =>
        expect((await h.getPayment(frank.token, ready.paymentId)).status).toBe('IN_PROGRESS'),
      );
      const cancellation = await h.cancelEvent(doomed.eventId);
      await h.handledByPayment(cancellation.id);
      await h.handledByReservation(cancellation.id);

      const confirm = await confirming;
      expect(confirm.statusCode, confirm.body).toBe(409);
      expect(confirm.json()).toMatchObject({ code: 'EVENT_CANCELLED' });
      expect(h.atToss(ready.confirmBody.orderId)).toMatchObject([{ status: 'CANCELED', balanceAmount: 0 }]);
      const payment = await h.getPayment(frank.token, ready.paymentId);
      expect(payment).toMatchObject({ status: 'REFUNDED', refundedAmount: 55_000 });
      await eventually(async () =>
        expect((await h.reservationRow(ready.reservationId)).status).toBe('CANCELLED'),
      );
      expect(await h.ticketsOf(ready.reservationId)).toEqual([]);
    });
  });

  describe('a paymentKey belongs to its order only once Toss says so', () => {
    it('refuses an order confirmed with another buyer’s paymentKey, stores nothing, and the buyer still pays', async () => {
      const [victim, attacker] = await Promise.all([h.user(), h.user()]);
      const theirs = await h.checkout(victim.token, eventId, [seat(10)]);
      const mine = await h.checkout(attacker.token, eventId, [seat(11)]);

      const stolen = await h.confirm(attacker.token, {
        ...mine.confirmBody,
        paymentKey: theirs.confirmBody.paymentKey,
      });
      expect(stolen.statusCode, stolen.body).toBe(409);
      expect(stolen.json()).toMatchObject({ code: 'PAYMENT_KEY_MISMATCH' });
      const attackerRow = await h.db
        .selectFrom('payments')
        .select(['status', 'paymentKey'])
        .where('id', '=', mine.paymentId)
        .executeTakeFirstOrThrow();
      expect(attackerRow).toEqual({ status: 'PENDING', paymentKey: null });
      expect(h.atToss(theirs.confirmBody.orderId)).toMatchObject([{ status: 'IN_PROGRESS' }]);

      const paid = await h.confirm(victim.token, theirs.confirmBody);
      expect(paid.statusCode, paid.body).toBe(200);
      expect(paid.json()).toMatchObject({ id: theirs.paymentId, status: 'COMPLETED' });
      // The attacker's own order is untouched by the attempt and can still be paid with its own key.
      const own = await h.confirm(attacker.token, mine.confirmBody);
      expect(own.statusCode, own.body).toBe(200);
    });
  });
});
