import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForPort } from './lib/infra-check.ts';
import { TEST_PORT_SHIFT } from './lib/isolated-platform.ts';
import { repoRoot } from './lib/platform.ts';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts/infra-up.sh');
/** Ports of a second set of servers, never the shared ones on 5432, 6379 and 5672. */
const ports = { POSTGRES_PORT: 20_032, REDIS_PORT: 20_079, AMQP_PORT: 20_072 };
for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] += TEST_PORT_SHIFT;
const dir = mkdtempSync(join(tmpdir(), 'tiketi-infra-up-'));
const env = {
  ...process.env,
  TIKETI_INFRA_DIR: dir,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
};
const isRoot = process.getuid?.() === 0;

const listening = (port: number) =>
  waitForPort(port, 500).then(
    () => true,
    () => false,
  );

describe('scripts/infra-up.sh', () => {
  afterAll(async () => {
    // Stops only the private servers this test started, by their own data folders.
    if (existsSync(join(dir, 'postgres/PG_VERSION')))
      await run('runuser', [
        '-u',
        'postgres',
        '--',
        'bash',
        '-c',
        `$(ls -d /usr/lib/postgresql/*/bin | tail -n1)/pg_ctl -D ${dir}/postgres stop -m fast`,
      ]).catch(() => undefined);
    await run('redis-cli', ['-p', String(ports.REDIS_PORT), 'shutdown', 'nosave']).catch(() => undefined);
    const pidFile = join(dir, 'rabbitmq/pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid) process.kill(pid, 'SIGTERM');
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it.runIf(isRoot)(
    'starts PostgreSQL, Redis and RabbitMQ that do not answer, showing its progress',
    async () => {
      for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
      const { stdout } = await run('bash', [script], { env, timeout: 280_000 }).catch(
        (error: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(
            `${error.message}\n--- stdout ---\n${error.stdout}\n--- stderr ---\n${error.stderr}`,
          );
        },
      );
      expect(stdout).toMatch(new RegExp(`starting a private PostgreSQL .* on port ${ports.POSTGRES_PORT}`));
      expect(stdout).toMatch(new RegExp(`waiting for Redis on port ${ports.REDIS_PORT} .*up`));
      expect(stdout).toMatch(new RegExp(`waiting for RabbitMQ on port ${ports.AMQP_PORT} .*up`));
      for (const port of Object.values(ports)) expect(await listening(port)).toBe(true);

      // Again: everything answers, nothing is started twice.
      const again = await run('bash', [script], { env, timeout: 60_000 });
      expect(again.stdout).toMatch(/PostgreSQL answers.*\n.*Redis answers.*\n.*RabbitMQ answers/);
    },
    300_000,
  );

  it.runIf(isRoot)(
    'explains, naming the server and how to start it, where it may not start one',
    async () => {
      const port = ports.REDIS_PORT + 1;
      const failed = await run('runuser', ['-u', 'nobody', '--', 'bash', script, 'redis'], {
        env: { ...env, REDIS_PORT: String(port) },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toMatch(new RegExp(`Redis does not answer on port ${port}`));
      expect(failed?.stderr).toMatch(/redis-server --daemonize yes/);
      expect(await listening(port)).toBe(false);
    },
  );
});
