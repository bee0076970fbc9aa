import { deleteRedisPrefix } from '@tiketi/kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Account, Reply } from '../support/api.ts';
import { violatedInvariants } from '../support/invariants.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof } from '../support/proof.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The purchase flow against the platform as real processes, with faults injected at each step: kill -9
 * of a service, the broker and Redis connections cut and restored, Redis keys flushed mid-drop. After
 * recovery the stores must show no seat sold twice, no approved payment without its tickets or refund,
 * no event left unpublished or dead-lettered and no email sent twice.
 */
export function faultSuite() {
  describe('chaos: the purchase flow under faults', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let amqpProxy: Proof['amqpProxy'];
    let redisProxy: Proof['redisProxy'];
    let admin: Account;
    let fans: Account[];

    beforeAll(async () => {
      ({ p, api, amqpProxy, redisProxy, admin } = proof());
      fans = await Promise.all(Array.from({ length: 6 }, () => api.signUp('chaos')));
    });

    /** Every fan asks for the same seats at once, `rounds` times; answers the seats each 201 got. */
    async function rush(eventId: string, seatIds: string[], rounds: number, midway?: () => Promise<void>) {
      const won: string[][] = [];
      for (let round = 0; round < rounds; round++) {
        const attempts = fans.map((fan, i) => {
          const wanted = [seatIds[(i + round) % seatIds.length], seatIds[(i + round + 1) % seatIds.length]];
          return api.hold(fan, eventId, wanted as string[]).then(
            (res) => (res.status === 201 ? (wanted as string[]) : undefined),
            () => undefined,
          );
        });
        if (midway && round === Math.floor(rounds / 2)) await midway();
        for (const seats of await Promise.all(attempts)) if (seats) won.push(seats);
      }
      return won;
    }

    function expectDisjoint(won: string[][]) {
      const seats = won.flat();
      expect(new Set(seats).size, 'a seat was held by two successful requests').toBe(seats.length);
    }

    it('chaos-hold: kill -9 of the reservation service in a rush on the same seats sells no seat twice', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 8);
      const won = await rush(eventId, seatIds, 4, async () => {
        await sleep(20);
        await p.platform.kill('reservation');
      });
      await p.platform.restart('reservation');
      won.push(...(await rush(eventId, seatIds, 2)));
      expectDisjoint(won);
      expect(won.length, 'no hold succeeded at all').toBeGreaterThan(0);
      const { rows } = await p.db('reservation').query(
        `select seat_id, count(*)::int as n from reservation_seats rs join seats s on s.id = rs.seat_id
         where rs.active and s.event_id = $1 group by seat_id having count(*) > 1`,
        [eventId],
      );
      expect(rows).toEqual([]);
    });

    it('chaos-pay: kill -9 of payment between Toss approval and its commit; the retried confirm charges once', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 4);
      const fan = fans[0] as Account;
      const order = await api.checkout(fan, eventId, [seatIds[0] as string]);
      // Toss takes its time answering; the payment service dies while Toss approves.
      await api.tossFault({ operation: 'confirm', mode: 'delay', delayMs: 2000 });
      const pending = api.confirm(fan, order.paid).catch(() => undefined);
      await sleep(700);
      await p.platform.kill('payment');
      expect((await pending)?.status).toBeGreaterThanOrEqual(500);
      await sleep(1500);
      await p.platform.restart('payment');

      const retried = await api.confirm(fan, order.paid);
      expect(retried.status, retried.text).toBe(200);
      expect(retried.body).toMatchObject({ id: order.paymentId, status: 'COMPLETED', amount: 99_000 });
      const again = await api.confirm(fan, order.paid);
      expect(again.body).toMatchObject({ id: order.paymentId, status: 'COMPLETED' });
      await eventually(async () => {
        const tickets = await api.gw('GET', '/api/tickets', { token: fan.token });
        expect(
          tickets.body.items.filter(
            (t: { reservationId: string }) => t.reservationId === order.reservationId,
          ),
        ).toHaveLength(1);
      });
      const charges = await p
        .db('payment')
        .query(
          `select count(*)::int as n from payments where reservation_id = $1 and approved_at is not null`,
          [order.reservationId],
        );
      expect(charges.rows[0].n).toBe(1);
    });

    it('chaos-reconcile: a payment approved at Toss while its service was dead settles without the customer', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 2);
      const fan = fans[1] as Account;
      const order = await api.checkout(fan, eventId, [seatIds[0] as string]);
      await api.tossFault({ operation: 'confirm', mode: 'delay', delayMs: 2000 });
      const pending = api.confirm(fan, order.paid).catch(() => undefined);
      await sleep(700);
      await p.platform.kill('payment');
      await pending;
      await sleep(1500);
      await p.platform.restart('payment');
      // The customer closed the tab: reconciliation with Toss finishes the order.
      await eventually(async () => {
        const { rows } = await p
          .db('reservation')
          .query('select status from reservations where id = $1', [order.reservationId]);
        expect(rows[0]?.status).toBe('CONFIRMED');
      }, 30_000);
    });

    it('chaos-events: kill -9 of payment while publishing and of reservation while consuming loses no event', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 2);
      const fan = fans[2] as Account;
      const order = await api.checkout(fan, eventId, [seatIds[0] as string, seatIds[1] as string]);
      const confirmed = await api.confirm(fan, order.paid);
      expect(confirmed.status, confirmed.text).toBe(200);
      // payment.completed sits in the outbox or on its way: both ends die before it is surely handled.
      await Promise.all([p.platform.kill('payment'), p.platform.kill('reservation')]);
      await Promise.all([p.platform.restart('payment'), p.platform.restart('reservation')]);
      await eventually(async () => {
        const { rows } = await p.db('reservation').query(
          `select r.status, (select count(*)::int from tickets t where t.reservation_id = r.id) as tickets
           from reservations r where r.id = $1`,
          [order.reservationId],
        );
        expect(rows[0]).toEqual({ status: 'CONFIRMED', tickets: 2 });
      }, 30_000);
    });

    it('chaos-broker: a purchase completes while RabbitMQ is unreachable, and its events flow once it is back', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 2);
      const fan = fans[3] as Account;
      const order = await api.checkout(fan, eventId, [seatIds[0] as string]);
      await amqpProxy.cut();
      try {
        const confirmed = await api.confirm(fan, order.paid);
        expect(confirmed.status, confirmed.text).toBe(200);
        const { rows } = await p
          .db('payment')
          .query(`select count(*)::int as n from outbox where published_at is null`);
        expect(rows[0].n).toBeGreaterThan(0);
        await sleep(1500);
      } finally {
        await amqpProxy.restore();
      }
      await eventually(async () => {
        const { rows } = await p
          .db('reservation')
          .query('select status from reservations where id = $1', [order.reservationId]);
        expect(rows[0]?.status).toBe('CONFIRMED');
        const mail = await p
          .db('notification')
          .query(
            `select count(*)::int as n from notifications where template = 'tickets-issued' and user_id = $1`,
            [fan.id],
          );
        expect(mail.rows[0].n).toBe(1);
      }, 40_000);
    });

    it('chaos-redis: with Redis unreachable mid-drop the database alone still refuses a second hold', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 6);
      const won = await rush(eventId, seatIds, 4, () => redisProxy.cut());
      await redisProxy.restore();
      won.push(...(await rush(eventId, seatIds, 1)));
      expectDisjoint(won);
    });

    it('chaos-flush: flushing every Redis key mid-drop neither double-sells nor leaves a stale seat map', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 6);
      const won = await rush(eventId, seatIds, 4, () =>
        deleteRedisPrefix('redis://127.0.0.1:6379', p.names.REDIS_PREFIX),
      );
      expectDisjoint(won);
      // The seat map is a cache: it comes back to what the database says.
      await eventually(async () => {
        const map = await api.gw('GET', `/api/seats/event/${eventId}`);
        const { rows } = await p
          .db('reservation')
          .query(`select count(*)::int as n from seats where event_id = $1 and status <> 'available'`, [
            eventId,
          ]);
        expect(map.body.counts.held + map.body.counts.sold).toBe(rows[0].n);
      });
    });

    /** Retries a call the way a client does while a service restarts: on 5xx and refused connections. */
    async function retried(attempt: () => Promise<Reply>) {
      return eventually(async () => {
        const res = await attempt();
        if (res.status >= 500) throw new Error(`${res.status} ${res.text}`);
        return res;
      }, 30_000);
    }

    it('chaos-each: every other service killed at its step of a purchase; the purchase completes once', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(admin, 2);
      const fan = fans[4] as Account;
      // The user service dies first: signed-in fans keep shopping on the keys the services already hold.
      await p.platform.kill('user');
      await p.platform.kill('event');
      const held = await api.hold(fan, eventId, [seatIds[0] as string]);
      expect(held.status, held.text).toBe(201);
      await Promise.all([p.platform.restart('user'), p.platform.restart('event')]);

      await p.platform.kill('gateway');
      await p.platform.restart('gateway');
      const opened = await retried(() => api.requestPayment(fan, held.body.reservationId, held.body.amount));
      expect(opened.status, opened.text).toBe(201);
      const paid = await api.payAtToss(opened.body.paymentUrl);

      // The email and analytics consumers die as the completed payment reaches them.
      const confirmed = await retried(() => api.confirm(fan, paid));
      expect(confirmed.status, confirmed.text).toBe(200);
      await Promise.all(['notification', 'analytics', 'queue'].map((name) => p.platform.kill(name)));
      await Promise.all(['notification', 'analytics', 'queue'].map((name) => p.platform.restart(name)));
      await eventually(async () => {
        const { rows } = await p
          .db('notification')
          .query(
            `select count(*)::int as n from notifications where template = 'tickets-issued' and user_id = $1`,
            [fan.id],
          );
        expect(rows[0].n).toBe(1);
      }, 30_000);
    });

    it('chaos-invariants: after every fault, no seat is sold twice, no paid order is lost, no event or email is lost or doubled', async () => {
      await eventually(async () => {
        expect(await violatedInvariants(p)).toEqual([]);
      }, 45_000);
    }, 60_000);
  });
}
