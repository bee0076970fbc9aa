import { HttpProblem, problems } from '@tiketi/kit';
import type { SeatCache, SeatState } from '../cache/seat-cache.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { SaleInfoSource } from './sale-info.ts';

/** How long a caller waits before asking again for a seat map whose seats are still arriving. */
const NOT_READY_RETRY_SECONDS = 1;

/**
 * The seat map: from the Redis cache, rebuilt from the database when the cache cannot answer. It never
 * answers an empty map: an event is published with at least one seat, and its seats commit with its row.
 */
export function seatMapService(deps: { events: EventRepository; cache: SeatCache; sales: SaleInfoSource }) {
  const { events, cache, sales } = deps;

  async function fromDatabase(eventId: string): Promise<SeatState[]> {
    const rows = await events.seatsOf(eventId);
    return rows.map(({ rowName, ...seat }) => ({ ...seat, row: rowName }));
  }

  /**
   * No seats here yet. The event may be unknown (404), or known (here from `event.updated`, or at the
   * event service) with its `event.published` still on its way: then the caller asks again shortly.
   * The publication may also have committed just after the seats were read, so they are read once more.
   */
  async function whileArriving(eventId: string): Promise<SeatState[]> {
    const sale = await sales.get(eventId);
    if (!sale || sale.status === 'draft') throw problems.notFound('The event');
    const seats = await fromDatabase(eventId);
    if (seats.length > 0) return seats;
    throw new HttpProblem(
      503,
      'SEAT_MAP_NOT_READY',
      "The event's seats are still being set up; please try again in a moment.",
      { headers: { 'retry-after': String(NOT_READY_RETRY_SECONDS), 'cache-control': 'no-store' } },
    );
  }

  return {
    async seats(eventId: string): Promise<SeatState[]> {
      const cached = await cache.read(eventId);
      if (cached) return cached;
      let seats = await fromDatabase(eventId);
      if (seats.length === 0) seats = await whileArriving(eventId);
      await cache.store(eventId, seats);
      return seats;
    },

    async stats(eventId: string) {
      const { counts, known } = await events.stats(eventId);
      if (!known && !(await events.exists(eventId))) throw problems.notFound('The event');
      return counts;
    },
  };
}

export type SeatMapService = ReturnType<typeof seatMapService>;
