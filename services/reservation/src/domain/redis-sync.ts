import type { Logger } from '@tiketi/kit';
import type { SeatCache } from '../cache/seat-cache.ts';
import type { SeatLocks } from '../cache/seat-locks.ts';
import type { Released } from '../db/reservation.repository.ts';
import type { SeatChange } from '../db/schema.ts';

/** What a committed change asks of Redis: seat states to write, seat locks to give back. */
export type RedisSync = { seats: SeatChange[]; unlock: Map<string, string[]> };

export const nothingToSync = (): RedisSync => ({ seats: [], unlock: new Map() });

export function releasedSync(released: Released): RedisSync {
  return { seats: released.seats, unlock: released.byReservation };
}

/** Folds `more` into `into` (one transaction that ended several holds). */
export function mergeSync(into: RedisSync, more: RedisSync): RedisSync {
  into.seats.push(...more.seats);
  for (const [k, v] of more.unlock) into.unlock.set(k, v);
  return into;
}

/**
 * Updates Redis once the change's transaction has committed. Redis is a cache and a fast path here, so a
 * failure is logged and left to the cache TTL and lock expiry; it never undoes the committed change.
 */
export function redisSyncAfterCommit(deps: {
  cache: SeatCache;
  locks: SeatLocks | undefined;
  logger: Logger;
}) {
  return async (sync: RedisSync): Promise<void> => {
    const unlocking = [...sync.unlock].map(([reservationId, seatIds]) =>
      deps.locks?.release(seatIds, reservationId),
    );
    const results = await Promise.allSettled([deps.cache.apply(sync.seats), ...unlocking]);
    for (const r of results) {
      if (r.status === 'rejected') {
        deps.logger.warn({ err: (r.reason as Error).message }, 'could not update Redis after a change');
      }
    }
  };
}

/** Applies a `RedisSync` after its transaction committed (`syncRedis` in the use cases' dependencies). */
export type SyncRedis = ReturnType<typeof redisSyncAfterCommit>;
