import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { databaseUrl, dropDatabase } from '@tiketi/kit';
import { deleteRedisPrefix } from '@tiketi/kit/testing';
import amqp from 'amqplib';
import pg from 'pg';
import { type Platform, platformEnv, repoRoot, startPlatform } from '../../scripts/lib/platform.ts';
import { discoverParts } from '../../scripts/lib/processes.ts';

const run = promisify(execFile);
const infraEnv = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};

export type LogLine = { part: string; raw: string };

/** Where the databases of one service of the platform under test live. */
export const DATABASES = {
  user: 'users_db',
  event: 'events_db',
  reservation: 'reservations_db',
  payment: 'payments_db',
  analytics: 'analytics_db',
  media: 'media_db',
  notification: 'notifications_db',
} as const;
export type DbOwner = keyof typeof DATABASES;

/**
 * A whole copy of the platform as real processes, `portOffset` above the standard ports, on databases,
 * a Redis prefix and an exchange of its own, so it runs beside `npm start` and beside other test files.
 * Everything it created is removed by `cleanup()`.
 */
export async function startIsolatedPlatform(
  label: string,
  options: { portOffset: number; env?: Record<string, string> },
) {
  // Readiness is checked by port: something already answering there would be taken for our part.
  const taken: string[] = [];
  for (const part of discoverParts(repoRoot)) {
    const port = part.port + options.portOffset;
    if (part.kind !== 'web' && (await listening(port))) taken.push(`${part.name} (${port})`);
  }
  if (taken.length) throw new Error(`Ports of the platform under test are taken: ${taken.join(', ')}`);

  const id = randomBytes(3).toString('hex');
  const suffix = `_${label.replace(/[^a-z0-9]/g, '_')}_${id}`;
  const names = {
    DATABASE_SUFFIX: suffix,
    REDIS_PREFIX: `test:${label}:${id}:`,
    AMQP_EXCHANGE: `tiketi.test.${label}.${id}`,
  };
  const logs: LogLine[] = [];
  const env = platformEnv({
    ...process.env,
    ...infraEnv,
    ...names,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    // PostgreSQL's connections are shared by every test file running at once: a copy of the platform
    // takes few of them.
    DATABASE_POOL_SIZE: '2',
    // Cheap password hashing: sign-ups are setup here, not what is under test.
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ...options.env,
  });
  const platform: Platform = await startPlatform({
    env,
    portOffset: options.portOffset,
    include: (part) => part.kind !== 'web',
    onLine: (part, _shown, raw) => {
      logs.push({ part, raw });
    },
    startupTimeoutMs: 150_000,
  });
  const port = (name: string) => {
    const part = platform.parts.find((p) => p.name === name);
    if (!part) throw new Error(`no part ${name}`);
    return part.port;
  };
  const gateway = `http://127.0.0.1:${port('gateway')}`;
  const pools = new Map<DbOwner, pg.Pool>();

  /** A pool on one service's database, for counting rows and checking invariants. */
  function db(owner: DbOwner): pg.Pool {
    let pool = pools.get(owner);
    if (!pool) {
      pool = new pg.Pool({
        connectionString: databaseUrl(infraEnv.DATABASE_URL, `${DATABASES[owner]}${suffix}`),
        max: 1,
        idleTimeoutMillis: 1000,
      });
      pools.set(owner, pool);
    }
    return pool;
  }

  return {
    platform,
    env,
    names,
    logs,
    gateway,
    url: (name: string) => `http://127.0.0.1:${port(name)}`,
    port,
    db,
    /** What the processes logged at error level or above: the cause behind a 500 in an assertion message. */
    errors: () =>
      logs
        .filter((l) => /"level":"(error|fatal)"/.test(l.raw))
        .map((l) => `${l.part}: ${l.raw.slice(0, 600)}`)
        .join('\n'),
    async cleanup() {
      await platform.stop().catch(() => undefined);
      for (const pool of pools.values()) await pool.end().catch(() => undefined);
      for (const name of Object.values(DATABASES))
        await dropDatabase(infraEnv.DATABASE_URL, `${name}${suffix}`).catch(() => undefined);
      await deleteRedisPrefix(infraEnv.REDIS_URL, names.REDIS_PREFIX).catch(() => undefined);
      await deleteExchange(names.AMQP_EXCHANGE).catch(() => undefined);
    },
  };
}

export type IsolatedPlatform = Awaited<ReturnType<typeof startIsolatedPlatform>>;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Queues of one exchange (every consumer queue is named `<exchange>.<service>.<consumer>…`). */
export async function queuesOf(exchange: string): Promise<{ name: string; messages: number }[]> {
  const { stdout } = await run(
    'rabbitmqctl',
    ['-q', 'list_queues', 'name', 'messages', '--no-table-headers'],
    {
      timeout: 30_000,
    },
  );
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name]) => name?.startsWith(`${exchange}.`))
    .map(([name, messages]) => ({ name: name as string, messages: Number(messages) }));
}

async function deleteExchange(exchange: string): Promise<void> {
  const queues = await queuesOf(exchange).catch(() => []);
  const connection = await amqp.connect(infraEnv.AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const q of queues) await channel.deleteQueue(q.name);
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

/** Polls until `check` passes or the deadline: for what settles asynchronously (events, sweeps). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
