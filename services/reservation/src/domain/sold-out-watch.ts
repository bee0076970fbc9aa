import { type Kysely, type Logger, type Metrics, periodicJob, publishInTransaction } from '@tiketi/kit';
import type { EventRepository } from '../db/event.repository.ts';
import type { DB } from '../db/schema.ts';

/**
 * Looks every `intervalMs` at the events on sale for those whose last seat or standing place was taken, or
 * that have one again (a hold ended unpaid, a refund), and announces each change
 * (`sale.availability_changed`) in the same transaction that records it. A look, not a step of each hold:
 * a drop's holds pay nothing for it, and a seat that comes back and goes again within one look changes
 * nothing anyone needs to hear of.
 */
export function soldOutWatch(deps: {
  db: Kysely<DB>;
  events: Pick<EventRepository, 'recordSoldOut'>;
  intervalMs: number;
  logger: Logger;
  metrics?: Metrics;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return periodicJob({
    name: 'sold-out watch',
    intervalMs: deps.intervalMs,
    runAtStart: true,
    logger: deps.logger,
    metrics: deps.metrics,
    async pass() {
      const at = now();
      const changed = await deps.db.transaction().execute(async (trx) => {
        const rows = await deps.events.recordSoldOut(trx, at);
        for (const row of rows) {
          await publishInTransaction(trx, 'sale.availability_changed', { ...row, at: at.toISOString() });
        }
        return rows;
      });
      if (changed.length) deps.logger.info({ changed }, 'events sold out, or with seats again');
    },
  });
}
