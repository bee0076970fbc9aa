import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Tables the kit itself needs in every service database (outbox, inbox). */
export const KIT_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

const NAME = /^(\d{14})_[a-z0-9_-]+\.sql$/;
/**
 * A file given a new name (a new timestamp, to order it) says so on a line of its own; databases that ran
 * it under the old name record the new one without running it again.
 */
const RENAMED_FROM = /^-- renamed from (\d{14}_[a-z0-9_-]+\.sql)$/m;
const LOCK_KEY = 7_364_101; // any constant: serialises migrators of the same database

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export type MigrationResult = { applied: string[]; skipped: number };

/**
 * Applies the timestamp-named SQL files of each directory in order, each in its own transaction, under
 * an advisory lock so concurrent starts are safe. A bad file name, two files of one directory with the
 * same timestamp (their order would rest on the rest of the name) or a failing file stops everything
 * with an error naming the file; nothing is half applied.
 */
export async function migrate(url: string, directories: string[]): Promise<MigrationResult> {
  const files: { id: string; scope: string; path: string }[] = [];
  for (const dir of directories) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
    const stamps = new Map<string, string>();
    for (const name of names) {
      const stamp = NAME.exec(name)?.[1];
      if (!stamp) {
        throw new MigrationError(`Migration file ${dir}/${name} must be named YYYYMMDDHHMMSS_name.sql`);
      }
      const twin = stamps.get(stamp);
      if (twin) {
        throw new MigrationError(
          `Migrations ${dir}/${twin} and ${name} share the timestamp ${stamp}: give each its own (a renamed file names its old name with "-- renamed from <old name>")`,
        );
      }
      stamps.set(stamp, name);
      const scope = dir === KIT_MIGRATIONS ? 'kit' : 'service';
      files.push({ id: `${scope}/${name}`, scope, path: `${dir}/${name}` });
    }
  }
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a lost connection fails the query in flight, which is reported
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists schema_migrations (
      id text primary key,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set(
      (await client.query<{ id: string }>('select id from schema_migrations')).rows.map((r) => r.id),
    );
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file.id)) continue;
      const text = await readFile(file.path, 'utf8');
      const formerly = RENAMED_FROM.exec(text)?.[1];
      if (formerly && done.has(`${file.scope}/${formerly}`)) {
        await client.query('insert into schema_migrations (id) values ($1)', [file.id]);
        continue;
      }
      try {
        await client.query('begin');
        await client.query(text);
        await client.query('insert into schema_migrations (id) values ($1)', [file.id]);
        await client.query('commit');
        applied.push(file.id);
      } catch (error) {
        await client.query('rollback');
        throw new MigrationError(`Migration ${file.path} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    return { applied, skipped: files.length - applied.length };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
