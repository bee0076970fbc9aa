import type { Kysely } from '@tiketi/kit';
import type { DB, EventStatus } from './schema.ts';

export function eventRepository(db: Kysely<DB>) {
  return {
    async list(filter: { status?: EventStatus; limit: number; offset: number }) {
      let query = db.selectFrom('events').selectAll().where('status', '!=', 'draft');
      if (filter.status) query = query.where('status', '=', filter.status);
      const [items, total] = await Promise.all([
        query.orderBy('startsAt').orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
        query
          .clearSelect()
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { items, total: total.n };
    },
  };
}
