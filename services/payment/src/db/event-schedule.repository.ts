import type { Kysely, Transaction } from '@tiketi/kit';
import { REFUNDABLE } from './payment.repository.ts';
import type { DB } from './schema.ts';

/**
 * When each event starts, its standing areas and whether it was cancelled, kept from the event service's
 * events (for the customer's cancellation deadline, the places a refund names and the refunds a cancellation
 * calls for).
 */
export function eventScheduleRepository(db: Kysely<DB>) {
  return {
    /** The title and start as of `sourceAt`, unless the row holds a later change already. */
    async upsert(
      trx: Transaction<DB>,
      event: { eventId: string; title: string; startsAt: Date; sourceAt: Date },
    ) {
      await trx
        .insertInto('eventSchedule')
        .values(event)
        .onConflict((oc) =>
          oc
            .column('eventId')
            .doUpdateSet({
              title: event.title,
              startsAt: event.startsAt,
              sourceAt: event.sourceAt,
              updatedAt: new Date(),
            })
            .where((eb) =>
              eb.or([
                eb('eventSchedule.sourceAt', 'is', null),
                eb('eventSchedule.sourceAt', '<=', event.sourceAt),
              ]),
            ),
        )
        .execute();
    },

    /**
     * The event's standing areas, from `event.published` whenever it comes: a venue's layout is fixed once
     * the event is published, so an older delivery holds the same areas as a later one.
     */
    async setStandingAreas(trx: Transaction<DB>, eventId: string, standingAreas: string[]) {
      await trx
        .updateTable('eventSchedule')
        .set({ standingAreas, updatedAt: new Date() })
        .where('eventId', '=', eventId)
        .execute();
    },

    /** The event's standing areas by name; undefined while not known. */
    async standingAreas(eventId: string, ex: Kysely<DB> = db): Promise<string[] | undefined> {
      const row = await ex
        .selectFrom('eventSchedule')
        .select('standingAreas')
        .where('eventId', '=', eventId)
        .executeTakeFirst();
      return row?.standingAreas ?? undefined;
    },

    /**
     * Records the cancellation, creating the row when event.published never came (its payments still
     * need their refunds). A repeat keeps the first cancellation.
     */
    async markCancelled(trx: Transaction<DB>, eventId: string, at: Date, reason: string) {
      await trx
        .insertInto('eventSchedule')
        .values({ eventId, title: null, startsAt: null, cancelledAt: at, cancelReason: reason })
        .onConflict((oc) =>
          oc
            .column('eventId')
            .doUpdateSet({ cancelledAt: at, cancelReason: reason, updatedAt: new Date() })
            .where('eventSchedule.cancelledAt', 'is', null),
        )
        .execute();
    },

    /** Cancelled events that still have paid payments holding money: the cancellation refunder's work. */
    cancelledWithPaidPayments(): Promise<
      { eventId: string; cancelledAt: Date; cancelReason: string | null }[]
    > {
      return db
        .selectFrom('eventSchedule')
        .select(['eventSchedule.eventId', 'eventSchedule.cancelledAt', 'eventSchedule.cancelReason'])
        .where('eventSchedule.cancelledAt', 'is not', null)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('payments')
              .select('payments.id')
              .whereRef('payments.eventId', '=', 'eventSchedule.eventId')
              .where('payments.status', 'in', REFUNDABLE),
          ),
        )
        .orderBy('eventSchedule.cancelledAt')
        .$narrowType<{ cancelledAt: Date }>()
        .execute();
    },

    /**
     * When the event was cancelled, if it was. With `lock` the row is read under a share lock held to the end
     * of the transaction: a cancellation being recorded (which updates the row) waits for that commit.
     */
    async cancelledAt(
      eventId: string,
      ex: Kysely<DB> = db,
      options: { lock?: boolean } = {},
    ): Promise<Date | null> {
      let query = ex.selectFrom('eventSchedule').select('cancelledAt').where('eventId', '=', eventId);
      if (options.lock) query = query.forShare();
      return (await query.executeTakeFirst())?.cancelledAt ?? null;
    },

    find(eventId: string, ex: Kysely<DB> = db) {
      return ex.selectFrom('eventSchedule').selectAll().where('eventId', '=', eventId).executeTakeFirst();
    },
  };
}

export type EventScheduleRepository = ReturnType<typeof eventScheduleRepository>;
