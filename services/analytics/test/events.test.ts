import { randomUUID } from 'node:crypto';
import type { EventInput, EventType } from '@tiketi/contracts';
import { makeEnvelope, OutboxRelay, publishInTransaction, sql } from '@tiketi/kit';
import { testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DB } from '../src/db/schema.ts';
import { statsRepository } from '../src/db/stats.repository.ts';
import { dayKey, isoDay } from '../src/domain/kst.ts';
import { rollupJob } from '../src/domain/rollup.ts';
import { startConsumers } from '../src/events/consumers.ts';
import { openAnalytics } from './support.ts';

describe('service events through the outbox and RabbitMQ', () => {
  let svc: Awaited<ReturnType<typeof openAnalytics<true>>>;
  let app: typeof svc.app;
  let infra: typeof svc.infra;
  let counters: typeof svc.counters;
  let db: typeof infra.db;
  let bus: typeof infra.bus;
  let redis: typeof infra.redis;
  let relay: OutboxRelay<DB>;
  let admin: string;
  beforeAll(async () => {
    svc = await openAnalytics('anl-events', { bus: true });
    ({ app, infra, counters } = svc);
    ({ db, bus, redis } = infra);
    relay = new OutboxRelay({ db, bus, logger: testLogger() });
    admin = await svc.tokens.sign({ id: randomUUID(), role: 'admin' });
  });

  const artistId = randomUUID();
  const eventId = randomUUID();
  const userId = randomUUID();
  const seatIds = [randomUUID(), randomUUID()];
  const now = new Date();
  const today = dayKey(now);

  /** Writes the event to a test outbox in a transaction and lets the relay publish it. */
  async function publish<T extends EventType>(type: T, data: EventInput<T>) {
    await db.transaction().execute((trx) => publishInTransaction(trx, type, data));
    while ((await relay.runOnce()) > 0);
  }
  const payment = (amount: number, approvedAt: Date) => ({
    paymentId: randomUUID(),
    orderId: `order-${randomUUID()}`,
    paymentKey: `pk-${randomUUID()}`,
    reservationId: randomUUID(),
    eventId,
    userId,
    amount,
    method: 'card',
    approvedAt: approvedAt.toISOString(),
  });

  beforeAll(async () => {
    await bus.waitForConnect();
    await startConsumers({ bus, db, counters });
  });
  afterAll(() => svc.close());

  it('attributes views of a published event to its artist', async () => {
    await publish('event.published', {
      eventId,
      status: 'on_sale',
      title: 'Analytics Live',
      artistId,
      venueId: randomUUID(),
      startsAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
      saleOpensAt: new Date(now.getTime() - 86_400_000).toISOString(),
      saleClosesAt: new Date(now.getTime() + 86_400_000).toISOString(),
      perUserLimit: 4,
      waitingRoom: { enabled: false, admissionRatePerMinute: 100, maxActiveShoppers: 100 },
      priceTiers: [{ id: randomUUID(), name: 'R', price: 50_000 }],
      seats: [
        {
          id: seatIds[0] ?? '',
          label: 'A-1',
          section: 'A',
          row: '1',
          number: 1,
          x: 0,
          y: 0,
          tierId: randomUUID(),
        },
      ],
    });
    await vi.waitFor(
      async () => {
        const row = await db
          .selectFrom('eventProjection')
          .select('artistId')
          .where('eventId', '=', eventId)
          .executeTakeFirst();
        expect(row?.artistId).toBe(artistId);
      },
      { timeout: 10_000 },
    );
    svc.setNow(now);
    for (const sessionId of ['sess-view-1', 'sess-view-2']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/analytics/track',
        payload: { type: 'event_view', eventId, sessionId },
      });
      expect(res.statusCode).toBe(202);
    }
    expect(await redis.get(`artist:${artistId}:views:${today}`)).toBe('2');
  });

  it('counts reservations and completed payments once however often they are delivered', async () => {
    await publish('reservation.created', {
      reservationId: randomUUID(),
      eventId,
      userId,
      seatIds,
      amount: 100_000,
      expiresAt: new Date(now.getTime() + 300_000).toISOString(),
    });
    await publish('payment.completed', payment(100_000, now));
    // The same envelope delivered twice, as after a relay crash between publishing and marking sent.
    const again = makeEnvelope('payment.completed', payment(30_000, now));
    await bus.publish(again);
    await bus.publish(again);

    await vi.waitFor(
      async () => {
        expect(await redis.get(`revenue:${today}:total`)).toBe('130000');
        expect(await redis.get(`revenue:${today}:count`)).toBe('2');
      },
      { timeout: 10_000 },
    );
    expect(await redis.get(`event:${eventId}:reservations:${today}`)).toBe('1');
    expect(await redis.get(`event:${eventId}:orders:${today}`)).toBe('2');
    // The counters are written before the batch's inbox rows commit: the record of the envelope follows.
    await vi.waitFor(
      async () => {
        const handled = await sql<{
          n: number;
        }>`select count(*)::int as n from inbox where event_id = ${again.id}`.execute(db);
        expect(handled.rows[0]?.n).toBe(1);
      },
      { timeout: 10_000 },
    );
  });

  it('never counts an id twice even when the inbox transaction failed after Redis was updated', async () => {
    const id = randomUUID();
    const increment = {
      at: now,
      increments: [{ metric: 'orders' as const, dimension: 'site' as const, amount: 1 }],
    };
    expect(await counters.record({ id, ...increment })).toBe(true);
    expect(await counters.record({ id, ...increment })).toBe(false);
    expect(await redis.get(`revenue:${today}:count`)).toBe('3');
    await counters.record({ at: now, increments: [{ metric: 'orders', dimension: 'site', amount: -1 }] });
  });

  it('lowers the revenue of the day by a refund and counts the refund, not fewer orders', async () => {
    await publish('payment.refunded', {
      paymentId: randomUUID(),
      orderId: 'order-refund',
      reservationId: randomUUID(),
      eventId,
      userId,
      amount: 30_000,
      totalRefunded: 30_000,
      seatIds: [],
      full: true,
      reason: 'changed mind',
    });
    await vi.waitFor(async () => expect(await redis.get(`revenue:${today}:total`)).toBe('100000'), {
      timeout: 10_000,
    });
    expect(await redis.get(`revenue:${today}:count`)).toBe('2');
    expect(await redis.get(`revenue:${today}:refunds`)).toBe('1');
    expect(await redis.get(`revenue:${today}:refunded`)).toBe('30000');
  });

  it('puts a payment approved at 23:30 UTC on the next Seoul day', async () => {
    await publish('payment.completed', payment(77_000, new Date('2026-06-01T23:30:00Z')));
    await vi.waitFor(async () => expect(await redis.get('revenue:20260602:total')).toBe('77000'), {
      timeout: 10_000,
    });
    expect(await redis.get('revenue:20260601:total')).toBeNull();
  });

  it('shows the sale, the revenue and the traffic on the dashboard and, after the rollup, in the stats', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/analytics/dashboard',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      date: isoDay(now),
      today: {
        revenue: 100_000,
        orders: 2,
        refunds: 1,
        refundedAmount: 30_000,
        eventViews: 2,
        conversionRate: 1,
      },
    });
    const figures = {
      eventId,
      title: 'Analytics Live',
      artistId,
      views: 2,
      reservations: 1,
      sales: 2,
      revenue: 100_000,
    };
    expect(body.topEvents).toEqual([expect.objectContaining(figures)]);
    expect(body.onSale).toEqual([expect.objectContaining(figures)]);

    const job = rollupJob({
      db,
      counters,
      stats: statsRepository(db),
      clock: () => new Date(now.getTime() + 2 * 3_600_000),
      logger: testLogger(),
    });
    await job.run();
    const daily = await db
      .selectFrom('dailyStats')
      .select(['metric', 'value', sql<string>`day::text`.as('day')])
      .where('dimension', '=', 'site')
      .where('metric', 'in', ['revenue', 'orders', 'refunds'])
      .orderBy('day')
      .orderBy('metric')
      .execute();
    expect(daily).toEqual(
      expect.arrayContaining([
        { metric: 'orders', value: 1, day: '2026-06-02' },
        { metric: 'revenue', value: 77_000, day: '2026-06-02' },
        { metric: 'orders', value: 2, day: isoDay(now) },
        { metric: 'refunds', value: 1, day: isoDay(now) },
        { metric: 'revenue', value: 100_000, day: isoDay(now) },
      ]),
    );
    const daily2 = await app.inject({
      method: 'GET',
      url: `/api/analytics/revenue/daily?start=${isoDay(now)}&end=${isoDay(now)}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(daily2.json()).toEqual([
      { date: isoDay(now), revenue: 100_000, orders: 2, refunds: 1, refundedAmount: 30_000 },
    ]);
  });
  it('takes refunded seats off the tickets sold, on the day of the refund', async () => {
    const refunded = randomUUID();
    const seats = [randomUUID(), randomUUID(), randomUUID()];
    const reservationId = randomUUID();
    await publish('reservation.confirmed', {
      reservationId,
      eventId: refunded,
      userId,
      seatIds: seats,
      amount: 90_000,
      paymentId: randomUUID(),
    });
    await vi.waitFor(async () => expect(await redis.get(`event:${refunded}:tickets:${today}`)).toBe('3'), {
      timeout: 10_000,
    });
    const before = Number(await redis.get(`site:tickets:${today}`));
    await publish('payment.refunded', {
      paymentId: randomUUID(),
      orderId: `order-${randomUUID()}`,
      reservationId,
      eventId: refunded,
      userId,
      amount: 30_000,
      totalRefunded: 30_000,
      seatIds: [seats[0] as string],
      full: false,
      reason: 'one friend cannot come',
    });
    await vi.waitFor(async () => expect(await redis.get(`event:${refunded}:tickets:${today}`)).toBe('2'), {
      timeout: 10_000,
    });
    expect(Number(await redis.get(`site:tickets:${today}`))).toBe(before - 1);
    const dashboard = await app.inject({
      method: 'GET',
      url: '/api/analytics/dashboard',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(dashboard.json().today.ticketsSold).toBe(before - 1);
  });
});
