import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Tables the kit itself needs in every service database (outbox, inbox). */
export const KIT_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

const NAME = /^(\d{14})_[a-z0-9_-]+\.sql$/;
const LOCK_KEY = 7_364_101; // any constant: serialises migrators of the same database

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export type MigrationResult = { applied: string[]; skipped: number };

/**
 * Applies the timestamp-named SQL files of each directory in order, each in its own transaction, under
 * an advisory lock so concurrent starts are safe. A bad file name or a failing file stops everything
 * with an error naming the file; nothing is half applied.
 */
export async function migrate(url: string, directories: string[]): Promise<MigrationResult> {
  const files: { id: string; path: string }[] = [];
  for (const dir of directories) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
    for (const name of names) {
      if (!NAME.test(name)) {
        throw new MigrationError(`Migration file ${dir}/${name} must be named YYYYMMDDHHMMSS_name.sql`);
      }
      const scope = dir === KIT_MIGRATIONS ? 'kit' : 'service';
      files.push({ id: `${scope}/${name}`, path: `${dir}/${name}` });
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
