/**
 * `npm start`: checks PostgreSQL, Redis and RabbitMQ, then starts the sandbox providers, every service
 * (each creates and migrates its database and seeds demo data), the gateway and the web app, and waits
 * until each answers. Ctrl-C stops everything.
 */
import { fileURLToPath } from 'node:url';
import { checkInfra, defaultInfraUrls } from './lib/infra-check.ts';
import { discoverParts, type Part, type Running, startPart } from './lib/processes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = Number(process.env.STARTUP_TIMEOUT_MS ?? 120_000);

const env: NodeJS.ProcessEnv = {
  SEED_DEMO: 'true',
  LOG_LEVEL: 'info',
  ...process.env,
};

const say = (text: string) => process.stdout.write(`\x1b[1mtiketi\x1b[0m  ${text}\n`);

say('checking PostgreSQL, Redis and RabbitMQ…');
const missing = await checkInfra(defaultInfraUrls(env));
if (missing.length) {
  process.stderr.write(`\n${missing.join('\n\n')}\n\nTiketi needs all three; nothing was started.\n`);
  process.exit(1);
}

const parts = discoverParts(root);
const running: Running[] = [];
const tail: string[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  say('stopping…');
  for (const r of running) r.child.kill('SIGTERM');
  const timeout = new Promise((r) => setTimeout(r, 12_000));
  await Promise.race([Promise.all(running.map((r) => r.exited)), timeout]);
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  say('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Whatever ends the launcher, its children must not outlive it.
process.on('exit', () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

async function waitReady(r: Running): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const url = `http://127.0.0.1:${r.part.port}${r.part.readyPath}`;
  let died = false;
  void r.exited.then(() => {
    died = true;
  });
  while (Date.now() < deadline) {
    if (died) throw new Error(`${r.part.name} exited during start-up`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${r.part.name} was not ready at ${url} within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

async function startGroup(label: string, group: Part[]): Promise<void> {
  if (!group.length) return;
  say(`starting ${label}: ${group.map((p) => p.name).join(', ')}`);
  const started = group.map((part) => startPart(part, env, running.length + group.indexOf(part), tail));
  running.push(...started);
  for (const r of started) {
    void r.exited.then((code) => {
      if (!stopping) {
        say(`\x1b[31m${r.part.name} stopped unexpectedly (exit code ${code}).\x1b[0m`);
      }
    });
  }
  await Promise.all(
    started.map(async (r) => {
      await waitReady(r);
      say(`  ✓ ${r.part.name} ready on port ${r.part.port}`);
    }),
  );
}

try {
  await startGroup(
    'sandbox providers',
    parts.filter((p) => p.kind === 'sandbox'),
  );
  await startGroup(
    'services',
    parts.filter((p) => p.kind === 'service'),
  );
  await startGroup(
    'gateway',
    parts.filter((p) => p.kind === 'edge'),
  );
  await startGroup(
    'web app',
    parts.filter((p) => p.kind === 'web'),
  );
} catch (error) {
  process.stderr.write(
    `\n\x1b[31m${(error as Error).message}\x1b[0m\nLast log lines:\n${tail.slice(-30).join('\n')}\n`,
  );
  await stopAll(1);
}

const web = parts.find((p) => p.kind === 'web');
const gateway = parts.find((p) => p.kind === 'edge');
say(
  `\x1b[32mTiketi is up.\x1b[0m ${web ? `Open http://localhost:${web.port}  ·  ` : ''}API http://localhost:${gateway?.port ?? 3001}/api/events  ·  Ctrl-C stops everything.`,
);
