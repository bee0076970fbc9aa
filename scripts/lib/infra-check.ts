import net from 'node:net';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';

export type InfraUrls = { databaseUrl: string; redisUrl: string; amqpUrl: string };

export const defaultInfraUrls = (env = process.env): InfraUrls => ({
  databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqpUrl: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
});

const HOW_TO_START: Record<string, string> = {
  PostgreSQL:
    'Start it (Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or `apt-get install postgresql`), ' +
    'or run `docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d postgres`, or point DATABASE_URL at a server.',
  Redis:
    'Start it (Debian: `redis-server --daemonize yes`, or `apt-get install redis-server`), ' +
    'or run `docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d redis`, or point REDIS_URL at a server.',
  RabbitMQ:
    'Start it (Debian: `rabbitmq-server -detached`, or `apt-get install rabbitmq-server`), ' +
    'or run `docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d rabbitmq`, or point AMQP_URL at a broker.',
};

async function check(name: string, url: string, probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000)),
    ]);
    return undefined;
  } catch (error) {
    const where = new URL(url);
    where.password = where.password ? '***' : '';
    return `✗ ${name} is not reachable at ${where.host} (${(error as Error).message}).\n  ${HOW_TO_START[name]}`;
  }
}

/** The part names scripts/infra-up.sh takes, by server. */
const PART: Record<string, string> = { PostgreSQL: 'postgres', Redis: 'redis', RabbitMQ: 'rabbitmq' };

/** Checks PostgreSQL, Redis and RabbitMQ answer; returns one message per missing one. */
export async function checkInfra(urls: InfraUrls): Promise<string[]> {
  return (await missingInfra(urls)).map((m) => m.message);
}

/** The servers that do not answer: the infra-up part that starts each, and what to tell the user. */
export async function missingInfra(
  urls: InfraUrls,
): Promise<{ part: string; port: number; message: string }[]> {
  const results = await Promise.all([
    check('PostgreSQL', urls.databaseUrl, async () => {
      const client = new pg.Client({ connectionString: urls.databaseUrl, connectionTimeoutMillis: 4000 });
      client.on('error', () => undefined);
      await client.connect();
      await client.query('select 1');
      await client.end();
    }),
    check('Redis', urls.redisUrl, async () => {
      const redis = new Redis(urls.redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    }),
    check('RabbitMQ', urls.amqpUrl, async () => {
      const conn = await amqplib.connect(urls.amqpUrl);
      await conn.close();
    }),
  ]);
  const names = ['PostgreSQL', 'Redis', 'RabbitMQ'];
  const ports = [urls.databaseUrl, urls.redisUrl, urls.amqpUrl].map(
    (u, i) => Number(new URL(u).port) || [5432, 6379, 5672][i],
  );
  return results.flatMap((message, i) =>
    message === undefined
      ? []
      : [{ part: PART[names[i] as string] as string, port: ports[i] as number, message }],
  );
}

/** Resolves once something listens on the port (or rejects after the timeout). */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}
