import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { repoRoot } from '../../scripts/lib/platform.ts';

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(`${repoRoot}/node_modules/${name}/package.json`, 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function shell(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Raises this process's open-file limit, soft and hard, to `wanted` where the system lets it (root, or a
 * hard limit already that high), so that the platform parts and the waiter crowd it starts inherit it: one
 * waiting-room socket is one open file in the queue instance. Answers the limit now in force.
 */
export function raiseOpenFileLimit(wanted: number): number {
  if (openFileLimit() < wanted)
    shell('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`]);
  return openFileLimit();
}

/** The largest number of open files this process (and every part it starts) may have. */
export function openFileLimit(): number {
  const n = Number(shell('sh', ['-c', 'ulimit -n']));
  return Number.isFinite(n) && n > 0 ? n : 1_000_000;
}

export const loadAverage = () => os.loadavg().map((n) => Math.round(n * 100) / 100);

/** What the figures were measured on. */
export async function machine(env: NodeJS.ProcessEnv) {
  const client = new pg.Client({
    connectionString: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  const postgres =
    (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ??
    'unknown';
  const maxConnections =
    (await client.query<{ v: string }>("select current_setting('max_connections') as v")).rows[0]?.v ?? '';
  await client.end();
  const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  const info = await redis.info('server');
  redis.disconnect();
  const amqpConnection = await amqp.connect(env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const rabbit = String(
    (amqpConnection as unknown as { connection: { serverProperties?: { version?: string } } }).connection
      .serverProperties?.version ?? 'unknown',
  );
  await amqpConnection.close();
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1073741824),
    os: `${os.type()} ${os.release()}`,
    openFileLimit: openFileLimit(),
    node: process.version,
    postgres,
    postgresMaxConnections: Number(maxConnections),
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    rabbitmq: rabbit,
    fastify: packageVersion('fastify'),
    socketIo: packageVersion('socket.io'),
    undici: packageVersion('undici'),
    commit: shell('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']),
  };
}
