import type { EventData } from '@tiketi/contracts';
import { type Kysely, sql, type Transaction } from '@tiketi/kit';
import type { DB, EventStatus, SeatStatus } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** The local projection of events (sale settings and seats) built from the event service's events. */
export function eventRepository(db: Kysely<DB>) {
  return {
    /** When the event starts, as far as this service has heard (undefined for an event it never heard of). */
    async startsAt(eventId: string): Promise<Date | undefined> {
      const row = await db
        .selectFrom('events')
        .select('startsAt')
        .where('id', '=', eventId)
        .executeTakeFirst();
      return row?.startsAt ?? undefined;
    },

    findTitleAndTime(eventId: string) {
      return db
        .selectFrom('events')
        .select(['title', 'startsAt'])
        .where('id', '=', eventId)
        .executeTakeFirst();
    },

    findSaleInfo(eventId: string) {
      return db
        .selectFrom('events')
        .select(['id', 'title', 'status', 'saleOpensAt', 'saleClosesAt', 'perUserLimit', 'waitingRoom'])
        .where('id', '=', eventId)
        .executeTakeFirst();
    },

    /**
     * Sale settings only move forward in time (an older event arriving late changes nothing); title, tiers
     * and seats come only with `event.published` and are always taken from it.
     */
    async applyPublished(trx: Transaction<DB>, data: EventData<'event.published'>, occurredAt: Date) {
      await trx
        .insertInto('events')
        .values({
          id: data.eventId,
          title: data.title,
          status: data.status,
          startsAt: new Date(data.startsAt),
          saleOpensAt: new Date(data.saleOpensAt),
          saleClosesAt: new Date(data.saleClosesAt),
          perUserLimit: data.perUserLimit,
          waitingRoom: JSON.stringify(data.waitingRoom) as never,
          priceTiers: JSON.stringify(data.priceTiers) as never,
          waitlistOfferMinutes: data.waitlistOfferMinutes,
          standingAreas: JSON.stringify(data.standingAreas) as never,
          sourceAt: occurredAt,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            title: eb.ref('excluded.title'),
            startsAt: eb.ref('excluded.startsAt'),
            priceTiers: eb.ref('excluded.priceTiers'),
            standingAreas: eb.ref('excluded.standingAreas'),
            status: sql`case when events.source_at <= excluded.source_at then excluded.status else events.status end`,
            saleOpensAt: sql`case when events.source_at <= excluded.source_at then excluded.sale_opens_at else events.sale_opens_at end`,
            saleClosesAt: sql`case when events.source_at <= excluded.source_at then excluded.sale_closes_at else events.sale_closes_at end`,
            perUserLimit: sql`case when events.source_at <= excluded.source_at then excluded.per_user_limit else events.per_user_limit end`,
            waitingRoom: sql`case when events.source_at <= excluded.source_at then excluded.waiting_room else events.waiting_room end`,
            waitlistOfferMinutes: sql`case when events.source_at <= excluded.source_at then excluded.waitlist_offer_minutes else events.waitlist_offer_minutes end`,
            sourceAt: sql`greatest(events.source_at, excluded.source_at)`,
            updatedAt: sql`now()`,
          })),
        )
        .execute();

      const price = new Map(data.priceTiers.map((t) => [t.id, t.price]));
      const seats = data.seats;
      // One statement for the whole layout, however many seats: unnest turns the columns into rows.
      await sql`insert into seats (id, event_id, label, section, row_name, number, x, y, tier_id, price)
        select s.id, ${data.eventId}::uuid, s.label, s.section, s.row_name, s.number, s.x, s.y, s.tier_id, s.price
        from unnest(
          ${seats.map((s) => s.id)}::uuid[], ${seats.map((s) => s.label)}::text[],
          ${seats.map((s) => s.section)}::text[], ${seats.map((s) => s.row)}::text[],
          ${seats.map((s) => s.number)}::int[], ${seats.map((s) => s.x)}::float8[],
          ${seats.map((s) => s.y)}::float8[], ${seats.map((s) => s.tierId)}::uuid[],
          ${seats.map((s) => price.get(s.tierId) ?? 0)}::int[]
        ) as s(id, label, section, row_name, number, x, y, tier_id, price)
        on conflict (id) do update set label = excluded.label, section = excluded.section,
          row_name = excluded.row_name, number = excluded.number, x = excluded.x, y = excluded.y,
          tier_id = excluded.tier_id, price = excluded.price
        where seats.event_id = excluded.event_id`.execute(trx);
      // Seats dropped from the layout go, unless someone holds or bought them.
      await sql`delete from seats where event_id = ${data.eventId} and status = 'available'
        and id <> all(${seats.map((s) => s.id)}::uuid[])
        and not exists (select 1 from reservation_seats rs where rs.seat_id = seats.id)`.execute(trx);
    },

    /** An update seen before its `event.published` makes a row with what the update says. */
    async applyUpdated(trx: Transaction<DB>, data: EventData<'event.updated'>, occurredAt: Date) {
      await trx
        .insertInto('events')
        .values({
          id: data.eventId,
          title: data.title ?? null,
          status: data.status,
          startsAt: data.startsAt ? new Date(data.startsAt) : null,
          saleOpensAt: new Date(data.saleOpensAt),
          saleClosesAt: new Date(data.saleClosesAt),
          perUserLimit: data.perUserLimit,
          waitingRoom: JSON.stringify(data.waitingRoom) as never,
          waitlistOfferMinutes: data.waitlistOfferMinutes,
          sourceAt: occurredAt,
        })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              // An update announced before title and start were part of it leaves them as they were.
              title: sql`coalesce(excluded.title, events.title)`,
              startsAt: sql`coalesce(excluded.starts_at, events.starts_at)`,
              saleOpensAt: eb.ref('excluded.saleOpensAt'),
              saleClosesAt: eb.ref('excluded.saleClosesAt'),
              perUserLimit: eb.ref('excluded.perUserLimit'),
              waitingRoom: eb.ref('excluded.waitingRoom'),
              waitlistOfferMinutes: eb.ref('excluded.waitlistOfferMinutes'),
              sourceAt: eb.ref('excluded.sourceAt'),
              updatedAt: sql`now()`,
            }))
            .where('events.sourceAt', '<=', occurredAt),
        )
        .execute();
    },

    /**
     * Takes the event's row `for update` first: that waits for every hold statement still running (they
     * hold it `for key share`) and makes every later one wait for this commit, after which it finds the
     * event cancelled. The caller then ends the holds in the same transaction.
     */
    async markCancelled(trx: Transaction<DB>, eventId: string, occurredAt: Date) {
      await trx.selectFrom('events').select('id').where('id', '=', eventId).forUpdate().execute();
      await trx
        .updateTable('events')
        .set({
          status: 'cancelled' as EventStatus,
          sourceAt: sql`greatest(source_at, ${occurredAt})`,
          updatedAt: sql`now()`,
        })
        .where('id', '=', eventId)
        .execute();
    },

    /** Every seat of an event with its state (the seat map's source of truth). */
    seatsOf(eventId: string, executor: Executor = db) {
      return executor
        .selectFrom('seats')
        .select([
          'id',
          'label',
          'section',
          'rowName',
          'number',
          'x',
          'y',
          'tierId',
          'price',
          'status',
          'version',
        ])
        .where('eventId', '=', eventId)
        .orderBy('section')
        .orderBy('rowName')
        .orderBy('number')
        .execute();
    },

    async stats(eventId: string) {
      const rows = await db
        .selectFrom('seats')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('eventId', '=', eventId)
        .groupBy('status')
        .execute();
      const counts: Record<SeatStatus, number> = { available: 0, held: 0, sold: 0 };
      for (const row of rows) counts[row.status] = row.n;
      return { counts, known: rows.length > 0 };
    },

    /**
     * Records which events on sale at `now` ran out of seats to hold, or have some again, since the last
     * look, and answers those that changed. The update re-reads each row it changes, so two instances
     * looking at once record (and so announce) a change once.
     */
    async recordSoldOut(trx: Transaction<DB>, now: Date) {
      const result = await sql<{ eventId: string; soldOut: boolean }>`
        with looked as (
          select e.id, not exists (
            select 1 from seats s where s.event_id = e.id and s.status = 'available'
          ) as sold_out
          from events e
          where e.status in ('published', 'on_sale') and e.sale_opens_at <= ${now}
            and ${now} < e.sale_closes_at and exists (select 1 from seats s where s.event_id = e.id)
        )
        update events e set sold_out = looked.sold_out, updated_at = now()
        from looked
        where e.id = looked.id and e.sold_out <> looked.sold_out
        returning e.id as "eventId", e.sold_out as "soldOut"`.execute(trx);
      return result.rows;
    },

    async exists(eventId: string) {
      const row = await db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;
