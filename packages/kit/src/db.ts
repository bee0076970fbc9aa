import { CamelCasePlugin, Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';

export { type Kysely, sql, type Transaction };

// bigint (e.g. count(*)) as a JS number: our counts and KRW amounts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/** The URL of one database on the server that `serverUrl` points at. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export type DbOptions = { url: string; poolSize?: number; applicationName?: string };

/** Kysely over a pg pool; column names are snake_case in SQL and camelCase in TypeScript. */
export function createDb<DB>(options: DbOptions): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // A connection dropped by the server (restart, network cut) must not crash the process: the query in
  // flight fails with its own error and the pool replaces the connection. pg emits 'error' on idle
  // clients through the pool, and on checked-out clients directly.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function assertIdentifier(name: string): void {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a safe database name`);
}

async function withServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database when it does not exist yet; safe when several processes race to do it. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<boolean> {
  assertIdentifier(name);
  return withServer(serverUrl, async (client) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database "${name}"`);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 42P04: created meanwhile by someone else; 23505: the same race seen through pg_database's index.
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  });
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  assertIdentifier(name);
  await withServer(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** True when the error is PostgreSQL's unique violation (optionally on one named constraint). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
