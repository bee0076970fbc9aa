import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDb,
  databaseUrl,
  dropDatabase,
  ensureDatabase,
  type Kysely,
  prepared,
  sql,
} from '../src/db.ts';
import { testConfig } from '../src/testing/index.ts';

describe('prepared statements', () => {
  const config = testConfig('kit-prepared');
  let db: Kysely<unknown>;

  beforeAll(async () => {
    await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME);
    // One connection: the session whose prepared statements the test reads is the one that ran them.
    db = createDb({ url: databaseUrl(config.DATABASE_URL, config.DATABASE_NAME), poolSize: 1 });
  });
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(config.DATABASE_URL, config.DATABASE_NAME);
  });

  const preparedNames = async () => {
    const { rows } = await sql<{
      name: string;
    }>`select name from pg_prepared_statements order by name`.execute(db);
    return rows.map((r) => r.name);
  };

  it('prepares a statement run through prepared() once per connection, and only that one', async () => {
    const probe = (n: number) => prepared('probe', sql<{ n: number }>`select ${n}::int as n`).execute(db);
    expect((await probe(1)).rows).toEqual([{ n: 1 }]);
    expect((await probe(2)).rows).toEqual([{ n: 2 }]);
    // Named like a marker would have been, yet not run through prepared(): an ordinary statement.
    await sql`/* prepare:marker */ select 3 as plain`.execute(db);
    expect(await preparedNames()).toEqual([expect.stringMatching(/^probe_[0-9a-f]{12}$/)]);
  });

  it('prepares inside a transaction too, and a second text under the same name separately', async () => {
    await db.transaction().execute(async (trx) => {
      await prepared('probe', sql`select ${'x'}::text as t`).execute(trx);
      await sql`select 1`.execute(trx);
    });
    const names = await preparedNames();
    expect(names).toHaveLength(2);
    expect(names.every((name) => name.startsWith('probe_'))).toBe(true);
  });
});
