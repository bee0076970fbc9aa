import { makeEnvelope, sql } from '@tiketi/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seatCacheKeys } from '../src/cache/seat-cache.ts';
import {
  deliver,
  eventually,
  type Harness,
  type Instance,
  onSaleEvent,
  openHarness,
  published,
  type RunningEventService,
  startEventService,
} from './helpers.ts';

type SeatMap = { seats: { id: string; status: string }[] };

/**
 * The seat map of an event whose inventory is still on its way (the event service announced it, the
 * message is being applied here): never an empty or partial map, which a fan would read as sold out.
 */
describe('a seat map asked while its event arrives', () => {
  let eventService: RunningEventService;
  let h: Harness;
  let svc: Instance;

  beforeAll(async () => {
    eventService = await startEventService('resv-arrival-events');
    h = await openHarness('resv-arrival', {
      EVENT_SERVICE_URL: eventService.url,
      // Its answer decides between 404 and 503 here: a busy machine must not turn a 404 into a timeout.
      EVENT_SERVICE_TIMEOUT_MS: 10_000,
    });
    svc = await h.instance();
    await svc.start();
  });
  afterAll(async () => {
    await h?.cleanup();
    await eventService?.close();
  });

  const seatMap = (eventId: string) => svc.app.inject({ method: 'GET', url: `/api/seats/event/${eventId}` });
  /** Backends of this test's database waiting for a lock: the seat-map read stopped at the event row. */
  const waitingForLock = async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(h.db);
    return rows[0]?.n ?? 0;
  };

  it('answers every seat when the publication commits between reading the seats and finding the event', async () => {
    const event = onSaleEvent(30);
    let reading: ReturnType<typeof seatMap> | undefined;
    const outcome = await h.db.transaction().execute(async (trx) => {
      const applied = await svc.handlers.catalogue(published(event) as never, trx);
      // The read sees no seats (not committed yet) and then waits on the event row until the commit.
      await sql`lock table events in access exclusive mode`.execute(trx);
      reading = seatMap(event.eventId);
      await eventually(async () => expect(await waitingForLock()).toBeGreaterThan(0));
      return applied;
    });
    await svc.handlers.afterCatalogue(outcome);
    const res = await (reading as ReturnType<typeof seatMap>);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as SeatMap).seats).toHaveLength(30);
  });

  it('answers 503 with Retry-After, not an empty map, for an event known here before its seats, and keeps no copy', async () => {
    const event = onSaleEvent(12);
    const { eventId, status, saleOpensAt, saleClosesAt, perUserLimit, waitingRoom } = event;
    const sale = { eventId, status, saleOpensAt, saleClosesAt, perUserLimit, waitingRoom };
    await deliver(svc, makeEnvelope('event.updated', sale));

    const early = await seatMap(event.eventId);
    expect(early.statusCode, early.body).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    expect(early.headers['cache-control']).toBe('no-store');
    expect(early.json()).toMatchObject({ code: 'SEAT_MAP_NOT_READY', status: 503 });
    expect(await h.redis.exists(seatCacheKeys.layout(event.eventId))).toBe(0);

    await deliver(svc, published(event));
    const later = await seatMap(event.eventId);
    expect(later.statusCode, later.body).toBe(200);
    expect((later.json() as SeatMap).seats).toHaveLength(12);
  });

  it('answers 404 for an event neither this service nor the event service knows', async () => {
    const unknown = onSaleEvent(1).eventId;
    const res = await seatMap(unknown);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
