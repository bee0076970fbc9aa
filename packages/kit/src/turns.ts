import pLimit from 'p-limit';
import type { Metrics } from './metrics.ts';

/**
 * Heavy jobs (an image decoded whole, a CSV of a stadium's orders) that would each hold a large share of
 * a service's memory take turns: `run` lets `atOnce` of them work together and `waiting` more wait for
 * theirs; past that it throws `busy()` (a 503 with Retry-After) at once instead of queuing without end.
 * With `metrics`, two gauges show how many work now and how many wait.
 */
export function takeTurns(options: {
  atOnce: number;
  waiting: number;
  busy: () => Error;
  metrics?: {
    registry: Metrics;
    running: [name: string, help: string];
    waiting: [name: string, help: string];
  };
}) {
  const turns = pLimit(options.atOnce);
  const gauges = options.metrics;
  if (gauges) {
    gauges.registry.gauge(gauges.running[0], gauges.running[1], [], (g) => g.set(turns.activeCount));
    gauges.registry.gauge(gauges.waiting[0], gauges.waiting[1], [], (g) => g.set(turns.pendingCount));
  }
  return {
    run<T>(job: () => Promise<T>): Promise<T> {
      if (turns.pendingCount >= options.waiting) return Promise.reject(options.busy());
      return turns(job);
    },
  };
}
