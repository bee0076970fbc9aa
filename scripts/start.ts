/**
 * `npm start`: checks PostgreSQL, Redis and RabbitMQ, then starts the sandbox providers, every service
 * (each creates and migrates its database and seeds demo data), the gateway and the web app, and waits
 * until each answers. Ctrl-C stops everything.
 */
import { spawnSync } from 'node:child_process';
import { defaultInfraUrls, missingInfra } from './lib/infra-check.ts';
import { type Platform, platformEnv, repoRoot, startPlatform } from './lib/platform.ts';

const say = (text: string) => process.stdout.write(`\x1b[1mtiketi\x1b[0m  ${text}\n`);

let platform: Platform | undefined;
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await platform?.stop();
  say('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Whatever ends the launcher, its children must not outlive it.
process.on('exit', () => {
  for (const r of platform?.running ?? []) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

say('checking PostgreSQL, Redis and RabbitMQ…');
// A server that does not answer is started (scripts/infra-up.sh: through a Docker engine that answers,
// else the system's packages as root on Debian/Ubuntu); where it cannot be, startPlatform below says how,
// naming each.
const missing = await missingInfra(defaultInfraUrls(platformEnv()));
if (missing.length) {
  say(`starting ${missing.map((m) => m.part).join(', ')}…`);
  const portVar: Record<string, string> = {
    postgres: 'POSTGRES_PORT',
    redis: 'REDIS_PORT',
    rabbitmq: 'AMQP_PORT',
  };
  const ports = Object.fromEntries(missing.map((m) => [portVar[m.part], String(m.port)]));
  spawnSync('bash', ['scripts/infra-up.sh', ...missing.map((m) => m.part)], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, ...ports },
  });
}
try {
  platform = await startPlatform({ env: platformEnv(), say });
} catch (error) {
  process.stderr.write(`\n\x1b[31m${(error as Error).message}\x1b[0m\n`);
  process.exit(1);
}
const web = platform.parts.find((p) => p.kind === 'web');
const gateway = platform.parts.find((p) => p.kind === 'edge');
say(
  `\x1b[32mTiketi is up.\x1b[0m ${web ? `Open http://localhost:${web.port}  ·  ` : ''}API http://localhost:${gateway?.port ?? 3001}/api/events  ·  Ctrl-C stops everything.`,
);
