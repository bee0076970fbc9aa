import { makeEnvelope, outsideHeldConnections, sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { seatCacheKeys } from '../src/cache/seat-cache.ts';
import {
  deliver,
  documentedStatuses,
  eventually,
  onSaleEvent,
  published,
  reservationSuite,
} from './helpers.ts';

type SeatMap = { seats: { id: string; status: string }[] };

/**
 * The seat map of an event whose inventory is still on its way (the event service announced it, the
 * message is being applied here): never an empty or partial map, which a fan would read as sold out.
 */
describe('a seat map asked while its event arrives', () => {
  const h = reservationSuite('resv-arrival', {
    eventService: true,
    // Its answer decides between 404 and 503 here: a busy machine must not turn a 404 into a timeout.
    config: { EVENT_SERVICE_TIMEOUT_MS: 10_000 },
    start: true,
  });

  const seatMap = (eventId: string) => h.app.inject({ method: 'GET', url: `/api/seats/event/${eventId}` });
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
      const applied = await h.svc.handlers.catalogue(published(event) as never, trx);
      // The read sees no seats (not committed yet) and then waits on the event row until the commit.
      await sql`lock table events in access exclusive mode`.execute(trx);
      // The read and the watch on it are other clients, with their own connections.
      await outsideHeldConnections(async () => {
        reading = seatMap(event.eventId);
        await eventually(async () => expect(await waitingForLock()).toBeGreaterThan(0));
      });
      return applied;
    });
    await h.svc.handlers.afterCatalogue(outcome);
    const res = await (reading as ReturnType<typeof seatMap>);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as SeatMap).seats).toHaveLength(30);
  });

  it('answers 503 with Retry-After, not an empty map, for an event known here before its seats, and keeps no copy', async () => {
    const event = onSaleEvent(12);
    const { eventId, status, saleOpensAt, saleClosesAt, perUserLimit, waitingRoom } = event;
    const sale = { eventId, status, saleOpensAt, saleClosesAt, perUserLimit, waitingRoom };
    await deliver(h.svc, makeEnvelope('event.updated', sale));

    const early = await seatMap(event.eventId);
    expect(early.statusCode, early.body).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    expect(early.headers['cache-control']).toBe('no-store');
    expect(early.json()).toMatchObject({ code: 'SEAT_MAP_NOT_READY', status: 503 });
    expect(await h.redis.exists(seatCacheKeys.layout(event.eventId))).toBe(0);

    await deliver(h.svc, published(event));
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

  it('documents the 404 and the 503 of each part of the seat map in OpenAPI', async () => {
    for (const path of [
      '/api/seats/event/{eventId}',
      '/api/seats/event/{eventId}/layout/{version}',
      '/api/seats/event/{eventId}/availability',
    ]) {
      expect(await documentedStatuses(h.app, path), path).toEqual(
        expect.arrayContaining(['200', '404', '503']),
      );
    }
  });
});
