/**
 * `npm audit` for the whole workspace: exits 1 on a high or critical advisory that docs/reliability.md
 * does not explain (under "Audit exceptions", one `- <package>: <why>` line each), 2 when the registry
 * cannot answer audits (some mirrors refuse the advisory endpoint), 0 otherwise.
 * Run from the repository root: `node tests/security/npm-audit.ts`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

type Audit = {
  vulnerabilities?: Record<string, { severity: string; via: (string | { title?: string; url?: string })[] }>;
  error?: { summary?: string };
  message?: string;
};

const root = new URL('../..', import.meta.url);
const { stdout } = await promisify(execFile)('npm', ['audit', '--json'], {
  cwd: root,
  maxBuffer: 64 * 1024 * 1024,
}).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));

let audit: Audit;
try {
  audit = JSON.parse(stdout) as Audit;
} catch {
  process.stderr.write('npm audit printed no JSON report\n');
  process.exit(2);
}
if (!audit.vulnerabilities) {
  process.stderr.write(`npm audit could not run: ${audit.message ?? audit.error?.summary ?? 'no report'}\n`);
  process.exit(2);
}

const doc = await readFile(new URL('docs/reliability.md', root), 'utf8');
const section = doc.split(/^## Audit exceptions$/m)[1]?.split(/^## /m)[0] ?? '';
const explained = new Set([...section.matchAll(/^- `?([@\w./-]+)`?:/gm)].map((m) => m[1]));

const serious = Object.entries(audit.vulnerabilities).filter(([, v]) =>
  ['high', 'critical'].includes(v.severity),
);
const unexplained = serious.filter(([name]) => !explained.has(name));
for (const [name, v] of serious) {
  const titles = v.via.map((via) => (typeof via === 'string' ? via : (via.title ?? via.url))).join('; ');
  process.stdout.write(
    `${explained.has(name) ? 'explained' : 'UNEXPLAINED'} ${v.severity} ${name}: ${titles}\n`,
  );
}
process.stdout.write(`${serious.length} high/critical advisories, ${unexplained.length} unexplained\n`);
process.exit(unexplained.length ? 1 : 0);
