import type { Logger, Metrics } from '@tiketi/kit';
import type { RedisSync, SyncRedis } from './redis-sync.ts';

export type HoldFigures = { active: number; expiryLagSeconds: number };

/**
 * The business metrics deploy/monitoring's alerts and dashboard read. The hold gauges are counted in the
 * database when scraped (every instance reports the same database-wide figure: aggregate with max); tickets
 * sold are counted as the seats a committed confirmation sold, once per confirmation.
 */
export function reservationMetrics(deps: {
  metrics: Metrics;
  holdFigures: () => Promise<HoldFigures>;
  logger: Logger;
}) {
  const figures = () =>
    deps.holdFigures().catch((error: Error) => {
      // A database outage must not fail the whole scrape (and hide the RED metrics); readiness reports it.
      deps.logger.warn({ err: error.message }, 'could not count holds for the metrics');
      return undefined;
    });
  deps.metrics.gauge(
    'tiketi_reservation_holds_active',
    'Seat holds running now (pending, not expired).',
    [],
    async (gauge) => {
      const now = await figures();
      if (now) gauge.set(now.active);
    },
  );
  deps.metrics.gauge(
    'tiketi_reservation_hold_expiry_lag_seconds',
    'How far past its expiry the oldest hold not yet released is (0 when the sweeper keeps up).',
    [],
    async (gauge) => {
      const now = await figures();
      if (now) gauge.set(now.expiryLagSeconds);
    },
  );
  const ticketsSold = deps.metrics.counter('tiketi_tickets_sold_total', 'Tickets issued, one per seat sold.');

  return {
    /** Counts the seats a committed change sold, then updates Redis. */
    countingSales(syncRedis: SyncRedis): SyncRedis {
      return async (sync: RedisSync) => {
        const sold = sync.seats.filter((seat) => seat.status === 'sold').length;
        if (sold > 0) ticketsSold.inc(sold);
        await syncRedis(sync);
      };
    },
  };
}
