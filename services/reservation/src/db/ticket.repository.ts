import { isClosedStatus } from '@tiketi/contracts';
import { type Kysely, paginate, sql, type Transaction } from '@tiketi/kit';
import type { DB } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type NewTicket = {
  id: string;
  reservationId: string;
  eventId: string;
  userId: string;
  seatId: string;
  seatLabel: string;
  qr: string;
  /** A standing place's area and entry number (standing.repository's `entryNumbers`). */
  entrySection?: string;
  entryNumber?: number;
};

export function ticketRepository(db: Kysely<DB>) {
  return {
    /**
     * Inserts the tickets, each with a short code from `newCode`. A code another ticket of the event
     * already has is skipped by its unique index (and only that index: any other conflict still fails)
     * and drawn again, so a rare collision never fails the order.
     */
    async insertMany(trx: Transaction<DB>, tickets: NewTicket[], newCode: () => string) {
      let pending = tickets;
      while (pending.length) {
        const inserted = await trx
          .insertInto('tickets')
          .values(pending.map((t) => ({ ...t, code: newCode() })))
          .onConflict((oc) => oc.columns(['eventId', 'code']).doNothing())
          .returning('id')
          .execute();
        const done = new Set(inserted.map((t) => t.id));
        pending = pending.filter((t) => !done.has(t.id));
      }
    },

    ofReservation(reservationId: string, executor: Executor = db) {
      return executor
        .selectFrom('tickets')
        .selectAll()
        .where('reservationId', '=', reservationId)
        .orderBy('seatLabel')
        .execute();
    },

    findById(id: string) {
      return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findByCode(eventId: string, code: string) {
      return db
        .selectFrom('tickets')
        .selectAll()
        .where('eventId', '=', eventId)
        .where('code', '=', code)
        .executeTakeFirst();
    },

    /** The events a staff account may check tickets in for, with what the projection knows of them. */
    eventsOfStaff(userId: string) {
      return db
        .selectFrom('staffAssignments as a')
        .innerJoin('events as e', 'e.id', 'a.eventId')
        .select(['e.id', 'e.title', 'e.startsAt'])
        .where('a.userId', '=', userId)
        .orderBy('e.startsAt')
        .execute();
    },

    /** The user's valid tickets for events that have not started (or whose start is not known). */
    async countUpcoming(userId: string): Promise<number> {
      const row = await db
        .selectFrom('tickets')
        .innerJoin('events', 'events.id', 'tickets.eventId')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tickets.userId', '=', userId)
        .where('tickets.status', '=', 'ISSUED')
        .where((eb) => eb.or([eb('events.startsAt', 'is', null), eb('events.startsAt', '>', new Date())]))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async isAssigned(userId: string, eventId: string) {
      const row = await db
        .selectFrom('staffAssignments')
        .select('eventId')
        .where('userId', '=', userId)
        .where('eventId', '=', eventId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Replaces the staff account's events with `eventIds`, all or nothing; answers the ids not known, and
     * those of concerts called off or over that the account did not have yet (nothing changes then).
     */
    async assignEvents(userId: string, eventIds: string[]): Promise<{ unknown: string[]; closed: string[] }> {
      return db.transaction().execute(async (trx) => {
        const known = eventIds.length
          ? await trx.selectFrom('events').select(['id', 'status']).where('id', 'in', eventIds).execute()
          : [];
        const unknown = eventIds.filter((id) => !known.some((e) => e.id === id));
        const had = new Set(
          (
            await trx.selectFrom('staffAssignments').select('eventId').where('userId', '=', userId).execute()
          ).map((a) => a.eventId),
        );
        const closed = known.filter((e) => isClosedStatus(e.status) && !had.has(e.id)).map((e) => e.id);
        if (unknown.length || closed.length) return { unknown, closed };
        await trx.deleteFrom('staffAssignments').where('userId', '=', userId).execute();
        if (eventIds.length) {
          await trx
            .insertInto('staffAssignments')
            .values(eventIds.map((eventId) => ({ userId, eventId })))
            .execute();
        }
        return { unknown, closed };
      });
    },

    listOfUser(userId: string, page: { limit: number; offset: number; eventId?: string | undefined }) {
      let mine = db.selectFrom('tickets').where('userId', '=', userId);
      if (page.eventId) mine = mine.where('eventId', '=', page.eventId);
      return paginate(mine, (q) => q.selectAll().orderBy('issuedAt', 'desc').orderBy('id'), page);
    },

    /** Checks a ticket in if and only if it is still ISSUED: a ticket is used once, even under races. */
    checkIn(id: string, staffId: string) {
      return db
        .updateTable('tickets')
        .set({ status: 'USED', usedAt: sql`now()`, checkedInBy: staffId })
        .where('id', '=', id)
        .where('status', '=', 'ISSUED')
        .returningAll()
        .executeTakeFirst();
    },

    async voidSeats(trx: Transaction<DB>, reservationId: string, seatIds?: string[]) {
      if (seatIds?.length === 0) return;
      let query = trx
        .updateTable('tickets')
        .set({ status: 'VOIDED', voidedAt: sql`now()` })
        .where('reservationId', '=', reservationId)
        .where('status', '<>', 'VOIDED');
      if (seatIds) query = query.where('seatId', 'in', seatIds);
      await query.execute();
    },
  };
}

export type TicketRepository = ReturnType<typeof ticketRepository>;
