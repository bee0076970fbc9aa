import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, call } from '../support/api.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof, SECRETS } from '../support/proof.ts';

/**
 * Money against a hostile client, through the gateway: repeated Idempotency-Keys, holds and payments racing
 * an event's cancellation, and a buyer's paymentKey used by someone else (issue 17, points 6, 7 and 9).
 */
export function moneySuite() {
  describe('sec-money: refunds, cancellations and payment keys under attack', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let admin: Account;

    beforeAll(() => {
      ({ p, api, admin } = proof());
    });

    /** What Toss (the sandbox) has for an order. */
    async function atToss(orderId: string) {
      const res = await call(p.url('sandbox-toss'), 'GET', `/v1/payments/orders/${orderId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${SECRETS.TOSS_SECRET_KEY}:`).toString('base64')}` },
      });
      expect(res.status, res.text).toBe(200);
      return res.body as { status: string; balanceAmount: number; cancels: unknown[] | null };
    }

    async function paidOrder(buyer: Account, eventId: string, seatIds: string[]) {
      const order = await api.checkout(buyer, eventId, seatIds);
      const confirmed = await api.confirm(buyer, order.paid);
      expect(confirmed.status, confirmed.text).toBe(200);
      return order;
    }

    it('sec-idempotency: a refund repeated with its Idempotency-Key answers the first answer and refunds once', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 4);
      const buyer = await api.signUp('refunded');
      const order = await paidOrder(buyer, eventId, [seatIds[0] as string, seatIds[1] as string]);
      const refund = (body: object, key: string) =>
        api.gw('POST', `/api/admin/payments/${order.paymentId}/refund`, {
          token: admin.token,
          body,
          headers: { 'idempotency-key': key },
        });

      const key = randomUUID();
      const body = { amount: 1_000, reason: 'goodwill' };
      const first = await refund(body, key);
      expect(first.status, first.text).toBe(200);
      const again = await refund(body, key);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const other = await refund({ amount: 2_000, reason: 'goodwill' }, key);
      expect([409, 422]).toContain(other.status);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

      // Identical requests at the same moment under a fresh key: one refund between them.
      const raceKey = randomUUID();
      const raced = await Promise.all(
        Array.from({ length: 5 }, () => refund({ amount: 3_000, reason: 'double click' }, raceKey)),
      );
      expect(raced.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      for (const r of raced) expect(r.body).toEqual(raced[0]?.body);

      const { rows } = await p
        .db('payment')
        .query('select amount from refunds where payment_id = $1 order by created_at', [order.paymentId]);
      expect(rows.map((r) => r.amount)).toEqual([1_000, 3_000]);
      const toss = await atToss(order.paid.orderId);
      expect(toss.cancels).toHaveLength(2);
      expect(toss.balanceAmount).toBe(order.paid.amount - 4_000);
    });

    it('sec-cancel-race: holds racing the cancellation end with it, and a cancelled event takes no money', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 24);
      const fans = await Promise.all([1, 2, 3, 4].map((i) => api.signUp(`racer${i}`)));
      // A fan at Toss's checkout page when the event is cancelled, and one holding seats not yet paid for.
      const atCheckout = await api.checkout(fans[0] as Account, eventId, [seatIds[0] as string]);
      const heldEarly = await api.hold(fans[1] as Account, eventId, [seatIds[1] as string]);
      expect(heldEarly.status, heldEarly.text).toBe(201);

      const racing = seatIds.slice(2, 23).map(async (seatId, i) => {
        await new Promise((r) => setTimeout(r, i * 10));
        return api.hold(fans[i % fans.length] as Account, eventId, [seatId]);
      });
      await new Promise((r) => setTimeout(r, 50));
      const cancelled = await api.gw('POST', `/api/events/${eventId}/cancel`, {
        token: admin.token,
        body: { reason: 'Storm warning' },
      });
      expect(cancelled.status, cancelled.text).toBe(200);
      for (const res of await Promise.all(racing)) {
        expect([201, 409], res.text).toContain(res.status);
        if (res.status === 409) expect(res.body.code).toBe('EVENT_NOT_ON_SALE');
      }

      // Once the cancellation reached the services, no hold of the event is left and none can be made.
      await eventually(async () => {
        const { rows } = await p
          .db('reservation')
          .query(`select count(*)::int as n from reservations where event_id = $1 and status = 'PENDING'`, [
            eventId,
          ]);
        expect(rows[0].n).toBe(0);
        const schedule = await p
          .db('payment')
          .query('select cancelled_at from event_schedule where event_id = $1', [eventId]);
        expect(schedule.rows[0]?.cancelled_at).not.toBeNull();
      });
      const late = await api.hold(fans[2] as Account, eventId, [seatIds[23] as string]);
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('EVENT_NOT_ON_SALE');

      const request = await api.requestPayment(
        fans[1] as Account,
        heldEarly.body.reservationId,
        heldEarly.body.amount,
      );
      expect(request.status, request.text).toBe(409);
      expect(request.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(request.body.code).toBe('EVENT_CANCELLED');
      const confirm = await api.confirm(fans[0] as Account, atCheckout.paid);
      expect(confirm.status, confirm.text).toBe(409);
      expect(confirm.body.code).toBe('EVENT_CANCELLED');
      expect((await atToss(atCheckout.paid.orderId)).status).toBe('IN_PROGRESS');
      const { rows } = await p
        .db('payment')
        .query(`select count(*)::int as n from payments where event_id = $1 and status = 'COMPLETED'`, [
          eventId,
        ]);
      expect(rows[0].n).toBe(0);
    });

    it('sec-paymentkey: confirming one’s own order with a victim’s paymentKey is refused and blocks nothing', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 2);
      const [victim, attacker] = await Promise.all([api.signUp('victim'), api.signUp('attacker')]);
      const theirs = await api.checkout(victim, eventId, [seatIds[0] as string]);
      const mine = await api.checkout(attacker, eventId, [seatIds[1] as string]);

      const stolen = await api.confirm(attacker, { ...mine.paid, paymentKey: theirs.paid.paymentKey });
      expect(stolen.status, stolen.text).toBe(409);
      expect(stolen.body.code).toBe('PAYMENT_KEY_MISMATCH');
      const { rows } = await p
        .db('payment')
        .query('select count(*)::int as n from payments where payment_key = $1', [theirs.paid.paymentKey]);
      expect(rows[0].n).toBe(0);

      const paid = await api.confirm(victim, theirs.paid);
      expect(paid.status, paid.text).toBe(200);
      expect(paid.body).toMatchObject({ id: theirs.paymentId, status: 'COMPLETED' });
      expect((await atToss(theirs.paid.orderId)).status).toBe('DONE');
    });
  });
}
