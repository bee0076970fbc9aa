import type { Logger } from '@tiketi/kit';
import type { SeatCache } from '../cache/seat-cache.ts';
import type { SeatLocks } from '../cache/seat-locks.ts';
import type { Released } from '../db/reservation.repository.ts';
import type { SeatChange } from '../db/schema.ts';

/** What a committed change asks of Redis: seat states to write, seat locks to give back. */
export type Aftermath = { seats: SeatChange[]; unlock: Map<string, string[]> };

export const noAftermath = (): Aftermath => ({ seats: [], unlock: new Map() });

export function releasedAftermath(released: Released): Aftermath {
  return { seats: released.seats, unlock: released.byReservation };
}

/**
 * Applies an aftermath once its transaction has committed. Redis is a cache and a fast path here, so a
 * failure is logged and left to the cache TTL and lock expiry; it never undoes the committed change.
 */
export function aftermathRunner(deps: { cache: SeatCache; locks: SeatLocks | undefined; logger: Logger }) {
  return async (aftermath: Aftermath): Promise<void> => {
    const unlocking = [...aftermath.unlock].map(([reservationId, seatIds]) =>
      deps.locks?.release(seatIds, reservationId),
    );
    const results = await Promise.allSettled([deps.cache.apply(aftermath.seats), ...unlocking]);
    for (const r of results) {
      if (r.status === 'rejected') {
        deps.logger.warn({ err: (r.reason as Error).message }, 'could not update Redis after a change');
      }
    }
  };
}

export type AftermathRunner = ReturnType<typeof aftermathRunner>;
