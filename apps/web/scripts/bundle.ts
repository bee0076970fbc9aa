import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Everything the bundle is made from: a change in any of these makes the built app stale. */
function sourcesOf(webRoot: string): string[] {
  return [
    join(webRoot, 'src'),
    join(webRoot, 'public'),
    join(webRoot, 'index.html'),
    join(webRoot, 'vite.config.ts'),
    join(webRoot, 'package.json'),
    join(webRoot, '..', '..', 'packages', 'contracts', 'src'),
  ];
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function bundleIsFresh(webRoot: string, distDir: string): boolean {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return sourcesOf(webRoot).every((source) => newestMtime(source) <= built);
}

/**
 * Builds the app with Vite when the bundle is missing or older than its sources. The build goes to a
 * folder of its own and is then moved into place, so a server already serving the old bundle (or a second
 * launcher building at the same time) never sees a half-written one.
 */
export async function ensureBundle(webRoot: string, distDir: string, log: (text: string) => void) {
  if (bundleIsFresh(webRoot, distDir)) return;
  log('building the web app…');
  const { build } = await import('vite');
  const tmp = `${distDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  await build({
    root: webRoot,
    configFile: join(webRoot, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true },
  });
  rmSync(distDir, { recursive: true, force: true });
  renameSync(tmp, distDir);
  log('web app built.');
}
