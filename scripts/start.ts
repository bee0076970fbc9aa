/**
 * `npm start`: checks PostgreSQL, Redis and RabbitMQ, then starts the sandbox providers, every service
 * (each creates and migrates its database and seeds demo data), the gateway and the web app, and waits
 * until each answers. Ctrl-C stops everything.
 */
import { type Platform, platformEnv, startPlatform } from './lib/platform.ts';

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
