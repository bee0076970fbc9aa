import { problems } from '@tiketi/kit';
import type { SeatCache, SeatState } from '../cache/seat-cache.ts';
import type { EventRepository } from '../db/event.repository.ts';

/** The seat map: from the Redis cache, rebuilt from the database when the cache cannot answer. */
export function seatMapService(deps: { events: EventRepository; cache: SeatCache }) {
  const { events, cache } = deps;

  async function fromDatabase(eventId: string): Promise<SeatState[]> {
    const rows = await events.seatsOf(eventId);
    return rows.map(({ rowName, ...seat }) => ({ ...seat, row: rowName }));
  }

  return {
    async seats(eventId: string): Promise<SeatState[]> {
      const cached = await cache.read(eventId);
      if (cached) return cached;
      const seats = await fromDatabase(eventId);
      if (seats.length === 0) {
        if (!(await events.exists(eventId))) throw problems.notFound('The event');
        return seats;
      }
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
