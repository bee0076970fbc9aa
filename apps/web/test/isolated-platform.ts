import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { dropDatabase } from '@tiketi/kit';
import { deleteRedisPrefix } from '@tiketi/kit/testing';
import amqp from 'amqplib';
import pg from 'pg';
import { type Platform, platformEnv, repoRoot, startPlatform } from '../../../scripts/lib/platform.ts';
import { discoverParts } from '../../../scripts/lib/processes.ts';

/**
 * The whole platform on its standard ports (the browser reaches it as a person would), but on databases,
 * Redis keys and an exchange of its own, all removed again by `stop()`.
 */
export async function startIsolatedPlatform(label: string) {
  // A part answering on its port would be mistaken for ours (readiness is checked by port): refuse early.
  const taken = [];
  for (const part of discoverParts(repoRoot))
    if (await listening(part.port)) taken.push(`${part.name} (${part.port})`);
  if (taken.length) {
    throw new Error(`Another Tiketi is running on the standard ports: ${taken.join(', ')}. Stop it first.`);
  }
  const id = randomBytes(4).toString('hex');
  const env = {
    ...platformEnv(),
    LOG_LEVEL: 'warn',
    DATABASE_SUFFIX: `_${label}_${id}`,
    REDIS_PREFIX: `${label}:${id}:`,
    AMQP_EXCHANGE: `tiketi.${label}.${id}`,
  };
  const lines: string[] = [];
  let platform: Platform | undefined;
  try {
    platform = await startPlatform({
      env,
      onLine: (part, line) => {
        lines.push(`${part}: ${line}`);
        if (lines.length > 400) lines.shift();
      },
      startupTimeoutMs: 150_000,
    });
  } catch (error) {
    await dropEverything(env);
    throw error;
  }
  const running = platform;
  return {
    env,
    lines,
    async stop() {
      await running.stop();
      await dropEverything(env);
    },
  };
}

async function dropEverything(env: NodeJS.ProcessEnv) {
  const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const suffix = env.DATABASE_SUFFIX ?? '';
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  const { rows } = await client
    .query<{ datname: string }>('select datname from pg_database where right(datname, $1) = $2', [
      suffix.length,
      suffix,
    ])
    .finally(() => client.end());
  for (const { datname } of rows) await dropDatabase(serverUrl, datname);
  await deleteRedisPrefix(env.REDIS_URL ?? 'redis://127.0.0.1:6379', env.REDIS_PREFIX ?? '');
  await dropBrokerTopology(env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', env.AMQP_EXCHANGE ?? '');
}

/** Every consumer queue is named after the exchange: list them with rabbitmqctl, then delete them. */
async function dropBrokerTopology(url: string, exchange: string) {
  let names: string[] = [];
  try {
    const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', 'list_queues', 'name'], {
      timeout: 30_000,
    });
    names = stdout.split('\n').filter((name) => name.startsWith(`${exchange}.`));
  } catch (error) {
    // Without rabbitmqctl (a remote broker) the queues stay; the exchange still goes.
    process.stderr.write(`could not list RabbitMQ queues: ${(error as Error).message}\n`);
  }
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
