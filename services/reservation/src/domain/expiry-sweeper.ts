import type { Logger } from '@tiketi/kit';

/**
 * Releases expired holds: a loop over the database (not timers in memory), so a hold is released on time
 * even when every instance restarted in between. Instances sweep side by side (`SKIP LOCKED`).
 */
export function expirySweeper(options: {
  sweep: (batchSize: number) => Promise<number>;
  intervalMs: number;
  batchSize: number;
  logger: Logger;
}) {
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      wake = done;
    });

  async function run() {
    while (running) {
      try {
        const released = await options.sweep(options.batchSize);
        if (released > 0) options.logger.info({ released }, 'expired holds released');
        if (released === options.batchSize) continue;
      } catch (error) {
        options.logger.warn({ err: (error as Error).message }, 'expiry sweep failed; will retry');
      }
      await sleep(options.intervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

export type ExpirySweeper = ReturnType<typeof expirySweeper>;
