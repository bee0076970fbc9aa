import { type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import type { Bus } from './bus.ts';
import { type OutboxWriter, onOutboxCommit, wakeRelayAfterCommit } from './db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { MORE_WORK, type PeriodicJob, periodicJob } from './periodic-job.ts';

export type RelayOptions<DB> = {
  db: Kysely<DB>;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /**
   * How long a commit's wake-up waits for the commits right behind it (default 10 ms), so that under load
   * one pass publishes many rows instead of one pass (a transaction and a publish) per committed row.
   */
  coalesceMs?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
  /** Where the relay's passes are counted (`tiketi_job_runs_total{job="outbox relay"}`). */
  metrics?: Metrics;
  /** Test hook: runs after a batch is published and before it is marked sent. */
  afterPublish?: () => Promise<void>;
};

/**
 * An envelope as an outbox row: its values in the columns' order `(id, type, envelope)`, as parameters.
 * The one way TypeScript spells an outbox row, whether it inserts it (`writeOutbox`) or hands it to a
 * database function that inserts it (the reservation service's `hold_seats`).
 */
export function outboxRow(envelope: { id: string; type: string }) {
  return sql`${envelope.id}::uuid, ${envelope.type}::text, ${JSON.stringify(envelope)}::jsonb`;
}

/**
 * Writes an envelope to the outbox with `executor` (in the caller's transaction, if it is one) and tells
 * the relay to wake once that commits.
 */
export async function writeOutbox(
  executor: OutboxWriter,
  envelope: { id: string; type: string },
): Promise<void> {
  await sql`insert into outbox (id, type, envelope) values (${outboxRow(envelope)})`.execute(executor);
  await wakeRelayAfterCommit(executor);
}

const DAY_MS = 86_400_000;
/**
 * How long a consumer's inbox remembers the events it handled (the relay's cleanup deletes the rest). Not a
 * setting: the bus refuses events older than this, and the two must agree.
 */
export const INBOX_RETENTION_MS = 30 * DAY_MS;

type OutboxRow = { id: string; type: string; envelope: { id: string; type: string; traceparent?: string } };

/**
 * Publishes outbox rows with publisher confirms, then marks them sent. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several instances share the work without publishing the same batch at once.
 * A crash between publish and mark re-publishes the batch: consumers' inboxes absorb the duplicate.
 *
 * The relay wakes shortly after its own process commits an outbox row (`wakeRelayAfterCommit`;
 * `coalesceMs` later, so the commits of that moment go out together); rows written by another instance that
 * died before publishing them are found by the poll. Wake-ups that arrive while a batch is being published
 * are folded into one more batch, so under load the batches grow instead of the relay running once per commit.
 */
export class OutboxRelay<DB = unknown> {
  private readonly options: Required<Omit<RelayOptions<DB>, 'afterPublish' | 'metrics'>> &
    Pick<RelayOptions<DB>, 'afterPublish'>;
  private readonly job: PeriodicJob;
  private unsubscribe: (() => void) | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private lastCleanup = 0;

  constructor(options: RelayOptions<DB>) {
    this.options = {
      batchSize: 100,
      pollIntervalMs: 500,
      coalesceMs: 10,
      retentionMs: DAY_MS,
      ...options,
    };
    this.job = periodicJob({
      name: 'outbox relay',
      intervalMs: this.options.pollIntervalMs,
      runAtStart: true,
      // RabbitMQ away: the retries thin out to one every ten seconds instead of one per poll.
      maxBackoffMs: 10_000,
      logger: options.logger,
      metrics: options.metrics,
      pass: async () => {
        const sent = await this.runOnce();
        await this.cleanup();
        return sent === this.options.batchSize ? MORE_WORK : undefined;
      },
    });
  }

  /** Publishes one batch; returns how many rows went out. */
  async runOnce(): Promise<number> {
    const { db, bus, batchSize, afterPublish } = this.options;
    return db.transaction().execute(async (trx) => {
      // The oldest unpublished rows, locked, skipping another relay's (the function says why it is one).
      const { rows } =
        await sql<OutboxRow>`select id, type, envelope from outbox_claim(${batchSize}::int)`.execute(trx);
      if (rows.length === 0) return 0;
      await Promise.all(rows.map((row) => bus.publish(row.envelope)));
      if (afterPublish) await afterPublish();
      await sql`update outbox set published_at = now() where id = any(${rows.map((r) => r.id)}::uuid[])`.execute(
        trx,
      );
      return rows.length;
    });
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = onOutboxCommit(this.options.db as Kysely<unknown>, () => this.wakeSoon());
    this.job.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    await this.job.stop();
  }

  private wakeSoon(): void {
    if (this.options.coalesceMs <= 0) {
      this.job.wake();
      return;
    }
    if (this.wakeTimer) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.job.wake();
    }, this.options.coalesceMs);
    this.wakeTimer.unref();
  }

  /** Rows not yet published (a readiness and metrics figure). */
  backlog(): Promise<number> {
    return outboxBacklog(this.options.db);
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.prune();
  }

  /**
   * Deletes the outbox rows sent longer than `retentionMs` ago and the inbox rows older than
   * INBOX_RETENTION_MS, reading only those (the kit's migration `kit_tables_pruned_by_id` says how).
   */
  async prune(): Promise<{ outbox: number; inbox: number }> {
    const { db, retentionMs } = this.options;
    const now = Date.now();
    const { rows } = await sql<{ outbox: string; inbox: string }>`select
      outbox_prune(${new Date(now - retentionMs)}::timestamptz)::text as outbox,
      inbox_prune(${new Date(now - INBOX_RETENTION_MS)}::timestamptz)::text as inbox`.execute(db);
    return { outbox: Number(rows[0]?.outbox ?? 0), inbox: Number(rows[0]?.inbox ?? 0) };
  }
}

/** Outbox rows not yet published; the partial index on unpublished rows keeps this cheap. */
export async function outboxBacklog(db: QueryExecutorProvider): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from outbox where published_at is null`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * `tiketi_outbox_pending` on the service's /metrics, counted when scraped: a growing number means the relay
 * cannot reach RabbitMQ. Every instance reports the same database-wide figure (alert on max, not sum).
 */
export function registerOutboxMetrics(metrics: Metrics, db: QueryExecutorProvider, logger: Logger): void {
  metrics.gauge(
    'tiketi_outbox_pending',
    'Outbox events not yet published to RabbitMQ.',
    [],
    async (gauge) => {
      try {
        gauge.set(await outboxBacklog(db));
      } catch (error) {
        // A database outage must not fail the whole scrape (and hide the RED metrics); readiness reports it.
        logger.warn({ err: (error as Error).message }, 'could not count the outbox backlog');
      }
    },
  );
}
