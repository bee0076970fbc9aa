import { createWriteStream } from 'node:fs';
import {
  listQueues,
  startIsolatedPlatform,
  waitForFreePorts as waitForPorts,
} from '../../scripts/lib/isolated-platform.ts';
import { localPostgresUrl, type Platform, platformEnv } from '../../scripts/lib/platform.ts';
import type { Part } from '../../scripts/lib/processes.ts';

export type BenchPlatform = {
  id: string;
  env: NodeJS.ProcessEnv;
  platform: Platform;
  /** Lines the parts logged (at `npm start`'s log level), counted per part. */
  logCounts: Record<string, number>;
  logTail: string[];
  stop(): Promise<void>;
};

const LIMITLESS = '1000000000';
/** Everything but the web app: the bench talks to the API as the web app's users would. */
const benchParts = (part: Part) => part.kind !== 'web';

/**
 * The platform's parts listen on fixed ports, and another copy (a browser test, `npm start`) may hold them:
 * wait for them rather than fail or, worse, measure someone else's services.
 */
export async function waitForFreePorts(
  say: (text: string) => void,
  timeoutMs: number,
  portOffset = 0,
): Promise<void> {
  await waitForPorts({ include: benchParts, portOffset, timeoutMs, say });
}

/**
 * Starts the platform for the bench on its own databases, Redis prefix and exchange (all removed by
 * `stop()`), with the settings a load test needs: rate limits out of the way (one machine plays every
 * fan, from one IP), the lowest challenge difficulty, a cheap argon2 cost for creating accounts fast, and the signing key given by the bench
 * so that it can mint access tokens for the waiting-room crowd.
 */
export async function startBenchPlatform(options: {
  extraEnv: Record<string, string>;
  say: (text: string) => void;
  /** Fewer parts than everything but the web app, for a part of the bench that needs only those. */
  include?: (part: Part) => boolean;
  /** Added to every port, so the bench runs beside `npm start` or another bench. */
  portOffset?: number;
}): Promise<BenchPlatform> {
  const logCounts: Record<string, number> = {};
  // Every line every part logs, `part json`, to find what went wrong in a run (BENCH_LOG_FILE).
  const logFile = process.env.BENCH_LOG_FILE ? createWriteStream(process.env.BENCH_LOG_FILE) : undefined;
  const copy = await startIsolatedPlatform({
    label: 'bench',
    include: options.include ?? benchParts,
    portOffset: options.portOffset ?? 0,
    // What `npm start` logs: the figures are those of the configuration a newcomer runs.
    logLevel: platformEnv({}).LOG_LEVEL,
    env: {
      RATE_LIMIT_AUTH: LIMITLESS,
      RATE_LIMIT_QUEUE_JOIN: LIMITLESS,
      RATE_LIMIT_CHALLENGE: LIMITLESS,
      RATE_LIMIT_GENERAL: LIMITLESS,
      // Every waiter of the crowd connects from this machine's one address.
      SOCKETS_PER_ADDRESS: LIMITLESS,
      // Every fan solves a challenge on the load generator's cores: the lowest difficulty keeps the figures
      // about the platform (verifying costs the server the same at any difficulty; the challenge part of the
      // bench measures what solving costs a fan).
      CHALLENGE_MAX_NUMBER: '1000',
      CHALLENGE_SPIKE_JOINS_PER_SECOND: '0',
      // The joins part solves tens of thousands of challenges before it sends the joins: none may expire.
      CHALLENGE_TTL_SECONDS: '3600',
      LOGIN_RATE_LIMIT_PER_IP: LIMITLESS,
      ARGON2_MEMORY_KIB: '4096',
      ARGON2_TIME_COST: '1',
      ACCESS_TOKEN_TTL_SECONDS: '7200',
      ...(localPostgresUrl() ? { DATABASE_URL: localPostgresUrl() } : {}),
      ...options.extraEnv,
    },
    say: (text) => options.say(`  ${text.trim()}`),
    onLine: (part, _line, raw) => {
      logFile?.write(`${part} ${raw}\n`);
      logCounts[part] = (logCounts[part] ?? 0) + 1;
    },
    startupTimeoutMs: 180_000,
  });
  return {
    id: copy.id,
    env: copy.env,
    platform: copy.platform,
    logCounts,
    logTail: copy.lines,
    stop: async () => {
      await copy.stop();
      await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
    },
  };
}

/** Messages still waiting in this run's queues: the platform is quiet when it is 0. */
export async function brokerBacklog(exchange: string): Promise<number> {
  const queues = await listQueues(exchange);
  return queues
    .filter((q) => !q.name.endsWith('.dlq') && !q.name.includes('.retry.'))
    .reduce((total, q) => total + q.messages, 0);
}
