import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkInfra, defaultInfraUrls } from './infra-check.ts';
import { discoverParts, type Part, type Running, startPart } from './processes.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export type PlatformOptions = {
  /** Environment for every part (defaults: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where each part's formatted log lines go (default: stdout with a coloured prefix); `raw` as printed. */
  onLine?: (part: string, line: string, raw: string) => void;
  /** Progress messages. */
  say?: (text: string) => void;
  /** Only parts whose name passes (e.g. to leave out the web app). */
  include?: (part: Part) => boolean;
  startupTimeoutMs?: number;
  /**
   * Added to every part's port, with the peers' URLs moved to match: a second copy of the platform
   * (fault tests) runs beside one on the standard ports.
   */
  portOffset?: number;
};

export type Platform = {
  parts: Part[];
  running: Running[];
  /** Last log lines of every part, for error reports. */
  tail: string[];
  /** Stops every part: SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<void>;
  /** Kills one part abruptly (SIGKILL) and resolves when it is gone. */
  kill(name: string): Promise<void>;
  /** Starts a part again (after kill) and waits until it answers. */
  restart(name: string): Promise<void>;
};

/** Restart delays of a part that dies: 1 s, 2 s, 4 s… up to 30 s; a part up for a minute starts again at 1 s. */
const RESTART_BASE_MS = 1000;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_MS = 60_000;

export class PlatformError extends Error {
  override name = 'PlatformError';
}

const POSTGRES_SOCKET_DIR = '/var/run/postgresql';

/**
 * On one machine the services reach PostgreSQL best through its Unix socket: the profile of the hold path
 * showed a fifth of the reservation service's CPU in loopback TCP writes. Used when DATABASE_URL is not set
 * and the local server's socket is there.
 */
export function localPostgresUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DATABASE_URL || !existsSync(`${POSTGRES_SOCKET_DIR}/.s.PGSQL.5432`)) return undefined;
  return `postgres://postgres@localhost/postgres?host=${POSTGRES_SOCKET_DIR}`;
}

/** The platform's defaults for local runs; explicit environment always wins. */
export function platformEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const socket = localPostgresUrl(env);
  return {
    ...(socket ? { DATABASE_URL: socket } : {}),
    // Local development: the public default secrets work here and nowhere else (kit config).
    TIKETI_ENV: 'development',
    SEED_DEMO: 'true',
    LOG_LEVEL: 'info',
    // Payments go to the local Toss sandbox unless real Toss keys are given.
    ...(env.TOSS_SECRET_KEY ? {} : { TOSS_API_URL: 'http://127.0.0.1:4101' }),
    ...env,
  };
}

/** Where every part finds its peers when the whole platform runs `offset` ports above the standard ones. */
export function offsetEnv(offset: number): NodeJS.ProcessEnv {
  const url = (name: string, port: number) => [name, `http://127.0.0.1:${port + offset}`] as const;
  const services = discoverParts(repoRoot).filter((p) => p.kind !== 'sandbox' && p.kind !== 'web');
  return Object.fromEntries([
    ...services.map((p) => url(`${p.name.toUpperCase()}_SERVICE_URL`, p.port)),
    ['JWKS_URL', `http://127.0.0.1:${4001 + offset}/.well-known/jwks.json`],
    url('TOSS_API_URL', 4101),
    ['TOSS_WEBHOOK_URL', `http://127.0.0.1:${3001 + offset}/api/payments/toss/webhook`],
    ['SMTP_PORT', String(2525 + offset)],
    ['SMTP_URL', `smtp://127.0.0.1:${2525 + offset}`],
    url('GOOGLE_ISSUER_URL', 4100),
    url('OIDC_ISSUER_URL', 4100),
    url('GATEWAY_URL', 3001),
    ['GOOGLE_REDIRECT_URI', `http://localhost:${3001 + offset}/api/auth/google/callback`],
    ['WEB_ORIGIN', `http://localhost:${3000 + offset}`],
    ['WEB_URL', `http://localhost:${3000 + offset}`],
  ]);
}

/** Extra waiting-room instances listen from here up (`queue-2` on 4052, `queue-3` on 4053, …). */
const QUEUE_EXTRA_PORT_BASE = 4050;

/**
 * The waiting room as `QUEUE_INSTANCES` instances (default 1) sharing Redis, and the gateway's env that
 * lists them all for it to balance over. Other services keep calling the first instance (any would do).
 */
export function queueInstances(parts: Part[], env: NodeJS.ProcessEnv, offset: number) {
  const raw = env.QUEUE_INSTANCES ?? '1';
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    throw new PlatformError(
      `QUEUE_INSTANCES must be a whole number from 1 to 16 (got ${JSON.stringify(raw)})`,
    );
  }
  const queue = parts.find((p) => p.name === 'queue');
  if (!queue) return { parts, gatewayEnv: {} };
  const extra = Array.from({ length: count - 1 }, (_, i) => ({
    ...queue,
    name: `queue-${i + 2}`,
    port: QUEUE_EXTRA_PORT_BASE + i + 2 + offset,
  }));
  const all = [queue, ...extra];
  return {
    parts: parts.flatMap((p) => (p === queue ? all : [p])),
    gatewayEnv: { QUEUE_SERVICE_URL: all.map((p) => `http://127.0.0.1:${p.port}`).join(',') },
  };
}

/**
 * Starts the sandbox providers, the services, the gateway and the web app, in that order, each group
 * once the previous one answers. Rejects (after stopping what it started) when a part fails to start.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const offset = options.portOffset ?? 0;
  const env = { ...(options.env ?? platformEnv()), ...(offset ? offsetEnv(offset) : {}) };
  const say = options.say ?? (() => undefined);
  const timeoutMs = options.startupTimeoutMs ?? 120_000;
  const missing = await checkInfra(defaultInfraUrls(env));
  if (missing.length)
    throw new PlatformError(`${missing.join('\n\n')}\n\nTiketi needs all three; nothing was started.`);

  const { parts, gatewayEnv } = queueInstances(
    discoverParts(repoRoot)
      .filter(options.include ?? (() => true))
      .map((part) => ({
        ...part,
        port: part.port + offset,
        ...(part.opsPort ? { opsPort: part.opsPort + offset } : {}),
      })),
    env,
    offset,
  );
  const running: Running[] = [];
  const tail: string[] = [];
  let stopping = false;

  /** Restarts in a row per part: the delay doubles with each, and resets once the part stays up. */
  const restarts = new Map<string, number>();
  const launch = (part: Part): Running => {
    const r = startPart(
      part,
      part.kind === 'edge' ? { ...env, ...gatewayEnv } : env,
      parts.indexOf(part),
      tail,
      options.onLine,
    );
    const startedAt = Date.now();
    void r.exited.then(async (code) => {
      if (stopping || !running.includes(r)) return;
      // As a restart policy would: a part that dies comes back, after a delay that grows while it keeps dying.
      const attempt = Date.now() - startedAt > RESTART_RESET_MS ? 1 : (restarts.get(part.name) ?? 0) + 1;
      restarts.set(part.name, attempt);
      const delayMs = Math.min(RESTART_BASE_MS * 2 ** (attempt - 1), RESTART_MAX_MS);
      say(
        `${part.name} stopped unexpectedly (exit code ${code}); starting it again in ${delayMs / 1000} s (restart ${attempt}).`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (stopping || !running.includes(r)) return;
      const again = launch(part);
      running.splice(running.indexOf(r), 1, again);
      await waitReady(again).then(
        () => say(`  ✓ ${part.name} is back on port ${part.port}`),
        (error: Error) => say(`${part.name} did not come back: ${error.message}`),
      );
    });
    return r;
  };

  async function waitReady(r: Running): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = `http://127.0.0.1:${r.part.opsPort ?? r.part.port}${r.part.readyPath}`;
    let died = false;
    void r.exited.then(() => {
      died = true;
    });
    while (Date.now() < deadline) {
      if (died) throw new PlatformError(`${r.part.name} exited during start-up`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new PlatformError(`${r.part.name} was not ready at ${url} within ${timeoutMs / 1000} s`);
  }

  async function stop(): Promise<void> {
    stopping = true;
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    const grace = new Promise((resolve) => setTimeout(resolve, 12_000));
    await Promise.race([Promise.all(running.map((r) => r.exited)), grace]);
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
  }

  const groups: [string, Part['kind']][] = [
    ['sandbox providers', 'sandbox'],
    ['services', 'service'],
    // Services whose demo seed publishes events start once every consumer's queue exists, so a fresh
    // broker drops none of those events.
    ['seeding services', 'late-service'],
    ['gateway', 'edge'],
    ['web app', 'web'],
  ];
  try {
    for (const [label, kind] of groups) {
      const group = parts.filter((p) => p.kind === kind);
      if (!group.length) continue;
      say(`starting ${label}: ${group.map((p) => p.name).join(', ')}`);
      const started = group.map(launch);
      running.push(...started);
      await Promise.all(
        started.map(async (r) => {
          await waitReady(r);
          say(`  ✓ ${r.part.name} ready on port ${r.part.port}`);
        }),
      );
    }
  } catch (error) {
    await stop();
    throw new PlatformError(`${(error as Error).message}\nLast log lines:\n${tail.slice(-30).join('\n')}`);
  }

  const find = (name: string) => {
    const r = running.find((x) => x.part.name === name);
    if (!r) throw new PlatformError(`no part named ${name}`);
    return r;
  };
  return {
    parts,
    running,
    tail,
    stop,
    async kill(name) {
      const r = find(name);
      running.splice(running.indexOf(r), 1);
      r.child.kill('SIGKILL');
      await r.exited;
    },
    async restart(name) {
      const part = parts.find((p) => p.name === name);
      if (!part) throw new PlatformError(`no part named ${name}`);
      const r = launch(part);
      running.push(r);
      await waitReady(r);
    },
  };
}
