import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per service instance (not prom-client's global one), so that several services built in
 * one process — as tests do — keep their numbers apart.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const http = {
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'http_request_errors_total',
      help: 'HTTP requests answered with a 5xx status, by method and route pattern.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
  // One pair for every periodic job of the service (see periodic-job.ts), told apart by the `job` label.
  const jobs = {
    runs: new Counter({
      name: 'tiketi_job_runs_total',
      help: 'Passes of periodic jobs by job and outcome (ok, failed).',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'tiketi_job_duration_seconds',
      help: 'How long a pass of a periodic job took, by job.',
      labelNames: ['job'] as const,
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    }),
  };
  return {
    registry,
    http,
    jobs,
    counter: <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers: [registry] }),
    /** With `collect`, the value is computed when /metrics is scraped (a count read from the database…). */
    gauge: <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      collect?: (gauge: Gauge<L>) => void | Promise<void>,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        ...(collect
          ? {
              collect(this: Gauge<L>) {
                return collect(this);
              },
            }
          : {}),
      }),
    histogram: <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
