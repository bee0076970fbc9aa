import { databaseUrl } from '@tiketi/kit';
import { eventually as pollUntil } from '@tiketi/kit/testing';
import pg from 'pg';
import { defaultInfraUrls } from '../../scripts/lib/infra-check.ts';
import { listQueues, startIsolatedPlatform } from '../../scripts/lib/isolated-platform.ts';

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
 * A whole copy of the platform but the web app as real processes, `portOffset` above the standard ports,
 * on databases, a Redis prefix and an exchange of its own, so it runs beside `npm start` and beside other
 * test files. Everything it created is removed by `cleanup()`.
 */
export async function startPlatformUnderTest(
  label: string,
  options: { portOffset: number; env?: Record<string, string> },
) {
  const logs: LogLine[] = [];
  const copy = await startIsolatedPlatform({
    label,
    portOffset: options.portOffset,
    include: (part) => part.kind !== 'web',
    env: {
      SEED_DEMO: 'false',
      // PostgreSQL's connections are shared by every test file running at once: a copy of the platform
      // takes few of them.
      DATABASE_POOL_SIZE: '2',
      // Cheap password hashing: sign-ups are setup here, not what is under test.
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      ...options.env,
    },
    onLine: (part, _shown, raw) => {
      logs.push({ part, raw });
    },
  });
  const serverUrl = defaultInfraUrls(process.env).databaseUrl;
  const pools = new Map<DbOwner, pg.Pool>();

  /** A pool on one service's database, for counting rows and checking invariants. */
  function db(owner: DbOwner): pg.Pool {
    let pool = pools.get(owner);
    if (!pool) {
      pool = new pg.Pool({
        connectionString: databaseUrl(serverUrl, `${DATABASES[owner]}${copy.names.DATABASE_SUFFIX}`),
        max: 1,
        idleTimeoutMillis: 1000,
      });
      pools.set(owner, pool);
    }
    return pool;
  }

  return {
    platform: copy.platform,
    env: copy.env,
    names: copy.names,
    logs,
    gateway: copy.url('gateway'),
    url: copy.url,
    opsUrl: copy.opsUrl,
    port: copy.port,
    db,
    /** What the processes logged at error level or above: the cause behind a 500 in an assertion message. */
    errors: () =>
      logs
        .filter((l) => /"level":"(error|fatal)"/.test(l.raw))
        .map((l) => `${l.part}: ${l.raw.slice(0, 600)}`)
        .join('\n'),
    /** Never rejects: a leftover must not turn a passing suite red, but it is reported. */
    async cleanup() {
      for (const pool of pools.values()) await pool.end().catch(() => undefined);
      await copy.stop().catch((error: Error) => process.stderr.write(`${error.message}\n`));
    },
  };
}

export type IsolatedPlatform = Awaited<ReturnType<typeof startPlatformUnderTest>>;

/** Queues of one exchange, with the messages waiting in each. */
export const queuesOf = listQueues;

/** For what settles asynchronously across processes (events, sweeps): a longer deadline, polled less often. */
export const eventually = <T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> =>
  pollUntil(check, timeoutMs, 200);
