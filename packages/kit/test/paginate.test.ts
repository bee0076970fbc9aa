import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDb,
  databaseUrl,
  dropDatabase,
  ensureDatabase,
  escapeLike,
  type Kysely,
  paginate,
  sql,
} from '../src/db.ts';
import { testConfig } from '../src/testing/index.ts';

type DB = { things: { id: number; name: string } };

describe('paginate', () => {
  const config = testConfig('kit-paginate');
  let db: Kysely<DB>;

  beforeAll(async () => {
    await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME);
    db = createDb<DB>({ url: databaseUrl(config.DATABASE_URL, config.DATABASE_NAME) });
    await sql`create table things (id int primary key, name text not null)`.execute(db);
    const names = ['a_1', 'a%2', 'ab3', 'b4', 'a_5', 'c6', 'a_7'];
    await db
      .insertInto('things')
      .values(names.map((name, i) => ({ id: i + 1, name })))
      .execute();
  });
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(config.DATABASE_URL, config.DATABASE_NAME);
  });

  it('answers one ordered page of the filtered rows and the size of the whole filtered list', async () => {
    const filtered = db.selectFrom('things').where('name', 'like', 'a%');
    const page = await paginate(filtered, (q) => q.select(['id', 'name']).orderBy('id', 'desc'), {
      limit: 2,
      offset: 1,
    });
    expect(page).toEqual({
      items: [
        { id: 5, name: 'a_5' },
        { id: 3, name: 'ab3' },
      ],
      total: 5,
    });
  });

  it('counts the whole list even past its last page', async () => {
    const page = await paginate(db.selectFrom('things'), (q) => q.selectAll().orderBy('id'), {
      limit: 10,
      offset: 50,
    });
    expect(page).toEqual({ items: [], total: 7 });
  });

  it('takes a user’s text literally inside a LIKE pattern', async () => {
    const like = (text: string) =>
      db
        .selectFrom('things')
        .select('name')
        .where('name', 'like', `%${escapeLike(text)}%`)
        .orderBy('id')
        .execute();
    expect((await like('a_')).map((r) => r.name)).toEqual(['a_1', 'a_5', 'a_7']);
    expect((await like('%')).map((r) => r.name)).toEqual(['a%2']);
  });
});
