import { type Kysely, sql } from '@tiketi/kit';
import type { DB } from './schema.ts';

export type StatRow = { metric: string; dimension: string; value: number };
export type DailyRow = StatRow & { day: string };
export type MonthlyRow = StatRow & { month: string };

export function statsRepository(db: Kysely<DB>) {
  return {
    /**
     * Adds one staging batch (one hour of increments) to the hourly, daily and monthly tables, once: the
     * batch's row in `rollup_batches` is inserted in the same transaction, and a second attempt (another
     * run, another instance, a retry after a crash) finds it and changes nothing. A concurrent attempt
     * waits on the primary key until the first commits, then sees the conflict.
     */
    async applyBatch(
      batch: string,
      at: { hour: Date; day: string; month: string },
      rows: StatRow[],
      executor: Kysely<DB> = db,
    ): Promise<boolean> {
      return executor.transaction().execute(async (trx) => {
        const claimed = await trx
          .insertInto('rollupBatches')
          .values({ batch })
          .onConflict((oc) => oc.doNothing())
          .returning('batch')
          .executeTakeFirst();
        if (!claimed || rows.length === 0) return Boolean(claimed);
        const base = rows.map((r) => ({ metric: r.metric, dimension: r.dimension, value: r.value }));
        await trx
          .insertInto('hourlyStats')
          .values(base.map((r) => ({ ...r, hour: at.hour })))
          .onConflict((oc) =>
            oc.columns(['metric', 'dimension', 'hour']).doUpdateSet({
              value: sql`hourly_stats.value + excluded.value`,
              updatedAt: sql`now()`,
            }),
          )
          .execute();
        await trx
          .insertInto('dailyStats')
          .values(base.map((r) => ({ ...r, day: at.day })))
          .onConflict((oc) =>
            oc.columns(['metric', 'dimension', 'day']).doUpdateSet({
              value: sql`daily_stats.value + excluded.value`,
              updatedAt: sql`now()`,
            }),
          )
          .execute();
        await trx
          .insertInto('monthlyStats')
          .values(base.map((r) => ({ ...r, month: at.month })))
          .onConflict((oc) =>
            oc.columns(['metric', 'dimension', 'month']).doUpdateSet({
              value: sql`monthly_stats.value + excluded.value`,
              updatedAt: sql`now()`,
            }),
          )
          .execute();
        return true;
      });
    },

    /** A day's distinct-visitor count is a snapshot, not a sum: setting it twice is harmless. */
    async setDaily(
      metric: string,
      dimension: string,
      day: string,
      value: number,
      executor: Kysely<DB> = db,
    ): Promise<void> {
      await executor
        .insertInto('dailyStats')
        .values({ metric, dimension, day, value })
        .onConflict((oc) =>
          oc.columns(['metric', 'dimension', 'day']).doUpdateSet({ value, updatedAt: sql`now()` }),
        )
        .execute();
    },

    async daily(filter: { metrics: string[]; dimension: string; start: string; end: string }) {
      return db
        .selectFrom('dailyStats')
        .select(['metric', 'dimension', 'value', sql<string>`day::text`.as('day')])
        .where('metric', 'in', filter.metrics)
        .where('dimension', '=', filter.dimension)
        .where('day', '>=', filter.start)
        .where('day', '<=', filter.end)
        .execute() as Promise<DailyRow[]>;
    },

    async monthly(filter: { metrics: string[]; dimension: string; start: string; end: string }) {
      return db
        .selectFrom('monthlyStats')
        .select(['metric', 'dimension', 'value', sql<string>`to_char(month, 'YYYY-MM')`.as('month')])
        .where('metric', 'in', filter.metrics)
        .where('dimension', '=', filter.dimension)
        .where('month', '>=', `${filter.start}-01`)
        .where('month', '<=', `${filter.end}-01`)
        .execute() as Promise<MonthlyRow[]>;
    },

    /** Monthly raw-event partitions from the given Seoul month onwards (no-op on a hypertable). */
    async ensurePartitions(fromMonth: string, months: number, executor: Kysely<DB> = db): Promise<void> {
      await sql`select ensure_raw_event_partitions(${`${fromMonth}-01`}::date, ${months}::int)`.execute(
        executor,
      );
    },
  };
}

export type StatsRepository = ReturnType<typeof statsRepository>;
