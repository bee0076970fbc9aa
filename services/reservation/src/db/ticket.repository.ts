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
};

export function ticketRepository(db: Kysely<DB>) {
  return {
    async insertMany(trx: Transaction<DB>, tickets: NewTicket[]) {
      if (tickets.length) await trx.insertInto('tickets').values(tickets).execute();
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

    listOfUser(userId: string, limit: number, offset: number) {
      return paginate(
        db.selectFrom('tickets').where('userId', '=', userId),
        (q) => q.selectAll().orderBy('issuedAt', 'desc').orderBy('id'),
        { limit, offset },
      );
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
