import type { Kysely } from '@tiketi/kit';
import type { DB } from './db/schema.ts';

const DAY = 86_400_000;

/** Demo catalogue for `npm start`; fixed ids make it idempotent. */
export async function seedDemo(db: Kysely<DB>, now = new Date()): Promise<void> {
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  await db
    .insertInto('events')
    .values([
      {
        id: '01936b2a-0000-7000-8000-000000000001',
        title: 'IU — The Golden Hour',
        startsAt: at(30),
        status: 'on_sale',
      },
      {
        id: '01936b2a-0000-7000-8000-000000000002',
        title: 'NewJeans — Bunnies Camp',
        startsAt: at(45),
        status: 'on_sale',
      },
      {
        id: '01936b2a-0000-7000-8000-000000000003',
        title: 'Jannabi — Summer Tour',
        startsAt: at(60),
        status: 'published',
      },
    ])
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
