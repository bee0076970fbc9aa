import { type Kysely, type Logger, type Metrics, MORE_WORK, periodicJob } from '@tiketi/kit';
import type { ReservationRepository } from '../db/reservation.repository.ts';
import type { DB } from '../db/schema.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';
import type { HoldRelease } from './hold-release.ts';
import type { SyncRedis } from './redis-sync.ts';

/** One sweep of expired holds, in one transaction; answers how many were released. */
export function expireDueHolds(deps: {
  db: Kysely<DB>;
  reservations: ReservationRepository;
  vouchers: VoucherRepository;
  release: HoldRelease;
  syncRedis: SyncRedis;
}) {
  const { db, reservations, vouchers, release, syncRedis } = deps;
  return async (batchSize: number): Promise<number> => {
    const { count, sync } = await db.transaction().execute(async (trx) => {
      const due = await reservations.expireDue(trx, batchSize);
      if (due.length === 0) return { count: 0, sync: undefined };
      const ids = due.map((r) => r.id);
      await vouchers.giveBackUses(trx, ids);
      const released = await reservations.releaseSeats(trx, ids);
      const areasOf = new Map<string, string[]>();
      for (const r of due) await release.announceExpired(trx, r, released, r.waitlistOffer, areasOf);
      const sync = await release.offerReleased(trx, released, {
        reservationIds: ids,
        eventIds: due.map((r) => r.eventId),
      });
      return { count: due.length, sync };
    });
    if (sync) await syncRedis(sync);
    return count;
  };
}

/**
 * Releases expired holds: a loop over the database (not timers in memory), so a hold is released on time
 * even when every instance restarted in between. Instances sweep side by side (`SKIP LOCKED`). A full
 * batch is followed at once by the next, so a backlog drains without waiting an interval per batch.
 */
export function expirySweeper(options: {
  sweep: (batchSize: number) => Promise<number>;
  intervalMs: number;
  batchSize: number;
  logger: Logger;
  metrics?: Metrics;
}) {
  return periodicJob({
    name: 'expiry sweep',
    intervalMs: options.intervalMs,
    runAtStart: true,
    logger: options.logger,
    metrics: options.metrics,
    async pass() {
      const released = await options.sweep(options.batchSize);
      if (released > 0) options.logger.info({ released }, 'expired holds released');
      return released === options.batchSize ? MORE_WORK : undefined;
    },
  });
}

export type ExpirySweeper = ReturnType<typeof expirySweeper>;
