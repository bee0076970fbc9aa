import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { dropDatabase } from '@tiketi/kit';
import { deleteRedisPrefix } from '@tiketi/kit/testing';
import amqp from 'amqplib';
import pg from 'pg';
import { type Platform, platformEnv, repoRoot, startPlatform } from '../../scripts/lib/platform.ts';
import { discoverParts, type Part } from '../../scripts/lib/processes.ts';
import { sleep } from './stats.ts';

const run = promisify(execFile);

export type BenchPlatform = {
  id: string;
  env: NodeJS.ProcessEnv;
  platform: Platform;
  /** Warnings and errors the parts logged (LOG_LEVEL=warn), counted per part. */
  logCounts: Record<string, number>;
  logTail: string[];
  stop(): Promise<void>;
};

const LIMITLESS = '1000000000';

/** Everything but the web app: the bench talks to the API as the web app's users would. */
export const benchParts = (part: Part) => part.kind !== 'web';

async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * The platform's parts listen on fixed ports, and another copy (a browser test, `npm start`) may hold them:
 * wait for them rather than fail or, worse, measure someone else's services.
 */
export async function waitForFreePorts(say: (text: string) => void, timeoutMs: number): Promise<void> {
  const parts = discoverParts(repoRoot).filter(benchParts);
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const busy: string[] = [];
    for (const p of parts) if (await portInUse(p.port)) busy.push(`${p.name}:${p.port}`);
    if (busy.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`ports still in use after ${timeoutMs / 1000} s: ${busy.join(', ')}`);
    }
    if (!told) say(`waiting for another copy of the platform to free its ports (${busy.join(', ')})…`);
    told = true;
    await sleep(3000);
  }
}

/**
 * Starts the platform for the bench on its own databases, Redis prefix and exchange (all removed by
 * `stop()`), with the settings a load test needs: rate limits out of the way (one machine plays every
 * fan, from one IP), a cheap argon2 cost for creating accounts fast, and the signing key given by the bench
 * so that it can mint access tokens for the waiting-room crowd.
 */
export async function startBenchPlatform(options: {
  extraEnv: Record<string, string>;
  say: (text: string) => void;
}): Promise<BenchPlatform> {
  const id = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...platformEnv(),
    LOG_LEVEL: 'warn',
    DATABASE_SUFFIX: `_bench_${id}`,
    REDIS_PREFIX: `bench:${id}:`,
    AMQP_EXCHANGE: `tiketi.bench.${id}`,
    RATE_LIMIT_AUTH: LIMITLESS,
    RATE_LIMIT_QUEUE_JOIN: LIMITLESS,
    RATE_LIMIT_GENERAL: LIMITLESS,
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    ACCESS_TOKEN_TTL_SECONDS: '7200',
    ...options.extraEnv,
  };
  const logCounts: Record<string, number> = {};
  const logTail: string[] = [];
  let platform: Platform;
  try {
    platform = await startPlatform({
      env,
      include: benchParts,
      say: (text) => options.say(`  ${text.trim()}`),
      onLine: (part, line) => {
        logCounts[part] = (logCounts[part] ?? 0) + 1;
        logTail.push(`${part}: ${line}`);
        if (logTail.length > 300) logTail.shift();
      },
      startupTimeoutMs: 180_000,
    });
  } catch (error) {
    await dropEverything(env).catch(() => undefined);
    throw error;
  }
  const running = platform;
  // Whatever ends the bench, the parts it started must not outlive it.
  process.on('exit', () => {
    for (const r of running.running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });
  return {
    id,
    env,
    platform: running,
    logCounts,
    logTail,
    async stop() {
      await running.stop();
      await dropEverything(env);
    },
  };
}

/** Drops the run's databases, deletes its Redis keys, its exchange and every queue named after it. */
export async function dropEverything(env: NodeJS.ProcessEnv): Promise<void> {
  const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const suffix = env.DATABASE_SUFFIX ?? '';
  if (suffix) {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    const { rows } = await client
      .query<{ datname: string }>('select datname from pg_database where right(datname, $1) = $2', [
        suffix.length,
        suffix,
      ])
      .finally(() => client.end());
    for (const { datname } of rows) await dropDatabase(serverUrl, datname);
  }
  if (env.REDIS_PREFIX) await deleteRedisPrefix(env.REDIS_URL ?? 'redis://127.0.0.1:6379', env.REDIS_PREFIX);
  const exchange = env.AMQP_EXCHANGE;
  if (!exchange) return;
  let names: string[] = [];
  try {
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name'], { timeout: 30_000 });
    names = stdout.split('\n').filter((name) => name.startsWith(`${exchange}.`));
  } catch (error) {
    // Without rabbitmqctl (a remote broker) the queues stay; the exchange still goes.
    process.stderr.write(`could not list RabbitMQ queues: ${(error as Error).message}\n`);
  }
  const connection = await amqp.connect(env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Messages still waiting in this run's queues: the platform is quiet when it is 0. */
export async function brokerBacklog(exchange: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'messages'], { timeout: 30_000 });
  let total = 0;
  for (const line of stdout.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name?.startsWith(`${exchange}.`) && !name.endsWith('.dlq') && !name.includes('.retry.')) {
      total += Number(count) || 0;
    }
  }
  return total;
}
