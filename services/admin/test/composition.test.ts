import type {
  AdminDashboard,
  AdminEventSales,
  AdminQueueState,
  AdminUserDetail,
  AnalyticsDashboard,
} from '@tiketi/contracts';
import { challengeHeader } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DOWN, operatorOf, type Platform, publishedEvent, signedUp, startPlatform } from './platform.ts';

type AdminApp = Awaited<ReturnType<Platform['admin']>>;

/*
 * One sale told in phases: a fan holds two seats, pays for them, an operator refunds one, the reservation
 * service stops. Each phase is set up by the hooks of its own block, so every test reads the state its
 * block names, whatever other tests of that block did.
 */
describe('the admin views composed from the real services', () => {
  let platform: Platform;
  let admin: AdminApp;
  let asAdmin: { authorization: string };
  let fan: Awaited<ReturnType<typeof signedUp>>;
  let asFan: { authorization: string };
  let openSale: string;
  let queuedSale: string;
  let seatIds: string[];
  let reservationId: string;

  const onSaleEvent = (title: string, waitingRoom: boolean) =>
    publishedEvent(platform, asAdmin, { title, waitingRoom });
  const internal = () => ({ 'x-internal-token': platform.internalToken });
  const seatStats = async (eventId: string) => {
    const res = await platform.reservation.app.inject({
      url: `/internal/events/${eventId}/stats`,
      headers: internal(),
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { available: number; held: number; sold: number };
  };
  const analyticsDashboard = async () => {
    const res = await platform.analytics.app.inject({ url: '/api/analytics/dashboard', headers: asAdmin });
    expect(res.statusCode).toBe(200);
    return res.json() as AnalyticsDashboard;
  };
  const paymentRevenue = async (eventId: string) => {
    const res = await platform.payment.app.inject({
      url: `/api/payments/events/${eventId}/revenue`,
      headers: asAdmin,
    });
    expect(res.statusCode).toBe(200);
    return res.json() as Record<string, number>;
  };
  const get = async <T>(url: string, app = admin) => {
    const res = await app.inject({ url, headers: asAdmin });
    expect(res.statusCode, url).toBe(200);
    return res.json() as T;
  };
  /** The reservation service and analytics learn of events from `event.published` over RabbitMQ. */
  const learnt = (eventIds: string[]) =>
    vi.waitFor(
      async () => {
        for (const id of eventIds) expect((await seatStats(id)).available).toBe(10);
        const known = (await analyticsDashboard()).onSale.map((e) => e.eventId);
        expect(known).toEqual(expect.arrayContaining(eventIds));
      },
      { timeout: 15_000, interval: 100 },
    );

  beforeAll(async () => {
    platform = await startPlatform('adm-compose');
    admin = await platform.admin();
    ({ asAdmin } = await operatorOf(platform, 'operator@admin.test'));
    fan = await signedUp(platform, 'fan@admin.test');
    asFan = fan.headers;
    openSale = await onSaleEvent('Open Sale Night', false);
    queuedSale = await onSaleEvent('Queued Sale Night', true);
    await learnt([openSale, queuedSale]);

    // The fan holds two seats of the open sale.
    const seatMap = await platform.reservation.app.inject({ url: `/api/seats/event/${openSale}` });
    seatIds = (seatMap.json() as { seats: { id: string }[] }).seats.slice(0, 2).map((s) => s.id);
    const hold = await platform.reservation.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: asFan,
      payload: { eventId: openSale, seatIds },
    });
    expect(hold.statusCode).toBe(201);
    reservationId = (hold.json() as { reservationId: string }).reservationId;
    await vi.waitFor(
      async () => {
        const figures = (await analyticsDashboard()).onSale.find((e) => e.eventId === openSale);
        expect(figures?.reservations).toBe(1);
      },
      { timeout: 15_000, interval: 100 },
    );
  });
  afterAll(() => platform?.close());

  it('shows every on-sale event with the seat counts the reservation service gives', async () => {
    const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
    expect(dashboard).toMatchObject({ partial: false, unavailable: [] });
    const open = dashboard.onSale?.find((e) => e.eventId === openSale);
    expect(open).toMatchObject({
      title: 'Open Sale Night',
      status: 'on_sale',
      waitingRoom: false,
      seats: await seatStats(openSale),
      queue: null,
    });
    expect(open?.seats).toEqual({ available: 8, held: 2, sold: 0 });
    const queued = dashboard.onSale?.find((e) => e.eventId === queuedSale);
    expect(queued).toMatchObject({ waitingRoom: true, seats: await seatStats(queuedSale) });
    expect(queued?.queue).toEqual({ waiting: 0, activeShoppers: 0 });
  });

  it("carries the analytics dashboard's numbers unchanged", async () => {
    const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
    const direct = await analyticsDashboard();
    expect(dashboard.analytics?.today).toEqual(direct.today);
    expect(dashboard.analytics?.today.reservations).toBe(1);
    const figures = direct.onSale.find((e) => e.eventId === openSale);
    expect(dashboard.onSale?.find((e) => e.eventId === openSale)?.today).toEqual({
      views: figures?.views,
      reservations: 1,
      sales: figures?.sales,
      tickets: figures?.tickets,
      revenue: figures?.revenue,
    });
  });

  it('survives analytics being down and says so', async () => {
    const withoutAnalytics = await platform.admin({ analytics: DOWN });
    const dashboard = await get<AdminDashboard>('/api/admin/dashboard', withoutAnalytics);
    expect(dashboard).toMatchObject({ partial: true, unavailable: ['analytics'], analytics: null });
    const open = dashboard.onSale?.find((e) => e.eventId === openSale);
    expect(open).toMatchObject({ title: 'Open Sale Night', seats: { held: 2 }, today: null });
  });

  it('lists the open sales from analytics while the event service is down', async () => {
    const withoutEvents = await platform.admin({ event: DOWN });
    const dashboard = await get<AdminDashboard>('/api/admin/dashboard', withoutEvents);
    expect(dashboard).toMatchObject({ partial: true, unavailable: ['event'] });
    const open = dashboard.onSale?.find((e) => e.eventId === openSale);
    expect(open).toMatchObject({
      title: 'Open Sale Night',
      status: null,
      waitingRoom: null,
      seats: { available: 8, held: 2, sold: 0 },
      today: { reservations: 1 },
    });
  });

  it('answers one event’s sales with what the event, reservation and payment services say', async () => {
    const sales = await get<AdminEventSales>(`/api/admin/events/${openSale}/sales`);
    expect(sales).toMatchObject({
      eventId: openSale,
      partial: false,
      unavailable: [],
      event: { title: 'Open Sale Night', status: 'on_sale', seatCount: 10, waitingRoom: false },
      seats: await seatStats(openSale),
      revenue: await paymentRevenue(openSale),
    });
    expect(sales.revenue).toEqual({
      payments: 0,
      grossAmount: 0,
      refunds: 0,
      refundedAmount: 0,
      netAmount: 0,
    });
    const missing = await admin.inject({
      url: '/api/admin/events/0190a1b2-0000-7000-8000-0000000000ff/sales',
      headers: asAdmin,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('finds users and shows their reservations as the upstreams answer them', async () => {
    const found = await get<{ items: { id: string; email: string }[]; total: number }>(
      '/api/admin/users?query=fan%40admin',
    );
    expect(found.items.map((u) => u.id)).toEqual([fan.user.id]);
    const detail = await get<AdminUserDetail>(`/api/admin/users/${fan.user.id}`);
    expect(detail.user).toMatchObject({ id: fan.user.id, email: 'fan@admin.test', role: 'user' });
    expect(detail.reservations?.items.map((r) => r.id)).toEqual([reservationId]);
    expect(detail).toMatchObject({ partial: false, unavailable: [], payments: { items: [], total: 0 } });

    const direct = await platform.reservation.app.inject({
      url: `/api/reservations?eventId=${openSale}&status=PENDING`,
      headers: asAdmin,
    });
    const searched = await get<unknown>(`/api/admin/reservations?eventId=${openSale}&status=PENDING`);
    expect(searched).toEqual(direct.json());
    expect((searched as { total: number }).total).toBe(1);
  });

  it('shows an account its owner deleted beside the orders kept, and 404 for an id nothing knows', async () => {
    const stranger = await signedUp(platform, 'stranger@admin.test');
    await platform.users.db.deleteFrom('users').where('id', '=', stranger.user.id).execute();
    const unknown = await admin.inject({ url: `/api/admin/users/${stranger.user.id}`, headers: asAdmin });
    expect(unknown.statusCode).toBe(404);

    // The fan's row goes for a moment, as a deletion by its owner takes it; the orders stay.
    const row = await platform.users.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', fan.user.id)
      .executeTakeFirstOrThrow();
    await platform.users.db.deleteFrom('users').where('id', '=', fan.user.id).execute();
    try {
      const detail = await get<AdminUserDetail>(`/api/admin/users/${fan.user.id}`);
      expect(detail).toMatchObject({ user: null, partial: false, unavailable: [] });
      expect(detail.reservations?.items.map((r) => r.id)).toEqual([reservationId]);
    } finally {
      await platform.users.db.insertInto('users').values(row).execute();
    }
  });

  it("shows a waiting room's line as the queue service counts it", async () => {
    // A sale of its own: the line of the shared one is empty for the dashboard test.
    const lineSale = await onSaleEvent('Line Night', true);
    await learnt([lineSale]);
    // The queue service learns of it over RabbitMQ too.
    await vi.waitFor(
      async () => {
        const join = await platform.queue.app.inject({
          method: 'POST',
          url: `/api/queue/${lineSale}/join`,
          headers: { ...asFan, ...(await challengeHeader({}, 'join', lineSale)) },
        });
        expect(join.statusCode).toBe(201);
      },
      { timeout: 15_000, interval: 100 },
    );
    await platform.queue.step();
    const status = await platform.queue.app.inject({
      url: `/api/queue/${lineSale}/status`,
      headers: asFan,
    });
    const state = (status.json() as { state: 'waiting' | 'admitted' }).state;

    const view = await get<AdminQueueState>(`/api/admin/queue/${lineSale}`);
    expect(view).toMatchObject({
      partial: false,
      event: {
        title: 'Line Night',
        onSale: true,
        waitingRoom: { enabled: true, maxActiveShoppers: 50 },
      },
      seats: { available: 10, held: 0, sold: 0 },
      queue: state === 'admitted' ? { waiting: 0, activeShoppers: 1 } : { waiting: 1, activeShoppers: 0 },
    });
    const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
    expect(dashboard.onSale?.find((e) => e.eventId === lineSale)?.queue).toEqual(view.queue);
  });

  describe('once the fan has paid for the two seats', () => {
    let paymentId: string;
    beforeAll(async () => {
      const opened = await platform.payment.app.inject({
        method: 'POST',
        url: '/api/payments/toss/request',
        headers: asFan,
        payload: {
          reservationId,
          amount: 176_000,
          customerInfo: { name: 'Admin Fan', email: 'fan@admin.test' },
        },
      });
      expect(opened.statusCode, opened.body).toBe(201);
      const body = opened.json() as { paymentId: string; paymentUrl: string };
      paymentId = body.paymentId;
      const paid = platform.toss.authorize(
        new URL(body.paymentUrl).pathname.split('/').pop() ?? '',
        'approve',
      );
      const confirmed = await platform.payment.app.inject({
        method: 'POST',
        url: '/api/payments/toss/confirm',
        headers: asFan,
        payload: { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
      });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      await vi.waitFor(
        async () => {
          expect((await analyticsDashboard()).today.orders).toBe(1);
          expect((await seatStats(openSale)).sold).toBe(2);
        },
        { timeout: 15_000, interval: 100 },
      );
    });

    it('shows a completed purchase: the sale, its revenue and the seats sold', async () => {
      const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
      expect(dashboard.partial).toBe(false);
      expect(dashboard.analytics?.today).toMatchObject({ orders: 1, revenue: 176_000, ticketsSold: 2 });
      expect(dashboard.onSale?.find((e) => e.eventId === openSale)).toMatchObject({
        seats: { available: 8, held: 0, sold: 2 },
        today: { sales: 1, tickets: 2, revenue: 176_000 },
      });
      const sales = await get<AdminEventSales>(`/api/admin/events/${openSale}/sales`);
      expect(sales.revenue).toEqual(await paymentRevenue(openSale));
      expect(sales.revenue).toMatchObject({ payments: 1, grossAmount: 176_000, netAmount: 176_000 });

      const direct = await platform.payment.app.inject({
        url: `/api/payments?eventId=${openSale}`,
        headers: asAdmin,
      });
      const searched = await get<{ items: { id: string; status: string }[] }>(
        `/api/admin/payments?eventId=${openSale}`,
      );
      expect(searched).toEqual(direct.json());
      expect(searched.items.map((p) => [p.id, p.status])).toEqual([[paymentId, 'COMPLETED']]);
      const detail = await get<AdminUserDetail>(`/api/admin/users/${fan.user.id}`);
      expect(detail.payments?.items.map((p) => p.id)).toEqual([paymentId]);
    });

    describe('once an operator has refunded one of the seats', () => {
      let refund: Awaited<ReturnType<AdminApp['inject']>>;
      beforeAll(async () => {
        refund = await admin.inject({
          method: 'POST',
          url: `/api/admin/payments/${paymentId}/refund`,
          headers: asAdmin,
          payload: { seatIds: [seatIds[0]], reason: 'the fan cannot attend' },
        });
        await vi.waitFor(
          async () => {
            expect((await analyticsDashboard()).today.refunds).toBe(1);
            expect(await seatStats(openSale)).toEqual({ available: 9, held: 0, sold: 1 });
          },
          { timeout: 15_000, interval: 100 },
        );
      });

      it('refunds one seat through the payment service, and revenue and seats follow', async () => {
        expect(refund.statusCode, refund.body).toBe(200);
        expect(refund.json()).toMatchObject({
          id: paymentId,
          status: 'PARTIALLY_REFUNDED',
          refundedAmount: 88_000,
        });
        const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
        expect(dashboard.analytics?.today).toMatchObject({
          orders: 1,
          revenue: 88_000,
          refundedAmount: 88_000,
        });
        const sales = await get<AdminEventSales>(`/api/admin/events/${openSale}/sales`);
        expect(sales).toMatchObject({
          seats: { available: 9, held: 0, sold: 1 },
          revenue: {
            payments: 1,
            grossAmount: 176_000,
            refunds: 1,
            refundedAmount: 88_000,
            netAmount: 88_000,
          },
        });

        const again = await admin.inject({
          method: 'POST',
          url: `/api/admin/payments/${paymentId}/refund`,
          headers: asAdmin,
          payload: { amount: 500_000, reason: 'more than was paid' },
        });
        // The payment service's refusal reaches the operator as it was given.
        expect(again.statusCode).toBe(422);
        expect(again.headers['content-type']).toMatch(/problem\+json/);
        expect(again.json()).toMatchObject({ code: 'REFUND_TOO_LARGE' });
      });

      describe('once the reservation service has stopped', () => {
        beforeAll(() => platform.reservation.app.close());

        it('keeps answering, marking the seats it cannot count', async () => {
          const dashboard = await get<AdminDashboard>('/api/admin/dashboard');
          expect(dashboard).toMatchObject({ partial: true, unavailable: ['reservation'] });
          expect(dashboard.analytics?.today.reservations).toBe(1);
          const open = dashboard.onSale?.find((e) => e.eventId === openSale);
          expect(open).toMatchObject({
            title: 'Open Sale Night',
            seats: null,
            today: { reservations: 1, sales: 1 },
          });
          const sales = await get<AdminEventSales>(`/api/admin/events/${openSale}/sales`);
          expect(sales).toMatchObject({
            unavailable: ['reservation'],
            event: { title: 'Open Sale Night' },
            revenue: { netAmount: 88_000 },
            seats: null,
          });
        });
      });
    });
  });
});
