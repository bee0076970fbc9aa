/**
 * What a bench run measures and at which sizes: its flags, each also an environment variable
 * (`npm run bench -- --help`).
 */
import { parseArgs } from 'node:util';
import { raiseOpenFileLimit } from './lib/machine.ts';

export const PARTS = ['baselines', 'challenge', 'reads', 'holds', 'joins', 'drop', 'waiters'] as const;
export type PartName = (typeof PARTS)[number];

const HELP = `npm run bench [-- options]   (each also as an environment variable)
  --only LIST            parts to run: ${PARTS.join(',')} (BENCH_ONLY; default all)
  --duration S           seconds per load run (BENCH_DURATION_S; 10)
  --concurrency N        HTTP connections of the load runs (BENCH_CONCURRENCY; 64)
  --pg-concurrency N     PostgreSQL connections of the raw hold baseline (BENCH_PG_CONCURRENCY; 10)
  --hold-seats LIST      seats of the scenario 2 events, one run each (BENCH_HOLD_SEATS; 1000,20000,60000)
  --hold-fans N          accounts that hold seats in scenario 2, as in issue #22's load (BENCH_HOLD_FANS;
                         1000); a run ends early once each holds 10 seats, an event's highest limit
  --port-offset N        added to every port of the platform it starts (BENCH_PORT_OFFSET; 0)
  --fans N               fans in the drop (BENCH_FANS; 5000)
  --drop-seats N         seats on sale in the drop (BENCH_DROP_SEATS; 1200)
  --admission-rate N     drop admissions per minute (BENCH_ADMISSION_RATE; 3000)
  --max-shoppers N       drop's most admitted shoppers at once (BENCH_MAX_SHOPPERS; 300)
  --queue-instances N    waiting-room instances of the waiters part (BENCH_QUEUE_INSTANCES; 3); the other
                         parts run npm start's one, and the platform is started again before the waiters
  --joins N              fans who join with a solved challenge in the joins part (BENCH_JOINS; 40000)
  --waiters N            most waiting-room sockets in scenario 4, across the instances (BENCH_WAITERS;
                         50000, or what the open-file limit allows)
  --waiter-rate N        admissions per minute while the waiters are measured (BENCH_WAITER_RATE; 60)
  --profile              instead: profile the gateway and the reservation service during seat holds,
                         or with --only joins the gateway and the first queue instance during joins
`;

export function setting(flag: string | undefined, envName: string, fallback: number): number {
  const raw = flag ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${envName} (--${envName}) must be a positive number`);
  return n;
}

/** Reads the flags and environment; prints the help and exits when asked for it. */
export function readSettings() {
  const { values: flags } = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      'pg-concurrency': { type: 'string' },
      'hold-seats': { type: 'string' },
      'port-offset': { type: 'string' },
      'hold-fans': { type: 'string' },
      fans: { type: 'string' },
      'drop-seats': { type: 'string' },
      'admission-rate': { type: 'string' },
      'max-shoppers': { type: 'string' },
      waiters: { type: 'string' },
      'waiter-rate': { type: 'string' },
      'queue-instances': { type: 'string' },
      joins: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });

  if (flags.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }

  const only = new Set(
    (flags.only ?? process.env.BENCH_ONLY ?? PARTS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const p of only) if (!PARTS.includes(p as PartName)) throw new Error(`--only: unknown part "${p}"`);
  const profiling = flags.profile === true || process.env.BENCH_PROFILE === 'true';
  // Tens of thousands of waiters plus the sockets around them, where the system allows it.
  const fdLimit = raiseOpenFileLimit(65_536);
  const queueInstances = setting(flags['queue-instances'], 'BENCH_QUEUE_INSTANCES', 3);
  // Each waiter is one file descriptor in its queue instance and one in its swarm process (one per instance).
  const waiterCeiling = Math.max(1000, fdLimit - 500) * queueInstances;
  const sizes = {
    queueInstances,
    joins: setting(flags.joins, 'BENCH_JOINS', 40_000),
    durationMs: setting(flags.duration, 'BENCH_DURATION_S', 10) * 1000,
    concurrency: setting(flags.concurrency, 'BENCH_CONCURRENCY', 64),
    pgConcurrency: setting(flags['pg-concurrency'], 'BENCH_PG_CONCURRENCY', 10),
    holdSeats: (flags['hold-seats'] ?? process.env.BENCH_HOLD_SEATS ?? '1000,20000,60000')
      .split(',')
      .map((n) => setting(n.trim(), 'BENCH_HOLD_SEATS', 1000)),
    portOffset: Number(flags['port-offset'] ?? process.env.BENCH_PORT_OFFSET ?? 0),
    fans: setting(flags.fans, 'BENCH_FANS', 5000),
    dropSeats: setting(flags['drop-seats'], 'BENCH_DROP_SEATS', 1200),
    admissionRate: setting(flags['admission-rate'], 'BENCH_ADMISSION_RATE', 3000),
    maxShoppers: setting(flags['max-shoppers'], 'BENCH_MAX_SHOPPERS', 300),
    waiters: Math.min(setting(flags.waiters, 'BENCH_WAITERS', 50_000), waiterCeiling),
    waiterRate: setting(flags['waiter-rate'], 'BENCH_WAITER_RATE', 60),
  };
  return {
    flags,
    profiling,
    /** What a profiling run loads: joins when --only names them, seat holds otherwise. */
    profiled: only.has('joins') && !only.has('holds') ? ('joins' as const) : ('holds' as const),
    fdLimit,
    waiterCeiling,
    sizes,
    wants: (p: PartName) => !profiling && only.has(p),
  };
}

export type Sizes = ReturnType<typeof readSettings>['sizes'];
