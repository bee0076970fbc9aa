import { type Kysely, sql, type Transaction } from '@tiketi/kit';
import { userEventLockKey } from './reservation.repository.ts';
import type { DB, SeatChange, StandingArea } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type WaitingFan = { id: string; userId: string; tierId: string | null; quantity: number };
export type FreeSeat = { id: string; label: string; price: number; tierId: string };

const OPEN = ['WAITING', 'OFFERED'] as const;

/** The waiting lists of sold-out events; SQL only, the rules are in waitlist.service.ts. */
export function waitlistRepository(db: Kysely<DB>) {
  return {
    /** Adds the fan at the end of the list; undefined when they already have an entry in progress. */
    async insert(
      entry: { id: string; eventId: string; userId: string; tierId: string | null; quantity: number },
      executor: Executor = db,
    ): Promise<boolean> {
      const row = await executor
        .insertInto('waitlistEntries')
        .values({ ...entry, status: 'WAITING' })
        .onConflict((oc) =>
          oc
            .columns(['eventId', 'userId'])
            .where('status', 'in', [...OPEN])
            .doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The fan's entry in progress, with its place among those still waiting (1 = next). */
    async openEntry(eventId: string, userId: string, executor: Executor = db) {
      const { rows } = await sql<{
        id: string;
        eventId: string;
        tierId: string | null;
        quantity: number;
        status: 'WAITING' | 'OFFERED';
        joinedAt: Date;
        reservationId: string | null;
        expiresAt: Date | null;
        place: number | null;
      }>`select e.id, e.event_id, e.tier_id, e.quantity, e.status, e.joined_at, e.reservation_id,
          r.expires_at,
          case when e.status = 'WAITING' then (
            select count(*)::int from waitlist_entries w
            where w.event_id = e.event_id and w.status = 'WAITING' and w.position <= e.position
          ) end as place
        from waitlist_entries e left join reservations r on r.id = e.reservation_id
        where e.event_id = ${eventId} and e.user_id = ${userId} and e.status in ('WAITING', 'OFFERED')`.execute(
        executor,
      );
      return rows[0];
    },

    lockOpenEntry(trx: Transaction<DB>, eventId: string, userId: string) {
      return trx
        .selectFrom('waitlistEntries')
        .select(['id', 'status', 'reservationId'])
        .where('eventId', '=', eventId)
        .where('userId', '=', userId)
        .where('status', 'in', [...OPEN])
        .forUpdate()
        .executeTakeFirst();
    },

    async setStatus(trx: Transaction<DB>, id: string, status: 'LEFT') {
      await trx
        .updateTable('waitlistEntries')
        .set({ status, updatedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    /**
     * A deleted account leaves every list it still waits on, so no offer is made to nobody. (An offer in
     * hand is a hold, which keeps the account from being deleted until it ends.)
     */
    async leaveAll(trx: Transaction<DB>, userId: string) {
      await trx
        .updateTable('waitlistEntries')
        .set({ status: 'LEFT', updatedAt: sql`now()` })
        .where('userId', '=', userId)
        .where('status', '=', 'WAITING')
        .execute();
    },

    /** The list of a cancelled event is over: nobody waits on it any more. */
    /** Closes the entries still waiting; answers whose they were. */
    closeEvent(trx: Transaction<DB>, eventId: string) {
      return trx
        .updateTable('waitlistEntries')
        .set({ status: 'CLOSED', updatedAt: sql`now()` })
        .where('eventId', '=', eventId)
        .where('status', '=', 'WAITING')
        .returning(['userId', 'quantity'])
        .execute();
    },

    /** Offers whose hold ended without a purchase (expired, given back) end too. */
    async lapseOffers(trx: Transaction<DB>, reservationIds: string[]) {
      if (reservationIds.length === 0) return;
      await trx
        .updateTable('waitlistEntries')
        .set({ status: 'LAPSED', updatedAt: sql`now()` })
        .where('reservationId', 'in', reservationIds)
        .where('status', '=', 'OFFERED')
        .execute();
    },

    async markClaimed(trx: Transaction<DB>, reservationId: string) {
      await trx
        .updateTable('waitlistEntries')
        .set({ status: 'CLAIMED', updatedAt: sql`now()` })
        .where('reservationId', '=', reservationId)
        .where('status', '=', 'OFFERED')
        .execute();
    },

    /** The event's sale settings and price tiers from the projection (undefined: no such event here). */
    eventForJoin(eventId: string) {
      return db
        .selectFrom('events')
        .select(['id', 'status', 'saleOpensAt', 'saleClosesAt', 'perUserLimit', 'waitingRoom', 'priceTiers'])
        .where('id', '=', eventId)
        .executeTakeFirst();
    },

    /** Seats of the event (of one tier, when given) anyone could hold right now. */
    async availableCount(eventId: string, tierId: string | null): Promise<number> {
      const row = await db
        .selectFrom('seats')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('eventId', '=', eventId)
        .where('status', '=', 'available')
        .$if(tierId !== null, (q) => q.where('tierId', '=', tierId as string))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The fans still waiting, first in line first. */
    waiting(trx: Transaction<DB>, eventId: string, limit: number): Promise<WaitingFan[]> {
      return trx
        .selectFrom('waitlistEntries')
        .select(['id', 'userId', 'tierId', 'quantity'])
        .where('eventId', '=', eventId)
        .where('status', '=', 'WAITING')
        .orderBy('position')
        .limit(limit)
        .execute();
    },

    /**
     * The event's sale settings when it is on sale now (offers are made only then), read under the same
     * key-share lock as a hold, so a cancellation either waits for this transaction or is seen by it. A row
     * locked `for update` is a cancellation under way: no offers then, and no waiting on it (the
     * cancellation may be waiting on this transaction's reservations).
     */
    async saleForOffers(trx: Transaction<DB>, eventId: string) {
      const { rows } = await sql<{
        perUserLimit: number;
        waitlistOfferMinutes: number;
        standingAreas: StandingArea[];
      }>`
        select per_user_limit, waitlist_offer_minutes, standing_areas from events
        where id = ${eventId} and status in ('published', 'on_sale')
          and sale_opens_at <= now() and now() < sale_closes_at
        for key share skip locked`.execute(trx);
      return rows[0];
    },

    /**
     * Free seats of the event, row-locked: the ones this transaction just released and any left before.
     * `SKIP LOCKED` leaves seats another transaction is releasing or holding to that transaction.
     */
    async lockFreeSeats(trx: Transaction<DB>, eventId: string): Promise<FreeSeat[]> {
      const { rows } = await sql<FreeSeat>`select id, label, price, tier_id from seats
        where event_id = ${eventId} and status = 'available'
        order by section, row_name, number
        for update skip locked`.execute(trx);
      return rows;
    },

    /** Seats of the event the user holds or bought. */
    async activeSeats(userId: string, eventId: string): Promise<number> {
      const { rows } = await sql<{ active: number }>`
        select user_active_seats(${userId}::uuid, ${eventId}::uuid) as active`.execute(db);
      return rows[0]?.active ?? 0;
    },

    /**
     * Claims one waiting fan for an offer: their entry row (skipped when another transaction is offering
     * to them) and their (user, event) hold lock (skipped when a hold of theirs is running, whose count the
     * limit check below could not see). Answers the seats they already hold in the event, or undefined.
     */
    async claimFan(trx: Transaction<DB>, fan: WaitingFan, eventId: string): Promise<number | undefined> {
      const { rows } = await sql<{ active: number }>`
        with entry as (
          select id from waitlist_entries where id = ${fan.id} and status = 'WAITING'
          for update skip locked
        )
        select user_active_seats(${fan.userId}::uuid, ${eventId}::uuid) as active
        from entry where pg_try_advisory_xact_lock(${userEventLockKey(fan.userId, eventId)})`.execute(trx);
      return rows[0]?.active;
    },

    /** Holds the seats for the fan (the offer) and ties the entry to it, in the caller's transaction. */
    async makeOffer(
      trx: Transaction<DB>,
      offer: {
        reservationId: string;
        entryId: string;
        userId: string;
        eventId: string;
        seats: FreeSeat[];
        expiresAt: Date;
      },
    ): Promise<SeatChange[]> {
      const seatIds = offer.seats.map((s) => s.id);
      const amount = offer.seats.reduce((sum, s) => sum + s.price, 0);
      await trx
        .insertInto('reservations')
        .values({
          id: offer.reservationId,
          userId: offer.userId,
          eventId: offer.eventId,
          status: 'PENDING',
          amount,
          expiresAt: offer.expiresAt,
          confirmedAt: null,
          paymentId: null,
          idempotencyKey: null,
        })
        .execute();
      const { rows } = await sql<SeatChange>`update seats set status = 'held',
          reservation_id = ${offer.reservationId}, version = version + 1
        where id = any(${seatIds}::uuid[]) and status = 'available'
        returning id, event_id, status, version`.execute(trx);
      await trx
        .insertInto('reservationSeats')
        .values(
          offer.seats.map((s) => ({
            reservationId: offer.reservationId,
            seatId: s.id,
            label: s.label,
            price: s.price,
          })),
        )
        .execute();
      await trx
        .updateTable('waitlistEntries')
        .set({ status: 'OFFERED', reservationId: offer.reservationId, updatedAt: sql`now()` })
        .where('id', '=', offer.entryId)
        .execute();
      return rows;
    },
  };
}

export type WaitlistRepository = ReturnType<typeof waitlistRepository>;
