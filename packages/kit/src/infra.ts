import { type Kysely, sql } from 'kysely';
import { Bus } from './bus.ts';
import type { BaseConfig } from './config.ts';
import { createDb, databaseUrl, ensureDatabase, type NestedAcquisitionError } from './db.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { KIT_MIGRATIONS, migrate } from './migrate.ts';
import { OutboxRelay } from './outbox.ts';
import { createRedis, type Redis } from './redis.ts';
import type { ReadinessCheck } from './server.ts';

/** What a service needs opened for it: its database (with migrations), Redis, the event bus. */
export type InfraSpec = {
  service: string;
  /** The service's own database and the folder of its SQL migrations. */
  database?: { name: string; migrations: string };
  redis?: boolean;
  /** Connect to RabbitMQ; with a database this also runs the outbox relay. */
  bus?: boolean;
};

export type Infra<S extends InfraSpec, DB> = {
  db: S['database'] extends object ? Kysely<DB> : undefined;
  redis: S['redis'] extends true ? Redis : undefined;
  bus: S['bus'] extends true ? Bus : undefined;
  relay: S['bus'] extends true ? (S['database'] extends object ? OutboxRelay<DB> : undefined) : undefined;
  readiness: Record<string, ReadinessCheck>;
  /** The service's metrics registry: hand it to the server (`serverSettings(config, infra.metrics)`). */
  metrics: Metrics;
  /** Starts background work (the outbox relay). */
  start(): Promise<void>;
  /** Stops background work and closes every connection, in the safe order. */
  close(): Promise<void>;
};

export type InfraConfig = Pick<
  BaseConfig,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_SIZE'
  | 'DATABASE_SUFFIX'
  | 'REDIS_URL'
  | 'REDIS_PREFIX'
  | 'AMQP_URL'
  | 'AMQP_EXCHANGE'
> & { DATABASE_NAME?: string };

/** What most services open: their own database, Redis and the event bus (with the outbox relay). */
type ServiceInfraSpec = {
  service: string;
  database: { name: string; migrations: string };
  redis: true;
  bus: true;
};
export type ServiceInfra<DB> = Infra<ServiceInfraSpec, DB>;

/**
 * `openInfra` for a service with its own database (DATABASE_NAME, migrated from `migrations`, the folder
 * beside its `src`), Redis and the event bus.
 */
export function openServiceInfra<DB>(
  service: string,
  migrations: URL,
  config: InfraConfig & { DATABASE_NAME: string },
  logger: Logger,
): Promise<ServiceInfra<DB>> {
  const database = { name: config.DATABASE_NAME, migrations: migrations.pathname };
  return openInfra<ServiceInfraSpec, DB>({ service, database, redis: true, bus: true }, config, logger);
}

/**
 * A nested acquisition seen in production: counted (`tiketi_db_nested_acquisitions_total`) and logged with
 * its stack once per call site, so a busy path does not flood the log.
 */
export function nestedAcquisitionReport(logger: Logger, metrics: Metrics) {
  const counter = metrics.counter(
    'tiketi_db_nested_acquisitions_total',
    'Connections asked of the pool by code already holding one of its connections (see NestedAcquisitionError).',
  );
  const logged = new Set<string>();
  return (error: NestedAcquisitionError) => {
    counter.inc();
    const site = error.stack ?? error.message;
    if (logged.has(site) || logged.size >= 100) return;
    logged.add(site);
    logger.warn({ err: error }, 'nested database connection acquisition');
  };
}

/**
 * Opens what the spec asks for. The database is created when missing and migrated (kit tables first,
 * then the service's), so a fresh machine needs nothing done by hand.
 */
export async function openInfra<S extends InfraSpec, DB>(
  spec: S,
  config: InfraConfig,
  logger: Logger,
): Promise<Infra<S, DB>> {
  const readiness: Record<string, ReadinessCheck> = {};
  const metrics = createMetrics(spec.service);
  let db: Kysely<DB> | undefined;
  let redis: Redis | undefined;
  let bus: Bus | undefined;
  let relay: OutboxRelay<DB> | undefined;

  if (spec.database) {
    const name = `${config.DATABASE_NAME ?? spec.database.name}${config.DATABASE_SUFFIX}`;
    const url = databaseUrl(config.DATABASE_URL, name);
    await ensureDatabase(config.DATABASE_URL, name);
    const result = await migrate(url, [KIT_MIGRATIONS, spec.database.migrations]);
    if (result.applied.length) logger.info({ applied: result.applied }, 'migrations applied');
    const opened = createDb<DB>({
      url,
      poolSize: config.DATABASE_POOL_SIZE,
      applicationName: spec.service,
      onNestedAcquisition: nestedAcquisitionReport(logger, metrics),
    });
    db = opened;
    readiness.database = () => sql`select 1`.execute(opened);
    if (spec.bus) {
      bus = new Bus({ url: config.AMQP_URL, exchange: config.AMQP_EXCHANGE, service: spec.service, logger });
      relay = new OutboxRelay({ db: opened, bus, logger, metrics });
    }
  }
  if (spec.bus && !bus) {
    bus = new Bus({ url: config.AMQP_URL, exchange: config.AMQP_EXCHANGE, service: spec.service, logger });
  }
  if (bus) {
    const connected = bus;
    readiness.rabbitmq = async () => {
      if (!connected.isConnected()) throw new Error('not connected');
    };
  }
  if (spec.redis) {
    const opened = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
    redis = opened;
    readiness.redis = () => opened.ping();
  }

  return {
    db,
    redis,
    bus,
    relay,
    readiness,
    metrics,
    async start() {
      await relay?.start();
    },
    async close() {
      await relay?.stop();
      await bus?.close();
      await db?.destroy();
      redis?.disconnect();
    },
  } as Infra<S, DB>;
}
