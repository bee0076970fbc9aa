import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropDatabase, ensureDatabase } from '../src/db.ts';
import { KIT_MIGRATIONS, MigrationError, migrate } from '../src/migrate.ts';
import { testConfig } from '../src/testing/index.ts';

describe('migrations', () => {
  const config = testConfig('kit-migrate');
  const url = databaseUrl(config.DATABASE_URL, config.DATABASE_NAME);
  const fixtures = (dir: string) => new URL(`./fixtures/${dir}`, import.meta.url).pathname;
  beforeAll(() => ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME));
  afterAll(() => dropDatabase(config.DATABASE_URL, config.DATABASE_NAME));

  async function tables(): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ t: string }>(
      "select table_name as t from information_schema.tables where table_schema = 'public' order by 1",
    );
    await client.end();
    return rows.map((r) => r.t);
  }

  it('creates a database once, even when asked twice', async () => {
    expect(await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME)).toBe(false);
  });

  it('applies kit and service migrations in order, and nothing the second time', async () => {
    const first = await migrate(url, [KIT_MIGRATIONS, fixtures('migrations')]);
    expect(first.applied).toEqual([
      'kit/20260101000000_outbox_inbox.sql',
      'kit/20261201000000_outbox_without_notify.sql',
      'kit/20261205200000_outbox_claim_in_index_order.sql',
      'kit/20261206210000_kit_tables_pruned_by_id.sql',
      'service/20260102000000_things.sql',
    ]);
    const second = await migrate(url, [KIT_MIGRATIONS, fixtures('migrations')]);
    expect(second).toEqual({ applied: [], skipped: 5 });
    expect(await tables()).toEqual(
      expect.arrayContaining(['outbox', 'inbox', 'things', 'schema_migrations']),
    );
  });

  it('stops loudly at a failing file, naming it, and leaves nothing of it behind', async () => {
    const run = migrate(url, [fixtures('bad-migrations')]);
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(url, [fixtures('bad-migrations')])).rejects.toThrow(
      /20260103000000_broken\.sql failed/,
    );
    const names = await tables();
    expect(names).toContain('first_table');
    expect(names).not.toContain('second_table');
  });

  it('refuses two files of one directory with the same timestamp, naming both', async () => {
    await expect(migrate(url, [fixtures('same-timestamp')])).rejects.toThrow(
      /20260104000000_alpha\.sql and 20260104000000_beta\.sql share the timestamp 20260104000000/,
    );
    expect(await tables()).not.toContain('alpha');
  });

  it('records a renamed file that ran under its old name without running it again', async () => {
    expect((await migrate(url, [fixtures('before-rename')])).applied).toEqual([
      'service/20260105000000_gamma.sql',
    ]);
    // Run again, `create table gamma` would fail: the rename is recognised instead.
    const after = await migrate(url, [fixtures('after-rename')]);
    expect(after.applied).toEqual(['service/20260105000002_delta.sql']);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ id: string }>(
      "select id from schema_migrations where id like 'service/20260105%' order by id",
    );
    await client.end();
    expect(rows.map((r) => r.id)).toEqual([
      'service/20260105000000_gamma.sql',
      'service/20260105000001_gamma.sql',
      'service/20260105000002_delta.sql',
    ]);
    expect(await migrate(url, [fixtures('after-rename')])).toEqual({ applied: [], skipped: 2 });
  });
});
