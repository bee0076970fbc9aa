import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { round } from './stats.ts';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

/** utime + stime of one process in milliseconds, or undefined when it is gone. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function processNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      names.set(pid, readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      // gone meanwhile
    }
  }
  return names;
}

export type CpuGroup = { name: string; pids: number[]; shared?: boolean };

/**
 * The processes whose CPU a hold costs: each platform part, the PostgreSQL backends of this run's databases,
 * PostgreSQL's own server processes, Redis and RabbitMQ (servers other work on the machine may use too, so
 * marked shared) and this process, the load generator.
 */
export async function cpuGroups(options: {
  parts: { name: string; pid: number | undefined }[];
  databaseUrl: string;
  databaseSuffix: string;
}): Promise<CpuGroup[]> {
  const groups: CpuGroup[] = options.parts
    .filter((p) => p.pid !== undefined)
    .map((p) => ({ name: p.name, pids: [p.pid as number] }));
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; database: string | null; backend: boolean }>(
      `select pid, case when $1 = 0 then datname when right(datname, $1) = $2 then left(datname, -$1) end
         as database,
         backend_type = 'client backend' as backend
       from pg_stat_activity where pid <> pg_backend_pid()`,
      [options.databaseSuffix.length, options.databaseSuffix],
    );
    // One group per database of this run, so that a hold's own statements and the work behind it
    // (the relay, the consumers' inboxes) show apart.
    const databases = [...new Set(rows.flatMap((r) => (r.database ? [r.database] : [])))].sort();
    for (const database of databases) {
      groups.push({
        name: `PostgreSQL, ${database} (this run’s connections)`,
        pids: rows.filter((r) => r.database === database).map((r) => r.pid),
      });
    }
    groups.push({
      name: 'PostgreSQL (server processes: WAL writer, checkpointer…)',
      pids: rows.filter((r) => !r.backend).map((r) => r.pid),
      shared: true,
    });
  } finally {
    await client.end();
  }
  const names = processNames();
  const named = (wanted: string[]) => [...names].filter(([, n]) => wanted.includes(n)).map(([pid]) => pid);
  groups.push({ name: 'Redis', pids: named(['redis-server']), shared: true });
  groups.push({ name: 'RabbitMQ', pids: named(['beam.smp']), shared: true });
  groups.push({ name: 'load generator (the bench)', pids: [process.pid] });
  return groups;
}

export type CpuUse = { name: string; cpuMs: number; perHoldMs: number; shared: boolean };

/** Starts counting: the answer, called after the run, gives each group's CPU time over it. */
export function cpuMeter(groups: CpuGroup[]) {
  const before = groups.map((g) => g.pids.map((pid) => cpuMs(pid)));
  return (holds: number): CpuUse[] =>
    groups.map((g, i) => {
      let used = 0;
      g.pids.forEach((pid, j) => {
        const start = before[i]?.[j];
        const end = cpuMs(pid);
        if (start !== undefined && end !== undefined) used += end - start;
      });
      return {
        name: g.name,
        cpuMs: round(used, 0),
        perHoldMs: round(used / Math.max(1, holds), 3),
        shared: g.shared === true,
      };
    });
}
