import type { Kysely, Transaction } from '@tiketi/kit';
import type { DB } from './schema.ts';

/** When each event starts, kept from the event service's events (for the cancellation deadline). */
export function eventScheduleRepository(db: Kysely<DB>) {
  return {
    async upsert(trx: Transaction<DB>, event: { eventId: string; title: string; startsAt: Date }) {
      await trx
        .insertInto('eventSchedule')
        .values(event)
        .onConflict((oc) =>
          oc
            .column('eventId')
            .doUpdateSet({ title: event.title, startsAt: event.startsAt, updatedAt: new Date() }),
        )
        .execute();
    },

    async markCancelled(trx: Transaction<DB>, eventId: string, at: Date) {
      await trx
        .updateTable('eventSchedule')
        .set({ cancelledAt: at, updatedAt: new Date() })
        .where('eventId', '=', eventId)
        .where('cancelledAt', 'is', null)
        .execute();
    },

    find(eventId: string) {
      return db.selectFrom('eventSchedule').selectAll().where('eventId', '=', eventId).executeTakeFirst();
    },
  };
}

export type EventScheduleRepository = ReturnType<typeof eventScheduleRepository>;
