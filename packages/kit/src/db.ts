import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  CamelCasePlugin,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  type QueryExecutorProvider,
  type SelectQueryBuilder,
  sql,
  type Transaction,
  type TransactionSettings,
} from 'kysely';
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

/** A user's text taken literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export type Page = { limit: number; offset: number };

/**
 * One page of a filtered list and the size of the whole list: `rows` selects and orders the page from
 * `query` (already filtered), and the count runs on `query` itself, side by side.
 */
export async function paginate<DB, TB extends keyof DB, O, R>(
  query: SelectQueryBuilder<DB, TB, O>,
  rows: (query: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, R>,
  page: Page,
): Promise<{ items: R[]; total: number }> {
  const [items, count] = await Promise.all([
    rows(query).limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number((count as { n: number }).n) };
}

export type DbOptions = { url: string; poolSize?: number; applicationName?: string };

/** The name a statement is prepared under, for the one statement run inside `prepared(…).execute`. */
const preparing = new AsyncLocalStorage<string>();

/**
 * Runs a hot statement as a named prepared statement: prepared once per connection, then only bound and
 * executed (planning a many-CTE statement costs PostgreSQL more than running it). The text must not vary
 * between calls (values go in parameters): `prepared('hold_seats', sql\`select …\`).execute(db)`.
 */
export function prepared<R>(name: string, query: { execute(executor: QueryExecutorProvider): Promise<R> }) {
  return {
    execute: (executor: QueryExecutorProvider): Promise<R> =>
      preparing.run(name, () => query.execute(executor)),
  };
}

const statementNames = new Map<string, string>();

/** A name per distinct text: pg refuses to prepare one name with two texts. */
function statementName(label: string, text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pool's client: a statement run under `prepared()` goes out as a named prepared statement. */
class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; all are passed through.
  override query(...args: any[]): any {
    const label = preparing.getStore();
    if (label && typeof args[0] === 'string') {
      args = [{ name: statementName(label, args[0]), text: args[0], values: args[1] }, ...args.slice(2)];
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    return (super.query as (...a: any[]) => any)(...args);
  }
}

/** Connections whose open transaction wrote an outbox row (`wakeRelayAfterCommit`). */
const outboxWritten = new WeakSet<DatabaseConnection>();

/**
 * Kysely's PostgreSQL driver, telling `signal` once a transaction that wrote an outbox row has committed.
 * This is how the relay of the same process learns of new rows at once. (A trigger calling pg_notify would
 * do it across processes, but NOTIFY takes a lock that serialises every notifying commit of the whole
 * server, which caps the seat-hold rate at the drop.)
 */
class SignallingDriver extends PostgresDriver {
  private readonly signal: EventEmitter;

  constructor(config: PostgresDialectConfig, signal: EventEmitter) {
    super(config);
    this.signal = signal;
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    outboxWritten.delete(connection);
    await super.beginTransaction(connection, settings);
  }

  override async commitTransaction(connection: DatabaseConnection) {
    const wrote = outboxWritten.delete(connection);
    await super.commitTransaction(connection);
    if (wrote) this.signal.emit('committed');
  }

  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]) {
    outboxWritten.delete(connection);
    await super.rollbackTransaction(connection);
  }
}

class SignallingDialect extends PostgresDialect {
  private readonly config: PostgresDialectConfig;
  private readonly signal: EventEmitter;

  constructor(config: PostgresDialectConfig, signal: EventEmitter) {
    super(config);
    this.config = config;
    this.signal = signal;
  }

  override createDriver(): Driver {
    return new SignallingDriver(this.config, this.signal);
  }
}

const outboxSignals = new WeakMap<object, EventEmitter>();

/** Calls `listener` each time a write to the outbox commits through this database handle. */
export function onOutboxCommit(db: Kysely<unknown>, listener: () => void): () => void {
  const signal = outboxSignals.get(db);
  if (!signal) return () => undefined;
  signal.on('committed', listener);
  return () => signal.off('committed', listener);
}

/** Where an outbox row is written: a Kysely handle or one of its transactions. */
export type OutboxWriter = QueryExecutorProvider & { readonly isTransaction: boolean };

/**
 * Tells the relay of this process that `executor` wrote an outbox row: in a transaction, the relay wakes
 * once it commits (never on a rollback); outside one, the write was its own commit and the relay wakes now.
 * Whatever writes an outbox row calls it right after the write.
 */
export async function wakeRelayAfterCommit(executor: OutboxWriter): Promise<void> {
  if (executor.isTransaction) {
    await executor.getExecutor().provideConnection(async (connection) => {
      outboxWritten.add(connection);
    });
  } else {
    outboxSignals.get(executor)?.emit('committed');
  }
}

/** Kysely over a pg pool; column names are snake_case in SQL and camelCase in TypeScript. */
export function createDb<DB>(options: DbOptions): Kysely<DB> {
  const signal = new EventEmitter();
  signal.setMaxListeners(0);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    Client: PreparingClient,
  });
  // A connection dropped by the server (restart, network cut) must not crash the process: the query in
  // flight fails with its own error and the pool replaces the connection. pg emits 'error' on idle
  // clients through the pool, and on checked-out clients directly.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({
    dialect: new SignallingDialect({ pool }, signal),
    plugins: [new CamelCasePlugin()],
  });
  outboxSignals.set(db, signal);
  return db;
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
