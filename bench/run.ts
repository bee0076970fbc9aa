/**
 * `npm run bench`: starts the platform on databases, Redis keys and an exchange of its own, measures the
 * baselines and the four scenarios on this machine, writes `bench/results/<date>.json` and `.md`, and
 * removes everything it created. `npm run bench -- --help` lists the sizes that can be changed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { bareConditionalUpdate, fastifyHello, rawPostgresHold, redisSetNx } from './baselines.ts';
import { cpuGroups, cpuMeter } from './lib/cpu.ts';
import { jsonClient } from './lib/http.ts';
import type { LoadResult } from './lib/load.ts';
import { loadAverage, machine, raiseOpenFileLimit } from './lib/machine.ts';
import { type BenchPlatform, brokerBacklog, startBenchPlatform, waitForFreePorts } from './lib/platform.ts';
import { type ProfileSummary, summariseProfile } from './lib/profile.ts';
import { fmt, latencyText, type Row, ratioText, table, verdict } from './lib/report.ts';
import { benchSigningKey, login, registerAccounts } from './lib/setup.ts';
import { round, sleep } from './lib/stats.ts';
import { type ChallengeResult, challengeCosts } from './scenarios/challenge.ts';
import { type DropResult, ticketDrop } from './scenarios/drop.ts';
import { type HoldsResult, seatHolds } from './scenarios/holds.ts';
import { type JoinsResult, joinRate } from './scenarios/joins.ts';
import { cachedReads } from './scenarios/reads.ts';
import { type WaitersResult, waitingRoomCapacity } from './scenarios/waiters.ts';

const PARTS = ['baselines', 'challenge', 'reads', 'holds', 'joins', 'drop', 'waiters'] as const;
type PartName = (typeof PARTS)[number];

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
  process.stdout.write(`npm run bench [-- options]   (each also as an environment variable)
  --only LIST            parts to run: ${PARTS.join(',')} (BENCH_ONLY; default all)
  --duration S           seconds per load run (BENCH_DURATION_S; 10)
  --concurrency N        HTTP connections of the load runs (BENCH_CONCURRENCY; 64)
  --pg-concurrency N     PostgreSQL connections of the raw hold baseline (BENCH_PG_CONCURRENCY; 10)
  --hold-seats LIST      seats of the scenario 2 events, one run each (BENCH_HOLD_SEATS; 1000,20000,60000)
  --hold-fans N          accounts that hold seats in scenario 2, 10 seats each at most (BENCH_HOLD_FANS;
                         enough for --duration at 2,000 holds/s, or for the largest event)
  --port-offset N        added to every port of the platform it starts (BENCH_PORT_OFFSET; 0)
  --fans N               fans in the drop (BENCH_FANS; 5000)
  --drop-seats N         seats on sale in the drop (BENCH_DROP_SEATS; 1200)
  --admission-rate N     drop admissions per minute (BENCH_ADMISSION_RATE; 3000)
  --max-shoppers N       drop's most admitted shoppers at once (BENCH_MAX_SHOPPERS; 300)
  --queue-instances N    waiting-room instances (BENCH_QUEUE_INSTANCES; 3)
  --joins N              fans who join with a solved challenge in the joins part (BENCH_JOINS; 40000)
  --waiters N            most waiting-room sockets in scenario 4, across the instances (BENCH_WAITERS;
                         50000, or what the open-file limit allows)
  --waiter-rate N        admissions per minute while the waiters are measured (BENCH_WAITER_RATE; 60)
  --profile              instead: profile the reservation service and the gateway during seat holds
`);
  process.exit(0);
}

function setting(flag: string | undefined, envName: string, fallback: number): number {
  const raw = flag ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${envName} (--${envName}) must be a positive number`);
  return n;
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
const wants = (p: PartName) => !profiling && only.has(p);

const resultsDir = new URL('./results/', import.meta.url).pathname;
const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
const say = (text: string) => process.stdout.write(`\x1b[1mbench\x1b[0m  ${text}\n`);
const at = (port: number) => `http://127.0.0.1:${port + sizes.portOffset}`;
const GATEWAY = at(3001);
/** The queue instances, as `QUEUE_INSTANCES` places them (scripts/lib/platform.ts). */
const QUEUES = Array.from({ length: queueInstances }, (_, i) => at(i === 0 ? 4005 : 4050 + i + 1));
const TOSS = at(4101);

let bench: BenchPlatform | undefined;
let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= (async () => {
    if (!bench) return;
    say('stopping the platform and removing its databases, keys and queues…');
    await bench.stop().catch((error: Error) => say(`cleanup failed: ${error.message}`));
  })();
  return stopping;
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));
process.on('SIGTERM', () => void stop().then(() => process.exit(143)));

/** The processes whose CPU time the holds are charged with. */
function cpuScope() {
  const server = bench!.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return {
    parts: bench!.platform.running.map((r) => ({ name: r.part.name, pid: r.child.pid })),
    databaseUrl: server,
    databaseSuffix: bench!.env.DATABASE_SUFFIX ?? '',
  };
}

/** Waits until the run's consumers have no backlog, so one part's aftermath does not load the next. */
async function settle(label: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const backlog = await brokerBacklog(bench!.env.AMQP_EXCHANGE!).catch(() => 0);
    if (backlog === 0) return;
    await sleep(1000);
  }
  say(`  (the broker still had messages after ${label}; going on)`);
}

const started = performance.now();
const profileDir = join(resultsDir, `${stamp}-profiles`);
const privateJwk = await benchSigningKey();
await waitForFreePorts(say, 15 * 60_000, sizes.portOffset);
say(`starting the platform (everything but the web app)${profiling ? ' with --cpu-prof' : ''}…`);
const loadAtStart = loadAverage();
bench = await startBenchPlatform({
  say,
  portOffset: sizes.portOffset,
  extraEnv: {
    JWT_PRIVATE_JWK: privateJwk,
    QUEUE_INSTANCES: String(queueInstances),
    ...(profiling ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
  },
});
const { env } = bench;
const api = jsonClient(GATEWAY, Math.max(sizes.concurrency, 256));
const results: Record<string, unknown> = {};
const load: Record<string, number[]> = { start: loadAtStart };
let failed: Error | undefined;

try {
  const host = await machine(env);
  say(
    `${host.cores} cores · ${host.cpu} · Node ${host.node} · PostgreSQL ${host.postgres} · load ${loadAtStart.join(' ')}`,
  );
  const admin = await login(api, 'admin@tiketi.local', 'tiketi-admin-2026');
  const accountsNeeded = Math.max(
    wants('drop') ? sizes.fans : 0,
    // Ten seats per fan at most; no more fans than a run of --duration at 2,000 holds/s can use.
    wants('holds') || profiling
      ? setting(
          flags['hold-fans'],
          'BENCH_HOLD_FANS',
          Math.min(Math.ceil(Math.max(...sizes.holdSeats) / 8), Math.ceil((sizes.durationMs / 1000) * 250)) +
            50,
        )
      : 0,
  );
  let registered: Awaited<ReturnType<typeof registerAccounts>> = { accounts: [], perSecond: 0 };
  if (accountsNeeded > 0) {
    say(
      `registering and verifying ${fmt(accountsNeeded)} accounts through the gateway (argon2id 4 MiB, 1 pass)…`,
    );
    registered = await registerAccounts(api, accountsNeeded, bench.id, at(4102));
    say(`  ${fmt(registered.perSecond)} registrations/s`);
    results.registration = { accounts: accountsNeeded, perSecond: registered.perSecond };
    await settle('registration');
  }
  const { accounts } = registered;

  if (profiling) {
    say('profiling: seat holds with --cpu-prof on every part…');
    results.holds = [
      await seatHolds(api, admin, accounts, {
        env,
        seats: sizes.holdSeats[0] ?? 6000,
        concurrency: sizes.concurrency,
        durationMs: sizes.durationMs,
        hotSeats: 20,
        hotShare: 0.1,
      }),
    ];
  }

  if (wants('baselines')) {
    load.baselines = loadAverage();
    say('baseline: bare Fastify hello…');
    const hello = await fastifyHello({ concurrency: sizes.concurrency, durationMs: sizes.durationMs });
    say(`  ${fmt(hello.perSecond)} req/s`);
    say('baseline: raw PostgreSQL hold transaction…');
    const rawHold = await rawPostgresHold({
      env,
      seats: 60_000,
      concurrency: sizes.pgConcurrency,
      durationMs: sizes.durationMs,
    });
    say(`  ${fmt(rawHold.holdsPerSecond)} holds/s`);
    await settle('the raw hold baseline');
    say('baseline: bare conditional UPDATE on a scratch table…');
    const bareUpdate = await bareConditionalUpdate({
      env,
      seats: 200_000,
      concurrency: sizes.pgConcurrency,
      durationMs: sizes.durationMs,
    });
    say(`  ${fmt(bareUpdate.holdsPerSecond)} updates/s`);
    say('baseline: Redis SET NX…');
    const setNx = await redisSetNx({ env, concurrency: sizes.concurrency, durationMs: sizes.durationMs });
    say(`  ${fmt(setNx.perSecond)} ops/s`);
    results.baselines = { fastifyHello: hello, rawPostgresHold: rawHold, bareUpdate, redisSetNx: setNx };
  }

  if (wants('challenge')) {
    load.challenge = loadAverage();
    say('bot defence: solving a challenge at each difficulty, and verifying solutions…');
    const costs = await challengeCosts({
      redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      redisPrefix: `${env.REDIS_PREFIX ?? 'tiketi:'}challenge-bench:`,
      difficulties: [20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000],
      samples: 8,
      poolSize: 100_000,
      concurrency: sizes.concurrency,
      durationMs: sizes.durationMs,
    });
    say(
      `  solve p50 ${costs.solve.map((s) => `${fmt(s.maxNumber)}: ${fmt(s.latencyMs.p50)} ms`).join(', ')}; verify ${fmt(costs.verify.perSecond)}/s`,
    );
    results.challenge = costs;
  }

  if (wants('reads')) {
    load.reads = loadAverage();
    say('scenario 1: cached event list and detail through the gateway…');
    results.reads = await cachedReads(api, { concurrency: sizes.concurrency, durationMs: sizes.durationMs });
  }

  if (wants('holds')) {
    load.holds = loadAverage();
    const runs: HoldsResult[] = [];
    // Kept as each size finishes: a later size failing must not lose the earlier figures.
    results.holds = runs;
    for (const seats of sizes.holdSeats) {
      say(`scenario 2: seat holds through the gateway on a fresh ${fmt(seats)}-seat event…`);
      const holds = await seatHolds(api, admin, accounts, {
        env,
        seats,
        concurrency: sizes.concurrency,
        durationMs: sizes.durationMs,
        hotSeats: 20,
        hotShare: 0.1,
        meter: async () => cpuMeter(await cpuGroups(cpuScope())),
      });
      say(`  ${fmt(holds.holdsPerSecond)} holds/s, ${latencyText(holds.latencyMs)}`);
      runs.push(holds);
      await settle('the holds');
    }
  }

  if (wants('joins')) {
    load.joins = loadAverage();
    say(`joins: ${fmt(sizes.joins)} fans join one waiting room with solved challenges, through the gateway…`);
    const joins = await joinRate(api, admin, {
      privateJwk,
      fans: sizes.joins,
      concurrency: sizes.concurrency,
      durationMs: sizes.durationMs,
    });
    say(`  ${fmt(joins.joinsPerSecond)} joins/s, ${latencyText(joins.run.latencyMs)}`);
    results.joins = joins;
  }

  if (wants('drop')) {
    load.drop = loadAverage();
    say(`scenario 3: the drop, ${fmt(sizes.fans)} fans for ${fmt(sizes.dropSeats)} seats…`);
    const drop = await ticketDrop(api, admin, accounts.slice(0, sizes.fans), {
      env,
      gatewayUrl: GATEWAY,
      tossUrl: TOSS,
      seats: sizes.dropSeats,
      perUserLimit: 4,
      admissionRatePerMinute: sizes.admissionRate,
      maxActiveShoppers: sizes.maxShoppers,
      timeoutMs: 300_000,
    });
    say(
      `  ${drop.soldOut ? `sold out in ${drop.timeToSellOutS} s` : 'NOT sold out'}, ${fmt(drop.purchasesPerSecond, 1)} purchases/s, invariants ${drop.invariants.ok ? 'hold' : 'BROKEN'}`,
    );
    results.drop = drop;
    await settle('the drop');
  }

  if (wants('waiters')) {
    load.waiters = loadAverage();
    const top = sizes.waiters;
    const steps = [...new Set([Math.round(top / 8), Math.round(top / 4), Math.round(top / 2), top])];
    say(
      `scenario 4: waiting-room sockets on ${queueInstances} queue instances, steps ${steps.map((s) => fmt(s)).join(', ')}…`,
    );
    results.waiters = await waitingRoomCapacity(api, admin, {
      queueUrls: QUEUES,
      privateJwk,
      steps,
      measureMs: Math.max(5000, Math.min(sizes.durationMs, 10_000)),
      admissionRatePerMinute: sizes.waiterRate,
      limitNote:
        fdLimit < 65_536
          ? `open files are limited to ${fmt(fdLimit)} per process here (the hard ulimit -n, which the bench may not raise on this machine), so each of the ${queueInstances} instances and each swarm process holds at most about ${fmt(waiterCeiling / queueInstances)} sockets`
          : '',
    });
  }
  load.end = loadAverage();
} catch (error) {
  failed = error as Error;
  say(`\x1b[31mfailed: ${failed.message}\x1b[0m`);
  for (const line of bench.logTail.slice(-20)) say(`  ${line}`);
} finally {
  await api.close();
  await stop();
}

const profiles: ProfileSummary[] = [];
if (profiling) {
  const pids = new Map(bench.platform.running.map((r) => [r.child.pid, r.part.name]));
  for (const file of readdirSync(profileDir)) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
    const part = pids.get(pid);
    if (part === 'reservation' || part === 'gateway') {
      profiles.push({ ...summariseProfile(join(profileDir, file)), file: `${part}: ${file}` });
    } else {
      rmSync(join(profileDir, file));
    }
  }
}

const runSeconds = round((performance.now() - started) / 1000, 0);
const host = await machine(process.env);
const report = {
  date: new Date().toISOString(),
  runSeconds,
  machine: host,
  loadAverage: load,
  notes: [
    'The load generator (this Node process and the waiter swarm) runs on the same cores as the platform.',
    'Load averages count the platform and the load generator too: one well above the core count at the start means other work shared the machine.',
    bench.env.DATABASE_URL?.includes('host=/')
      ? 'The services and the raw hold baseline reached PostgreSQL through its Unix socket (DATABASE_URL), as on a one-machine deployment.'
      : 'The services and the raw hold baseline reached PostgreSQL over TCP.',
    'Accounts were registered with argon2id at 4 MiB and 1 pass (ARGON2_MEMORY_KIB/ARGON2_TIME_COST) to create them fast; login cost plays no part in the figures.',
    'Gateway rate limits were raised (RATE_LIMIT_*), since one machine plays every fan from one IP.',
    'Waiting-room tokens of scenario 4 are minted with the signing key the bench gave the user service (JWT_PRIVATE_JWK); every service verifies them as usual.',
  ],
  sizes,
  failed: failed?.message,
  partLogLines: bench.logCounts,
  /** The last warnings and errors the parts logged (LOG_LEVEL=warn), to explain failures. */
  partLogTail: bench.logTail.slice(-60),
  ...results,
  ...(profiles.length ? { profiles } : {}),
};
mkdirSync(resultsDir, { recursive: true });
const base = join(resultsDir, profiling ? `${stamp}-profile` : stamp);
writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
const summary = profiling ? profileText(profiles) : summaryText(report as unknown as Summary);
writeFileSync(`${base}.md`, summary);
process.stdout.write(`\n${summary}\n`);
say(`written ${base}.json and .md (${runSeconds} s in all)`);
process.exit(failed ? 1 : 0);

type Summary = typeof report & {
  baselines?: {
    fastifyHello: LoadResult;
    rawPostgresHold: LoadResult & { holdsPerSecond: number };
    bareUpdate: LoadResult & { holdsPerSecond: number };
    redisSetNx: LoadResult;
  };
  challenge?: ChallengeResult;
  reads?: { list: LoadResult; detail: LoadResult };
  holds?: HoldsResult[];
  drop?: DropResult;
  waiters?: WaitersResult;
  joins?: JoinsResult;
  registration?: { accounts: number; perSecond: number };
};

function summaryText(r: Summary): string {
  const rows: Row[] = [];
  const hello = r.baselines?.fastifyHello.perSecond ?? 0;
  const rawHold = r.baselines?.rawPostgresHold.holdsPerSecond ?? 0;
  const bare = r.baselines?.bareUpdate.holdsPerSecond ?? 0;
  if (r.baselines) {
    const b = r.baselines;
    rows.push(
      {
        section: 'baseline',
        figure: 'bare Fastify hello',
        measured: `${fmt(hello)} req/s · ${latencyText(b.fastifyHello.latencyMs)}`,
      },
      {
        section: 'baseline',
        figure: `raw PostgreSQL hold (${b.rawPostgresHold.concurrency} conns)`,
        measured: `${fmt(rawHold)} holds/s · ${latencyText(b.rawPostgresHold.latencyMs)}`,
        ratio: ratioText(rawHold, bare, 'bare UPDATE'),
      },
      {
        section: 'baseline',
        figure: `bare conditional UPDATE, scratch table (${b.bareUpdate.concurrency} conns)`,
        measured: `${fmt(bare)} updates/s · ${latencyText(b.bareUpdate.latencyMs)}`,
      },
      {
        section: 'baseline',
        figure: 'Redis SET NX',
        measured: `${fmt(b.redisSetNx.perSecond)} ops/s · ${latencyText(b.redisSetNx.latencyMs)}`,
      },
    );
  }
  if (r.challenge) {
    for (const solve of r.challenge.solve) {
      rows.push({
        section: 'bot defence',
        figure: `a fan solves maxnumber ${fmt(solve.maxNumber)} (1 thread)`,
        measured: `${latencyText(solve.latencyMs)} · ${fmt(solve.hashesPerSecond)} hashes/s`,
      });
    }
    rows.push({
      section: 'bot defence',
      figure: 'the server verifies a solution (HMAC + Redis SET NX)',
      measured: `${fmt(r.challenge.verify.perSecond)} /s · ${latencyText(r.challenge.verify.latencyMs)}`,
    });
  }
  if (r.joins) {
    const j = r.joins;
    const others = Object.entries(j.run.outcomes).filter(([k]) => k !== '201' && k !== '200');
    rows.push({
      section: 'joins',
      figure: `joins with a verified challenge through the gateway (${fmt(r.sizes.queueInstances)} queue instances)`,
      measured: `${fmt(j.joinsPerSecond)} joins/s · ${latencyText(j.run.latencyMs)}${others.length ? ` · other answers ${JSON.stringify(Object.fromEntries(others))}` : ''}`,
      target: '≥ 5,000/s',
      verdict: verdict(j.joinsPerSecond >= 5000 && others.length === 0),
    });
  }
  if (r.reads) {
    for (const [name, run] of [
      ['event list', r.reads.list],
      ['event detail', r.reads.detail],
    ] as const) {
      const ok = run.outcomes['200'] === run.requests;
      rows.push({
        section: '1 cached reads',
        figure: `${name} through the gateway`,
        measured: `${fmt(run.perSecond)} req/s · ${latencyText(run.latencyMs)}${ok ? '' : ` · answers ${JSON.stringify(run.outcomes)}`}`,
        target: '≥ 0.30 × Fastify hello',
        ratio: ratioText(run.perSecond, hello, 'Fastify hello'),
        verdict: hello ? verdict(run.perSecond >= 0.3 * hello && ok) : '',
      });
    }
  }
  for (const h of r.holds ?? []) {
    const doubles = h.check.seatsActiveTwice + h.check.seatsAnsweredTwice + h.check.seatsWithoutActiveLink;
    const errors = Object.entries(h.outcomes).filter(([k]) => k !== '201' && k !== '409');
    const section = `2 seat holds, ${fmt(h.seats)} seats`;
    rows.push(
      {
        section,
        figure: 'successful holds through the gateway',
        measured: `${fmt(h.holdsPerSecond)} holds/s (${fmt(h.perSecond)} req/s)`,
        target: '≥ 1,500/s and ≥ 0.25 × bare UPDATE',
        ratio: ratioText(h.holdsPerSecond, bare, 'bare UPDATE'),
        verdict: verdict(h.holdsPerSecond >= 1500 && (!bare || h.holdsPerSecond >= 0.25 * bare)),
      },
      {
        section,
        figure: 'latency (all answers)',
        measured: latencyText(h.latencyMs),
        target: 'p99 < 100 ms',
        verdict: verdict(h.latencyMs.p99 < 100),
      },
      {
        section,
        figure: '409 rate',
        measured: `${fmt(h.conflictRate * 100, 1)} % of ${fmt(h.requests)} requests`,
      },
      {
        section,
        figure: 'seats held twice (database + answers)',
        measured: `${doubles} (held ${fmt(h.check.seatsHeldInDatabase)} in db, ${fmt(h.seatsHeldByAnswers)} by 201s)`,
        target: '0',
        verdict: verdict(doubles === 0 && h.check.seatsHeldInDatabase === h.seatsHeldByAnswers),
      },
      {
        section,
        figure: 'other answers',
        measured: errors.length ? JSON.stringify(Object.fromEntries(errors)) : 'none',
        target: 'none',
        verdict: verdict(errors.length === 0),
      },
      {
        section,
        figure: 'CPU per successful hold, all processes counted',
        measured: `${fmt(
          h.cpu.reduce((sum, c) => sum + c.perHoldMs, 0),
          2,
        )} ms`,
      },
    );
  }
  if (r.drop) {
    const d = r.drop;
    const errorCount = Object.values(d.errors).reduce((a, b) => a + b, 0);
    rows.push(
      {
        section: '3 the drop',
        figure: `${fmt(d.fans)} fans, ${fmt(d.seats)} seats`,
        measured: d.soldOut ? `sold out in ${d.timeToSellOutS} s` : 'not sold out',
        target: 'sells out',
        verdict: verdict(d.soldOut),
      },
      {
        section: '3 the drop',
        figure: 'end-to-end purchases',
        measured: `${fmt(d.purchasesPerSecond, 1)} purchases/s · ${fmt(d.ticketsPerMinute)} tickets/min`,
        ratio: `${fmt(d.ticketsPerMinute / 350, 1)} × pretix (300–400 tickets/min)`,
      },
      { section: '3 the drop', figure: 'admission → confirmed', measured: latencyText(d.purchaseMs) },
      {
        section: '3 the drop',
        figure: 'position-update push (via gateway)',
        measured: `${latencyText(d.positionUpdate.latencyMs)} over ${fmt(d.positionUpdate.broadcasts)} broadcasts`,
        target: 'p99 < 1 s',
        verdict: verdict(d.positionUpdate.latencyMs.p99 < 1000),
      },
      {
        section: '3 the drop',
        figure: `wait estimate at joining vs real wait (${fmt(d.waitEstimate.compared)} fans)`,
        measured: `error p50 ${fmt(d.waitEstimate.errorS.p50, 1)} s · p90 ${fmt(d.waitEstimate.errorS.p90, 1)} s · max ${fmt(d.waitEstimate.errorS.max, 1)} s (real wait p50 ${fmt(d.waitEstimate.realWaitS.p50, 1)} s, p90 ${fmt(d.waitEstimate.realWaitS.p90, 1)} s; estimated p50 ${fmt(d.waitEstimate.estimatedS.p50, 1)} s, p90 ${fmt(d.waitEstimate.estimatedS.p90, 1)} s)`,
      },
      {
        section: '3 the drop',
        figure: 'errors other than 409/429',
        measured: errorCount ? JSON.stringify(d.errors) : '0',
        target: '0',
        verdict: verdict(errorCount === 0),
      },
      { section: '3 the drop', figure: '409/429 and pending answers', measured: JSON.stringify(d.expected) },
      {
        section: '3 the drop',
        figure: 'invariants',
        measured: `sold ${d.invariants.soldSeats}/${d.seats}, double-sold ${d.invariants.doubleSold}, payments ${d.invariants.completedPayments} = reservations ${d.invariants.confirmedReservations}, paid seats ${d.invariants.paidSeats} = tickets ${d.invariants.tickets}, paid without ticket ${d.invariants.paidWithoutTicket}`,
        target: 'all equal, 0 double',
        verdict: verdict(d.invariants.ok),
      },
    );
  }
  if (r.waiters) {
    const w = r.waiters;
    for (const s of w.steps) {
      rows.push({
        section: '4 waiting room',
        figure: `${fmt(s.waiters)} waiters (${fmt(s.connected)} connected: ${s.perInstance.map((n) => fmt(n)).join(' + ')})`,
        measured: `push ${latencyText(s.pushMs)} · status ask p99 ${fmt(s.askMs.p99, 1)} ms · ${s.broadcasts} broadcasts`,
      });
    }
    rows.push({
      section: '4 waiting room',
      figure: `waiters held across ${w.instances} instances with p99 push < 1 s`,
      measured: fmt(w.heldWithP99UnderOneSecond),
      target: '≥ 50,000',
      verdict: verdict(w.heldWithP99UnderOneSecond >= 50_000),
    });
  }
  const m = r.machine;
  const lines = [
    `# Tiketi bench, ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}, RabbitMQ ${m.rabbitmq}, Fastify ${m.fastify}, Socket.IO ${m.socketIo}, undici ${m.undici}; commit ${m.commit}; open-file limit ${m.openFileLimit}.`,
    `Load average (1/5/15 min) at: ${Object.entries(r.loadAverage)
      .map(([k, v]) => `${k} ${v.join(' ')}`)
      .join(' · ')}.`,
    `Run took ${r.runSeconds} s. Sizes: ${JSON.stringify(r.sizes)}.${r.registration ? ` Registration: ${fmt(r.registration.perSecond)} accounts/s.` : ''}`,
    '',
    table(rows),
    '',
    ...cpuText(r.holds ?? []),
    ...(r.waiters?.limitNote ? [`Scenario 4: ${r.waiters.limitNote}.`, ''] : []),
    ...r.notes.map((n) => `- ${n}`),
    ...(r.failed ? ['', `**The run failed:** ${r.failed}`] : []),
    '',
  ];
  return lines.join('\n');
}

/** Per process, the CPU time each successful hold cost, largest first, one column per event size. */
function cpuText(runs: HoldsResult[]): string[] {
  if (runs.length === 0 || runs.every((h) => h.cpu.length === 0)) return [];
  const names = [...new Set(runs.flatMap((h) => h.cpu.map((c) => c.name)))];
  const perHold = (h: HoldsResult, name: string) => h.cpu.find((c) => c.name === name)?.perHoldMs ?? 0;
  names.sort((a, b) => perHold(runs[0]!, b) - perHold(runs[0]!, a));
  const shared = new Set(runs.flatMap((h) => h.cpu.filter((c) => c.shared).map((c) => c.name)));
  return [
    'CPU time per successful hold (ms, utime + stime from /proc over the timed run; * = a server other work on the machine may use too):',
    '',
    `| process | ${runs.map((h) => `${fmt(h.seats)} seats`).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    ...names.map(
      (n) => `| ${n}${shared.has(n) ? ' *' : ''} | ${runs.map((h) => fmt(perHold(h, n), 3)).join(' | ')} |`,
    ),
    `| **all** | ${runs
      .map((h) =>
        fmt(
          h.cpu.reduce((sum, c) => sum + c.perHoldMs, 0),
          2,
        ),
      )
      .join(' | ')} |`,
    '',
  ];
}

function profileText(list: ProfileSummary[]): string {
  const out = ['# Profile of the seat-hold path', ''];
  for (const p of list) {
    out.push(`## ${p.file} (${fmt(p.sampledMs / 1000, 1)} s sampled)`, '', 'By area:', '');
    for (const a of p.byArea) out.push(`- ${a.area}: ${a.share} %`);
    out.push('', 'Top self time:', '');
    for (const t of p.top) out.push(`- ${t.share} % ${t.fn} ${t.where}`);
    out.push('');
  }
  return out.join('\n');
}
