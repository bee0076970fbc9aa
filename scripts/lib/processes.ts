import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A runnable part of the platform, found by its package.json (`"tiketi": {"port": …}`). */
export type Part = {
  name: string;
  dir: string;
  port: number;
  kind: 'sandbox' | 'service' | 'late-service' | 'edge' | 'web';
  /** Where health, readiness and metrics answer when not on `port` (the gateway's are never public). */
  opsPort?: number;
  /** Path answering 200 when ready (on `opsPort` when there is one). */
  readyPath: string;
};

type PackageJson = {
  scripts?: Record<string, string>;
  tiketi?: {
    port?: number;
    opsPort?: number;
    startAfterServices?: boolean;
    startLate?: boolean;
    readyPath?: string;
  };
};

/** Every service, sandbox provider and app under the repo: adding a folder is enough to be started. */
export function discoverParts(root: string): Part[] {
  const parts: Part[] = [];
  for (const group of ['sandbox', 'services', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const file = join(base, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (!pkg.tiketi?.port || !pkg.scripts?.start) continue;
      const kind =
        group === 'sandbox'
          ? 'sandbox'
          : group === 'apps'
            ? 'web'
            : pkg.tiketi.startAfterServices
              ? 'edge'
              : pkg.tiketi.startLate
                ? 'late-service'
                : 'service';
      parts.push({
        name: group === 'sandbox' ? `sandbox-${name}` : name,
        dir: join(base, name),
        port: pkg.tiketi.port,
        ...(pkg.tiketi.opsPort ? { opsPort: pkg.tiketi.opsPort } : {}),
        kind,
        readyPath: pkg.tiketi.readyPath ?? (group === 'services' ? '/readyz' : '/'),
      });
    }
  }
  return parts;
}

const COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95, 96];
const LEVEL_NAMES: Record<string, string> = {
  '10': 'TRACE',
  '20': 'DEBUG',
  '30': 'INFO',
  '40': 'WARN',
  '50': 'ERROR',
  '60': 'FATAL',
};

/** Turns a pino JSON line into `level message key=value…`; other lines pass through. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const {
      level,
      msg,
      time: _t,
      service: _s,
      pid: _p,
      hostname: _h,
      reqId: _r,
      spanId: _sp,
      traceId: _tr,
      ...rest
    } = entry;
    const label = String(LEVEL_NAMES[String(level)] ?? level ?? '').toUpperCase();
    const extras = Object.entries(rest)
      .filter(([, v]) => v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const err = rest.err as { message?: string } | undefined;
    return `${label.padEnd(5)} ${msg ?? ''}${extras ? `  ${extras}` : ''}${err?.message ? `  error=${err.message}` : ''}`;
  } catch {
    return line;
  }
}

export type Running = { part: Part; child: ChildProcess; exited: Promise<number | null> };

/** `"start": "node some/file.ts --flag"` → the arguments after `node`, run with this Node. */
function nodeArgs(part: Part): string[] {
  const pkg = JSON.parse(readFileSync(join(part.dir, 'package.json'), 'utf8')) as PackageJson;
  const [command, ...args] = (pkg.scripts?.start ?? 'node src/main.ts').trim().split(/\s+/);
  if (command !== 'node') throw new Error(`${part.name}: its start script must run "node <file>"`);
  return args;
}

export function startPart(
  part: Part,
  env: NodeJS.ProcessEnv,
  index: number,
  tail: string[],
  onLine?: (part: string, line: string, raw: string) => void,
): Running {
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs(part)], {
    cwd: part.dir,
    env: { ...env, PORT: String(part.port), ...(part.opsPort ? { OPS_PORT: String(part.opsPort) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only the launcher, which then stops each part once, in order.
    detached: true,
  });
  const color = COLORS[index % COLORS.length];
  const prefix = `\x1b[${color}m${part.name.padEnd(17)}\x1b[0m│ `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      const shown = formatLogLine(line);
      tail.push(`${part.name}: ${shown}`);
      if (tail.length > 200) tail.shift();
      if (onLine) onLine(part.name, shown, line);
      else process.stdout.write(`${prefix}${shown}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { part, child, exited };
}
