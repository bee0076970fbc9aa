import type { Logger } from '@tiketi/kit';
import type { RawEvent, RawEventRepository } from '../db/raw-event.repository.ts';

/**
 * Raw tracked events are written in batches: one multi-row insert per `flushMs` or per `maxBatch` rows,
 * instead of one insert per page view. Counters do not depend on this table (they are updated in Redis
 * at once), so a batch lost in a crash costs raw detail, never a count. Stopping flushes what is left.
 */
export class RawEventBuffer {
  private rows: RawEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly options: {
    repository: RawEventRepository;
    logger: Logger;
    flushMs: number;
    maxBatch: number;
    /** Beyond this many waiting rows (the database is down), new rows are dropped, not queued. */
    maxPending: number;
  };

  constructor(options: RawEventBuffer['options']) {
    this.options = options;
  }

  push(row: RawEvent): void {
    if (this.rows.length >= this.options.maxPending) {
      this.options.logger.warn({ pending: this.rows.length }, 'raw event buffer full; dropping a row');
      return;
    }
    this.rows.push(row);
    if (this.rows.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
  }

  get pending(): number {
    return this.rows.length;
  }

  /** Writes everything buffered so far; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeAll());
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.rows.length > 0) {
      const batch = this.rows.splice(0, this.options.maxBatch);
      try {
        await this.options.repository.insertMany(batch);
      } catch (error) {
        // Keep the rows for the next attempt; the timer retries without waiting for new traffic.
        this.rows.unshift(...batch);
        this.options.logger.warn(
          { err: (error as Error).message, rows: batch.length },
          'raw event write failed',
        );
        this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs * 10);
        return;
      }
    }
  }

  async stop(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
