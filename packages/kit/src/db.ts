import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  CamelCasePlugin,
  type ConnectionProvider,
  type DatabaseConnection,
  DefaultQueryExecutor,
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

export type DbOptions = {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /**
   * What a nested acquisition does (`NestedAcquisitionError`): `throw` fails it, so the test exercising the
   * path fails (the default under NODE_ENV=test); `report` lets it go on and tells `onNestedAcquisition`.
   */
  nestedAcquisition?: 'throw' | 'report';
  /** Told of each nested acquisition that goes on (`report`); a service logs and counts them. */
  onNestedAcquisition?: (error: NestedAcquisitionError) => void;
};

/**
 * A connection asked of a pool by code that already holds one of that pool's connections (inside its
 * `connection().execute` or `transaction().execute`) and waits for the answer while holding it. With as
 * many such requests at once as the pool has connections, every one waits for a second connection that
 * none will give back, until the pool's connect timeout. The query belongs on the held connection.
 */
export class NestedAcquisitionError extends Error {
  constructor() {
    // Deep enough to reach the caller's own frames past Kysely's (only ever paid on this path).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    super(
      'A query asked the database pool for a second connection while this async context already holds one ' +
        'of its connections (inside db.connection().execute or db.transaction().execute): run it on the held ' +
        'connection or transaction (pass conn/trx down) instead of the shared db handle.',
    );
    Error.stackTraceLimit = limit;
    this.name = 'NestedAcquisitionError';
  }
}

/** A connection held by the current async context, and those its holder held around it. */
type Hold = { readonly pool: pg.Pool; open: boolean; readonly outer: Hold | undefined };

/** What the current async context holds: set for the callback of every pool acquisition. */
const holding = new AsyncLocalStorage<Hold>();

function holds(hold: Hold | undefined, pool: pg.Pool): boolean {
  for (let h = hold; h; h = h.outer) if (h.open && h.pool === pool) return true;
  return false;
}

/**
 * Runs `fn` as work of its own, holding no connection: for work started under a held connection that
 * does not belong to it (a wake-up after commit, a task that runs later), so its queries take their own
 * connection without being taken for nested acquisitions.
 */
export function outsideHeldConnections<T>(fn: () => T): T {
  return holding.exit(fn);
}

/**
 * Kysely's pool acquisition, remembering for the consumer (a single query, or the callback of
 * `connection().execute` / `transaction().execute`) that its context holds a connection of this pool, so
 * that a second acquisition from there is seen (one `getStore` per acquisition).
 */
class HoldTrackingConnectionProvider implements ConnectionProvider {
  private readonly driver: SignallingDriver;
  private readonly pool: pg.Pool;
  private readonly nested: () => void;

  constructor(driver: SignallingDriver, pool: pg.Pool, nested: () => void) {
    this.driver = driver;
    this.pool = pool;
    this.nested = nested;
  }

  async provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const outer = holding.getStore();
    if (outer && holds(outer, this.pool)) this.nested();
    const connection = await this.driver.acquireConnection();
    const hold: Hold = { pool: this.pool, open: true, outer };
    try {
      return await holding.run(hold, consumer, connection);
    } finally {
      // Work the consumer started that outlives it holds nothing any more.
      hold.open = false;
      // Kysely types the driver's release for its own connection class, which this is.
      await this.driver.releaseConnection(connection as Parameters<PostgresDriver['releaseConnection']>[0]);
    }
  }
}

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
 * It is ready once (and refuses work once destroyed) on its own, as Kysely's runtime wrapper would make it.
 * This is how the relay of the same process learns of new rows at once. (A trigger calling pg_notify would
 * do it across processes, but NOTIFY takes a lock that serialises every notifying commit of the whole
 * server, which caps the seat-hold rate at the drop.)
 */
class SignallingDriver extends PostgresDriver {
  private readonly signal: EventEmitter;
  private initialising: Promise<void> | undefined;
  private ready = false;
  private destroyed = false;

  constructor(config: PostgresDialectConfig, signal: EventEmitter) {
    super(config);
    this.signal = signal;
  }

  override async init(): Promise<void> {
    this.initialising ??= super.init();
    await this.initialising;
    this.ready = true;
  }

  override async acquireConnection() {
    if (this.destroyed) throw new Error('driver has already been destroyed');
    if (!this.ready) await this.init();
    return super.acquireConnection();
  }

  override async destroy(): Promise<void> {
    this.destroyed = true;
    await super.destroy();
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    outboxWritten.delete(connection);
    await super.beginTransaction(connection, settings);
  }

  override async commitTransaction(connection: DatabaseConnection) {
    const wrote = outboxWritten.delete(connection);
    await super.commitTransaction(connection);
    // The relay's pass is its own work, not the committing transaction's.
    if (wrote) outsideHeldConnections(() => this.signal.emit('committed'));
  }

  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]) {
    outboxWritten.delete(connection);
    await super.rollbackTransaction(connection);
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
    const signal = outboxSignals.get(executor);
    if (signal) outsideHeldConnections(() => signal.emit('committed'));
  }
}

/**
 * Kysely over a pg pool; column names are snake_case in SQL and camelCase in TypeScript. Code holding one
 * of the pool's connections that asks it for another is caught (`NestedAcquisitionError`).
 */
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
  const strict =
    (options.nestedAcquisition ?? (process.env.NODE_ENV === 'test' ? 'throw' : 'report')) === 'throw';
  const report = options.onNestedAcquisition ?? ((error: Error) => process.emitWarning(error));
  const nested = () => {
    const error = new NestedAcquisitionError();
    if (strict) {
      // Also told where a catch-all would swallow the throw (a background job's pass, a fallback).
      process.emitWarning(error);
      throw error;
    }
    report(error);
  };
  // Kysely's own assembly (dialect, driver, executor), with the acquisition that tracks holds.
  const dialect = new PostgresDialect({ pool });
  const driver = new SignallingDriver({ pool }, signal);
  const plugins = [new CamelCasePlugin()];
  const executor = new DefaultQueryExecutor(
    dialect.createQueryCompiler(),
    dialect.createAdapter(),
    new HoldTrackingConnectionProvider(driver, pool, nested),
    plugins,
  );
  const db = new Kysely<DB>({ config: { dialect, plugins }, dialect, driver, executor });
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
