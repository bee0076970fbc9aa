import { performance } from 'node:perf_hooks';
import { increment, type Latency, round, summarise } from './stats.ts';

export type LoadResult = {
  concurrency: number;
  durationS: number;
  requests: number;
  /** Every answer and failure per second. */
  perSecond: number;
  /** Answers by status (or failure kind). */
  outcomes: Record<string, number>;
  latencyMs: Latency;
};

/**
 * A closed loop: `concurrency` workers each send one request, wait for its answer, and send the next,
 * until the time is up or `until()` says so. Each call of `once` is timed; what it returns (a status
 * code or a failure kind) is counted; a throw counts as its error's code or message.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  once: (worker: number) => Promise<number | string>;
  until?: () => boolean;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  const done = () => performance.now() >= deadline || (options.until?.() ?? false);
  const worker = async (index: number) => {
    while (!done()) {
      const t0 = performance.now();
      let outcome: number | string;
      try {
        outcome = await options.once(index);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        outcome = `error:${e.code ?? e.message ?? 'unknown'}`;
      }
      latencies.push(performance.now() - t0);
      increment(outcomes, String(outcome));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency: options.concurrency,
    durationS: round(seconds, 2),
    requests: latencies.length,
    perSecond: round(latencies.length / seconds),
    outcomes,
    latencyMs: summarise(latencies),
  };
}

/** Counted outcomes per second over a load run (e.g. successful holds). */
export function ratePerSecond(result: LoadResult, ...keys: string[]): number {
  const n = keys.reduce((sum, key) => sum + (result.outcomes[key] ?? 0), 0);
  return round(n / result.durationS);
}
