import { type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import type { Bus } from './bus.ts';
import { onOutboxCommit } from './db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export type RelayOptions<DB> = {
  db: Kysely<DB>;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
  /** Test hook: runs after a batch is published and before it is marked sent. */
  afterPublish?: () => Promise<void>;
};

type OutboxRow = { id: string; type: string; envelope: { id: string; type: string; traceparent?: string } };

/**
 * Publishes outbox rows with publisher confirms, then marks them sent. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several instances share the work without publishing the same batch at once.
 * A crash between publish and mark re-publishes the batch: consumers' inboxes absorb the duplicate.
 *
 * The relay wakes as soon as its own process commits an outbox row (see `onOutboxCommit`); rows written
 * by another instance that died before publishing them are found by the poll. Wake-ups that arrive while a
 * batch is being published are folded into one more batch, so under load the batches grow instead of the
 * relay running once per commit.
 */
export class OutboxRelay<DB = unknown> {
  private readonly options: Required<Omit<RelayOptions<DB>, 'afterPublish'>> &
    Pick<RelayOptions<DB>, 'afterPublish'>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wakeRequested = false;
  private unsubscribe: (() => void) | undefined;
  private lastCleanup = 0;

  constructor(options: RelayOptions<DB>) {
    this.options = { batchSize: 100, pollIntervalMs: 500, retentionMs: 86_400_000, ...options };
  }

  /** Publishes one batch; returns how many rows went out. */
  async runOnce(): Promise<number> {
    const { db, bus, batchSize, afterPublish } = this.options;
    return db.transaction().execute(async (trx) => {
      const { rows } = await sql<OutboxRow>`select id, type, envelope from outbox
        where published_at is null order by created_at, id limit ${batchSize} for update skip locked`.execute(
        trx,
      );
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
    if (this.running) return;
    this.running = true;
    this.unsubscribe = onOutboxCommit(this.options.db as Kysely<unknown>, () => this.requestWake());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.requestWake();
    await this.loop;
  }

  /** Rows not yet published (a readiness and metrics figure). */
  backlog(): Promise<number> {
    return outboxBacklog(this.options.db);
  }

  private async run(): Promise<void> {
    const { logger, pollIntervalMs } = this.options;
    let failures = 0;
    while (this.running) {
      try {
        const sent = await this.runOnce();
        failures = 0;
        await this.cleanup();
        if (sent === this.options.batchSize) continue;
        await this.sleep(pollIntervalMs);
      } catch (error) {
        failures++;
        logger.warn({ err: (error as Error).message, failures }, 'outbox relay failed; will retry');
        await this.sleep(Math.min(pollIntervalMs * 2 ** failures, 10_000));
      }
    }
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    const cutoff = new Date(now - this.options.retentionMs);
    await sql`delete from outbox where published_at < ${cutoff}`.execute(this.options.db);
  }

  private requestWake(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
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
