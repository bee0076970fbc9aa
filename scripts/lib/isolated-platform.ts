import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { dropDatabase, taggedExchangeOf } from '@tiketi/kit';
import { deleteRedisPrefix } from '@tiketi/kit/testing';
import amqp from 'amqplib';
import pg from 'pg';
import { defaultInfraUrls } from './infra-check.ts';
import { type Platform, platformEnv, repoRoot, startPlatform } from './platform.ts';
import { discoverParts, type Part } from './processes.ts';

const run = promisify(execFile);

/**
 * Added to the ports of every copy a test starts (`TEST_PORT_SHIFT`, default 0), so two checkouts can run
 * their browser and platform tests on one machine at the same time.
 */
export const TEST_PORT_SHIFT = Number(process.env.TEST_PORT_SHIFT ?? 0);

export type IsolatedPlatformOptions = {
  /** Goes into every name the copy creates, so a leftover tells whose it is (letters, digits, `_`). */
  label: string;
  /** Which parts to start (default: all of them). */
  include?: (part: Part) => boolean;
  /** Above the standard ports (default 0: the standard ports themselves). */
  portOffset?: number;
  /** On top of the platform's defaults and the isolation names; wins over `logLevel`. */
  env?: NodeJS.ProcessEnv;
  /** LOG_LEVEL of every part (default `warn`: the lines kept are the ones that explain a failure). */
  logLevel?: string;
  /** How long to wait for another copy to free the ports before giving up (default 0: refuse at once). */
  waitForPortsMs?: number;
  say?: (text: string) => void;
  /** Every line the parts print, besides the last ones kept in `lines`. */
  onLine?: (part: string, line: string, raw: string) => void;
  startupTimeoutMs?: number;
};

/** What a copy creates besides its processes: `stop()` removes exactly these. */
export type IsolationNames = { DATABASE_SUFFIX: string; REDIS_PREFIX: string; AMQP_EXCHANGE: string };

export type IsolatedPlatform = {
  id: string;
  /** The environment every part was started with. */
  env: NodeJS.ProcessEnv;
  names: IsolationNames;
  platform: Platform;
  /** The parts' last log lines, `part: line`, for failure messages. */
  lines: string[];
  port(name: string): number;
  url(name: string): string;
  /** Where a part's health, readiness and metrics answer (its own port unless it has an ops port). */
  opsUrl(name: string): string;
  /** Stops the parts, then drops the databases, Redis keys, exchange and queues of this copy. */
  stop(): Promise<void>;
};

/**
 * A copy of the platform as real processes on databases, a Redis prefix and an exchange of its own, so
 * it can run beside `npm start` (on offset ports) and leaves nothing behind. A copy never shares ports:
 * readiness is checked by port, and something else answering there would be taken for one of its parts.
 */
export async function startIsolatedPlatform(options: IsolatedPlatformOptions): Promise<IsolatedPlatform> {
  if (!/^[a-z0-9_]+$/.test(options.label)) throw new Error(`label ${options.label}: use a-z, 0-9 and _`);
  const include = options.include ?? (() => true);
  const portOffset = options.portOffset ?? 0;
  await waitForFreePorts({ include, portOffset, timeoutMs: options.waitForPortsMs ?? 0, say: options.say });

  const id = randomBytes(4).toString('hex');
  const names: IsolationNames = {
    DATABASE_SUFFIX: `_${options.label}_${id}`,
    REDIS_PREFIX: `${options.label}:${id}:`,
    AMQP_EXCHANGE: `tiketi.${options.label}.${id}`,
  };
  const env = platformEnv({
    ...process.env,
    ...serverUrls(),
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...names,
    ...options.env,
  });
  let platform: Platform;
  try {
    platform = await startPlatform({
      env,
      include,
      portOffset,
      say: options.say,
      onLine: options.onLine ?? (() => undefined),
      startupTimeoutMs: options.startupTimeoutMs ?? 150_000,
    });
  } catch (error) {
    // Parts that did start may have created their databases before another one failed.
    await removeEverything(names).catch((cleanupError: Error) =>
      process.stderr.write(`${cleanupError.message}\n`),
    );
    throw error;
  }
  const started = platform;
  // Whatever ends this process, the parts it started must not outlive it.
  const killAll = () => {
    for (const r of started.running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  const partNamed = (name: string) => {
    const part = started.parts.find((p) => p.name === name);
    if (!part) throw new Error(`no part named ${name}`);
    return part;
  };
  const port = (name: string) => partNamed(name).port;
  return {
    id,
    env,
    names,
    platform: started,
    lines: started.tail,
    port,
    url: (name) => `http://127.0.0.1:${port(name)}`,
    opsUrl: (name) => {
      const part = partNamed(name);
      return `http://127.0.0.1:${part.opsPort ?? part.port}`;
    },
    async stop() {
      await started.stop();
      process.off('exit', killAll);
      await removeEverything(names);
    },
  };
}

/**
 * Resolves once no part that `include` passes is answering on its port (offset by `portOffset`), waiting
 * up to `timeoutMs` for another copy (a browser test, `npm start`) to stop.
 */
export async function waitForFreePorts(options: {
  include?: (part: Part) => boolean;
  portOffset?: number;
  timeoutMs: number;
  say?: (text: string) => void;
}): Promise<void> {
  const ports = discoverParts(repoRoot)
    .filter(options.include ?? (() => true))
    .flatMap((part) =>
      [part.port, part.opsPort]
        .filter((port) => port !== undefined)
        .map((port) => ({ name: part.name, port: port + (options.portOffset ?? 0) })),
    );
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    const busy: string[] = [];
    for (const { name, port } of ports) if (await listening(port)) busy.push(`${name} (${port})`);
    if (busy.length === 0) return;
    if (Date.now() >= deadline) {
      const waited = options.timeoutMs ? ` after ${options.timeoutMs / 1000} s` : '';
      throw new Error(`Another copy of Tiketi holds the ports${waited}: ${busy.join(', ')}. Stop it first.`);
    }
    if (!told)
      options.say?.(`waiting for another copy of the platform to free its ports (${busy.join(', ')})…`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** Queues of one exchange (every consumer queue is named `<exchange>.<service>.<consumer>…`). */
export async function listQueues(exchange: string): Promise<{ name: string; messages: number }[]> {
  const args = ['-q', 'list_queues', 'name', 'messages', '--no-table-headers'];
  const { stdout } = await run('rabbitmqctl', args, { timeout: 30_000 });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name]) => name?.startsWith(`${exchange}.`))
    .map(([name, messages]) => ({ name: name as string, messages: Number(messages) || 0 }));
}

/**
 * The servers themselves, from this process's environment: a copy's parts may reach them through
 * something the removal must not depend on (a test's cuttable proxy).
 */
function serverUrls() {
  const urls = defaultInfraUrls(process.env);
  return { DATABASE_URL: urls.databaseUrl, REDIS_URL: urls.redisUrl, AMQP_URL: urls.amqpUrl };
}

/** Tries every removal, so one failing leaves no more behind than it must, then reports what failed. */
export async function removeEverything(names: IsolationNames): Promise<void> {
  const servers = serverUrls();
  const failures: string[] = [];
  const attempt = async (what: string, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  };
  await attempt('databases', () => dropDatabases(servers.DATABASE_URL, names.DATABASE_SUFFIX));
  await attempt('Redis keys', () => deleteRedisPrefix(servers.REDIS_URL, names.REDIS_PREFIX));
  await attempt('exchange', () => deleteExchange(servers.AMQP_URL, names.AMQP_EXCHANGE));
  if (failures.length) throw new Error(`could not remove the platform copy's ${failures.join('; ')}`);
}

/** Every database whose name ends in the suffix: each part names its own, the copy need not know them. */
async function dropDatabases(serverUrl: string, suffix: string): Promise<void> {
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

async function deleteExchange(url: string, exchange: string): Promise<void> {
  let queues: { name: string }[] = [];
  try {
    queues = await listQueues(exchange);
  } catch (error) {
    // Without rabbitmqctl (a remote broker) the queues stay; the exchange still goes.
    process.stderr.write(`could not list RabbitMQ queues: ${(error as Error).message}\n`);
  }
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue.name);
    await channel.deleteExchange(taggedExchangeOf(exchange));
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
