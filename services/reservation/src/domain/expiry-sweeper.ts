import { type Logger, type Metrics, MORE_WORK, periodicJob } from '@tiketi/kit';

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
