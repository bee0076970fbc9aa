import type { Generated } from 'kysely';

export type RawEventsTable = {
  id: string;
  occurredAt: Date;
  receivedAt: Generated<Date>;
  source: 'client' | 'service';
  type: string;
  userId: string | null;
  sessionId: string | null;
  eventId: string | null;
  artistId: string | null;
  path: string | null;
  amount: number | null;
  properties: Generated<unknown>;
};

type StatsRow = { metric: string; dimension: string; value: number; updatedAt: Generated<Date> };

export type HourlyStatsTable = StatsRow & { hour: Date };
/** `day` and `month` are SQL dates: written as `yyyy-mm-dd` text, read back with `::text`. */
export type DailyStatsTable = StatsRow & { day: string };
export type MonthlyStatsTable = StatsRow & { month: string };

export type RollupBatchesTable = { batch: string; appliedAt: Generated<Date> };

export type EventProjectionTable = {
  eventId: string;
  artistId: string | null;
  title: string | null;
  status: string | null;
  saleOpensAt: Date | null;
  saleClosesAt: Date | null;
  sourceTime: Date;
  updatedAt: Generated<Date>;
};

export type DB = {
  rawEvents: RawEventsTable;
  hourlyStats: HourlyStatsTable;
  dailyStats: DailyStatsTable;
  monthlyStats: MonthlyStatsTable;
  rollupBatches: RollupBatchesTable;
  eventProjection: EventProjectionTable;
};
