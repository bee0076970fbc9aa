import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** What a pass answers when it stopped with work left (a full batch): the next pass runs at once. */
export const MORE_WORK = 'more-work';

export type PeriodicJobOptions = {
  /** Names the job in log lines and in the `job` label of `tiketi_job_runs_total` and its duration. */
  name: string;
  /** One pass over the work. A pass that throws is logged and counted; the loop goes on. */
  pass: () => Promise<unknown>;
  /** The wait between the end of one pass and the start of the next; 0 runs passes only when woken. */
  intervalMs: number;
  /** The first pass runs at start rather than one interval later (work a restart left behind). */
  runAtStart?: boolean;
  /**
   * The share of the wait added or taken at random (default 0.1), so that the instances of a service,
   * started together by a rollout, do not all hit the database in the same instant.
   */
  jitter?: number;
  /** Failures in a row double the wait, up to this (default: the interval itself, so no backoff). */
  maxBackoffMs?: number;
  logger: Logger;
  /** The service's registry; without it (a test building a part alone) nothing is counted. */
  metrics?: Metrics;
};

/**
 * Every periodic job of the platform (expiry sweeps, the outbox relay, reconciliation, rollups, the
 * waiting room's admission and presence loops…) runs through this one loop:
 * - never two passes of one job at once in a process, and the next wait starts when a pass ends, so a slow
 *   pass is not stacked on by the timer;
 * - `wake()` runs a pass now, or right after the one under way (news that came mid-pass does not wait a
 *   whole interval); a pass answering `MORE_WORK` is followed at once by another;
 * - a failing pass is logged with the job's name and retried at the next tick;
 * - `stop()` resolves only when the pass under way has ended, so a shutdown never closes the pool under it.
 * Timers are unref'd: a job alone does not keep a process alive.
 */
export function periodicJob(options: PeriodicJobOptions) {
  const { name, logger, metrics } = options;
  const jitter = options.jitter ?? 0.1;
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? options.intervalMs, options.intervalMs);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let failures = 0;

  async function pass(): Promise<void> {
    const started = performance.now();
    try {
      const result = await options.pass();
      failures = 0;
      metrics?.jobs.runs.inc({ job: name, outcome: 'ok' });
      if (result === MORE_WORK) again = true;
    } catch (error) {
      failures++;
      metrics?.jobs.runs.inc({ job: name, outcome: 'failed' });
      logger.warn({ job: name, err: (error as Error).message, failures }, `${name} failed; will retry`);
    } finally {
      metrics?.jobs.duration.observe({ job: name }, (performance.now() - started) / 1000);
    }
  }

  function run(): void {
    clearTimeout(timer);
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = undefined;
      if (stopped) return;
      if (again) {
        again = false;
        run();
      } else schedule();
    });
  }

  function schedule(): void {
    if (stopped || options.intervalMs <= 0) return;
    const base = Math.min(options.intervalMs * 2 ** failures, maxBackoffMs);
    timer = setTimeout(run, Math.max(0, base * (1 + jitter * (2 * Math.random() - 1))));
    timer.unref();
  }

  return {
    name,
    start(): void {
      if (!stopped) return;
      stopped = false;
      if (options.runAtStart) run();
      else schedule();
    },
    /** Runs a pass now (or right after the one under way); does nothing before start or after stop. */
    wake(): void {
      if (!stopped) run();
    },
    /**
     * Runs a pass now, started or not, and resolves when it has ended (tests, operators, start-up). A pass
     * already under way may have begun before the caller's news: a fresh one follows it.
     */
    async runNow(): Promise<void> {
      await running;
      if (!running) run();
      await running;
    },
    /** Stops the timer and waits for the pass under way. */
    async stop(): Promise<void> {
      stopped = true;
      again = false;
      clearTimeout(timer);
      timer = undefined;
      while (running) await running;
    },
  };
}

export type PeriodicJob = ReturnType<typeof periodicJob>;
