/**
 * `npm run bench`: starts the platform on databases, Redis keys and an exchange of its own, measures the
 * baselines and the four scenarios on this machine, writes `bench/results/<date>.json` and `.md`, and
 * removes everything it created. `npm run bench -- --help` lists the sizes that can be changed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bareConditionalUpdate, fastifyHello, rawPostgresHold, redisSetNx } from './baselines.ts';
import { type CpuUse, cpuGroups, cpuMeter } from './lib/cpu.ts';
import { jsonClient } from './lib/http.ts';
import { loadAverage, machine } from './lib/machine.ts';
import { type BenchPlatform, brokerBacklog, startBenchPlatform, waitForFreePorts } from './lib/platform.ts';
import { type ProfileSummary, summariseProfile } from './lib/profile.ts';
import { fmt, latencyText } from './lib/report.ts';
import { benchSigningKey, login, registerAccounts } from './lib/setup.ts';
import { round, sleep } from './lib/stats.ts';
import { challengeCosts } from './scenarios/challenge.ts';
import { ticketDrop } from './scenarios/drop.ts';
import { type HoldsResult, seatHolds } from './scenarios/holds.ts';
import { joinRate } from './scenarios/joins.ts';
import { cachedReads } from './scenarios/reads.ts';
import { waitingRoomCapacity } from './scenarios/waiters.ts';
import { PARTS, readSettings, setting } from './settings.ts';
import { profileText, type Summary, summaryText } from './summary.ts';

const { flags, profiling, profiled, fdLimit, waiterCeiling, sizes, wants } = readSettings();
const { queueInstances } = sizes;

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
const startWith = (instances: number) =>
  startBenchPlatform({
    say,
    portOffset: sizes.portOffset,
    extraEnv: {
      JWT_PRIVATE_JWK: privateJwk,
      QUEUE_INSTANCES: String(instances),
      ...(profiling ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
    },
  });
/**
 * Every part but the waiters measures the platform as `npm start` brings it up, with one waiting-room
 * instance: on two cores, more instances cost more CPU per join and per hold (fewer requests and Redis
 * commands per wake-up of each process), so they would understate what a newcomer gets. The waiters part
 * needs `--queue-instances` (one process holds about as many sockets as it may open files), and the
 * platform is started again with them before it.
 */
const NPM_START_QUEUE_INSTANCES = 1;
const instancesUp =
  profiling || PARTS.some((p) => p !== 'waiters' && wants(p)) ? NPM_START_QUEUE_INSTANCES : queueInstances;
bench = await startWith(instancesUp);
const { env } = bench;
let api = jsonClient(GATEWAY, Math.max(sizes.concurrency, 256));
const results: Record<string, unknown> = {};
const load: Record<string, number[]> = { start: loadAtStart };
let failed: Error | undefined;

try {
  const host = await machine(env);
  say(
    `${host.cores} cores · ${host.cpu} · Node ${host.node} · PostgreSQL ${host.postgres} · load ${loadAtStart.join(' ')}`,
  );
  let admin = await login(api, 'admin@tiketi.local', 'tiketi-admin-2026');
  // The issue's load from outside: 1,000 fans, each holding as often as the run lets them.
  const holdFans = setting(flags['hold-fans'], 'BENCH_HOLD_FANS', 1000);
  const accountsNeeded = Math.max(
    wants('drop') ? sizes.fans : 0,
    wants('holds') || (profiling && profiled === 'holds') ? holdFans : 0,
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

  // The joins part, with every process's CPU counted when `meter` is given.
  const joins = (meter?: () => Promise<(joins: number) => CpuUse[]>) =>
    joinRate(api, admin, {
      privateJwk,
      fans: sizes.joins,
      concurrency: sizes.concurrency,
      durationMs: sizes.durationMs,
      ...(meter ? { meter } : {}),
    });

  if (profiling && profiled === 'joins') {
    say('profiling: joins with --cpu-prof on every part…');
    results.joins = await joins();
  } else if (profiling) {
    say('profiling: seat holds with --cpu-prof on every part…');
    results.holds = [
      await seatHolds(api, admin, accounts.slice(0, holdFans), {
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
    // A few seconds of holds on an event of its own first, not counted: the first timed size would
    // otherwise also measure every part compiling the hold path (and a small venue sells out within them).
    say('scenario 2: warming the hold path up (not counted)…');
    await seatHolds(api, admin, accounts.slice(0, holdFans), {
      env,
      seats: 2_000,
      concurrency: sizes.concurrency,
      durationMs: Math.min(sizes.durationMs, 3_000),
      hotSeats: 20,
      hotShare: 0.1,
    });
    for (const seats of sizes.holdSeats) {
      say(`scenario 2: seat holds through the gateway on a fresh ${fmt(seats)}-seat event…`);
      const holds = await seatHolds(api, admin, accounts.slice(0, holdFans), {
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
    const joined = {
      ...(await joins(async () => cpuMeter(await cpuGroups(cpuScope())))),
      queueInstances: instancesUp,
    };
    say(`  ${fmt(joined.joinsPerSecond)} joins/s, ${latencyText(joined.run.latencyMs)}`);
    results.joins = joined;
  }

  if (wants('drop')) {
    // Two sales one after the other, as a platform has them: the second one's waiting room starts its
    // wait estimates from how long the first one's shoppers stayed.
    for (const sale of ['first', 'next'] as const) {
      load[sale === 'first' ? 'drop' : 'next drop'] = loadAverage();
      say(`scenario 3: the ${sale} drop, ${fmt(sizes.fans)} fans for ${fmt(sizes.dropSeats)} seats…`);
      const drop = await ticketDrop(api, admin, accounts.slice(0, sizes.fans), {
        env,
        gatewayUrl: GATEWAY,
        tossUrl: TOSS,
        seats: sizes.dropSeats,
        perUserLimit: 4,
        admissionRatePerMinute: sizes.admissionRate,
        maxActiveShoppers: sizes.maxShoppers,
        timeoutMs: 300_000,
        meter: async () => cpuMeter(await cpuGroups(cpuScope())),
      });
      say(
        `  ${drop.soldOut ? `sold out in ${drop.timeToSellOutS} s` : 'NOT sold out'}, ${fmt(drop.purchasesPerSecond, 1)} purchases/s, invariants ${drop.invariants.ok ? 'hold' : 'BROKEN'}, wait estimate error p50 ${fmt(drop.waitEstimate.errorS.p50, 1)} s`,
      );
      if (sale === 'first') results.drop = drop;
      else results.nextDrop = drop;
      await settle(`the ${sale} drop`);
    }
  }

  if (wants('waiters')) {
    if (instancesUp !== queueInstances) {
      say(`starting the platform again with ${queueInstances} waiting-room instances for the waiters…`);
      await api.close();
      await bench.stop();
      bench = await startWith(queueInstances);
      api = jsonClient(GATEWAY, Math.max(sizes.concurrency, 256));
      admin = await login(api, 'admin@tiketi.local', 'tiketi-admin-2026');
    }
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
      cpuGroups: async () => {
        const groups = await cpuGroups(cpuScope());
        const queue = groups.filter((g) => g.name === 'queue' || g.name.startsWith('queue-'));
        return [
          { name: 'queue instances', pids: queue.flatMap((g) => g.pids) },
          ...groups.filter((g) => g.name === 'Redis'),
        ];
      },
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
    if (part === 'gateway' || part === (profiled === 'joins' ? 'queue' : 'reservation')) {
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
