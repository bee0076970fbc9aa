import { type Kysely, type Logger, sql } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { CounterStore } from '../db/counter.store.ts';
import type { DB } from '../db/schema.ts';
import type { StatRow, StatsRepository } from '../db/stats.repository.ts';
import { parseHourField, UNIQUE_VISITORS } from './counters.ts';
import { addDays, type Clock, dayKey, fromDayKey, fromHourKey, hourStart, isoDay, monthOf } from './kst.ts';

/** Any constant: one rollup at a time per analytics database. */
const ROLLUP_LOCK = 4_006_001;
const PARTITION_MONTHS_AHEAD = 3;

export type RollupResult = {
  /** False when another instance held the lock; it does the work. */
  ran: boolean;
  batchesApplied: number;
  visitorDays: number;
};

/**
 * The hourly job: moves finished hours of Redis increments into `hourly_stats` (and, in the same
 * transaction, the Seoul `daily_stats` and `monthly_stats`), exactly once.
 *
 * 1. Each finished hour's hash is renamed to a uniquely named staging key, atomically with removing it
 *    from the set of pending hours, so an increment arriving meanwhile starts a new hash, never a lost one.
 * 2. Each staging key (new, or left by a crashed run) is applied under its name in `rollup_batches`,
 *    which turns a second application into a no-op, then deleted.
 * An advisory lock keeps several instances (or a CronJob beside the in-service timer) from doing the
 * same work at once; correctness does not depend on it, only efficiency.
 *
 * It also snapshots each day's unique-visitor HyperLogLog into `daily_stats` and drops it once the day
 * is over, and creates the raw-event partitions of the coming months.
 */
export function rollupJob(deps: {
  db: Kysely<DB>;
  counters: CounterStore;
  stats: StatsRepository;
  clock: Clock;
  logger: Logger;
}) {
  const { counters, stats, clock, logger } = deps;

  // Everything below runs under the rollup's lock, on the lock's connection (`conn`).
  async function applyStaged(conn: Kysely<DB>): Promise<number> {
    let applied = 0;
    for (const batch of await counters.stagedBatches()) {
      const hour = fromHourKey(counters.hourOfBatch(batch.name));
      const day = isoDay(hour);
      const rows: StatRow[] = [];
      for (const [field, value] of Object.entries(batch.fields)) {
        const parsed = parseHourField(field);
        const amount = Number(value);
        if (!parsed || !Number.isSafeInteger(amount)) {
          logger.error({ batch: batch.name, field }, 'unreadable counter field skipped');
          continue;
        }
        if (amount !== 0) rows.push({ ...parsed, value: amount });
      }
      const first = await stats.applyBatch(
        batch.name,
        { hour, day, month: `${monthOf(day)}-01` },
        rows,
        conn,
      );
      if (first) applied++;
      await counters.dropBatch(batch.name);
    }
    return applied;
  }

  async function snapshotVisitors(conn: Kysely<DB>, today: string): Promise<number> {
    const yesterday = addDays(today, -1);
    const days = await counters.visitorDays();
    for (const { artistId, day } of days) {
      const date = fromDayKey(day);
      const count = await counters.uniqueVisitors(artistId, day);
      if (count > 0) await stats.setDaily(UNIQUE_VISITORS, `artist:${artistId}`, date, count, conn);
      // Views are counted at the time they happen, so a day before yesterday gets no more visitors.
      if (date < yesterday) await counters.dropVisitors(artistId, day);
    }
    return days.length;
  }

  async function runLocked(conn: Kysely<DB>): Promise<Omit<RollupResult, 'ran'>> {
    const now = clock();
    const currentHour = hourStart(now).getTime();
    for (const hour of await counters.pendingHours()) {
      if (fromHourKey(hour).getTime() < currentHour) await counters.stageHour(hour, uuidv7());
    }
    const batchesApplied = await applyStaged(conn);
    const visitorDays = await snapshotVisitors(conn, isoDay(now));
    await stats.ensurePartitions(monthOf(isoDay(now)), PARTITION_MONTHS_AHEAD, conn);
    return { batchesApplied, visitorDays };
  }

  return {
    async run(): Promise<RollupResult> {
      // A session-level advisory lock needs the same connection for lock and unlock.
      return deps.db.connection().execute(async (conn) => {
        const { rows } = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_lock(${ROLLUP_LOCK}) as locked`.execute(conn);
        if (!rows[0]?.locked) return { ran: false, batchesApplied: 0, visitorDays: 0 };
        try {
          const result = await runLocked(conn);
          logger.info({ ...result, day: dayKey(clock()) }, 'rollup done');
          return { ran: true, ...result };
        } finally {
          await sql`select pg_advisory_unlock(${ROLLUP_LOCK})`.execute(conn);
        }
      });
    },
  };
}

export type RollupJob = ReturnType<typeof rollupJob>;
