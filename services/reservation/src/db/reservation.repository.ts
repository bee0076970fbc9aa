import { createHash } from 'node:crypto';
import type { Envelope, ReservationStatus } from '@tiketi/contracts';
import {
  type Kysely,
  outboxRow,
  paginate,
  prepared,
  sql,
  type Transaction,
  wakeRelayAfterCommit,
} from '@tiketi/kit';
import type { DB, SeatChange } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type HoldInput = {
  reservationId: string;
  userId: string;
  eventId: string;
  seatIds: string[];
  expiresAt: Date;
  idempotencyKey: string | null;
};

export type HeldSeat = { id: string; label: string; price: number; version: number };

/** Seats given back, grouped by the reservation that had them. */
/** Seats given back: their changes, and each reservation's seat ids and (in the same order) labels. */
export type Released = {
  seats: SeatChange[];
  byReservation: Map<string, string[]>;
  labelsByReservation: Map<string, string[]>;
};

export type ReservationFilter = {
  userId?: string | undefined;
  eventId?: string | undefined;
  status?: ReservationStatus | undefined;
  limit: number;
  offset: number;
};

/** A signed 64-bit advisory-lock key for one user on one event. */
export function userEventLockKey(userId: string, eventId: string): bigint {
  return createHash('sha256').update(`${userId}:${eventId}`).digest().readBigInt64BE(0);
}

export function reservationRepository(db: Kysely<DB>) {
  return {
    findByIdempotencyKey(userId: string, key: string, executor: Executor = db) {
      return executor
        .selectFrom('reservations')
        .selectAll()
        .where('userId', '=', userId)
        .where('idempotencyKey', '=', key)
        .executeTakeFirst();
    },

    /**
     * Holds every requested seat or none, and records `reservation.created` in the outbox, in one round
     * trip (the hot path of a ticket drop): the database function `hold_seats` (its migration says why
     * each step is there) takes the per-user advisory lock, checks the sale and the per-user limit, locks
     * and holds the seats, and writes the reservation, its seats and the outbox row, all in the statement's
     * own transaction. The event's amount is the sum of the seats' prices, filled in by the function.
     *
     * The function inserts the outbox row itself, unlike every other writer (`writeOutbox`): the amount in
     * the event is known only inside it, and a second statement would cost the hot path a round trip. It
     * gets the row as `outboxRow` spells it, and the relay is woken here once the statement committed.
     *
     * The partial unique index on reservation_seats backs this up: a seat can never be in two active
     * reservations, even if the function were wrong.
     */
    async hold(
      input: HoldInput & {
        perUserLimit: number;
        /** How often a user may let holds of one seat end unpaid within `windowMs` (0: no limit). */
        unpaid: { limit: number; windowMs: number };
        announcement: Envelope<'reservation.created'>;
      },
    ): Promise<{
      held: HeldSeat[];
      created: boolean;
      active: number;
      onSale: boolean;
      /** Seats refused since the user let their holds end unpaid too often, and when they may be held again. */
      spun: { seatIds: string[]; until: Date } | null;
    }> {
      const { reservationId, userId, eventId, seatIds, expiresAt, idempotencyKey, perUserLimit } = input;
      const { announcement, unpaid } = input;
      const { rows } = await prepared(
        'hold_seats',
        sql<{
          active: number;
          created: boolean;
          onSale: boolean;
          unpaidUntil: Date | null;
          id: string | null;
          label: string | null;
          price: number | null;
          version: number | null;
        }>`select * from hold_seats(${userEventLockKey(userId, eventId)}::bigint, ${reservationId}::uuid,
          ${userId}::uuid, ${eventId}::uuid, ${seatIds}::uuid[], ${expiresAt}::timestamptz,
          ${idempotencyKey}::text, ${perUserLimit}::int, ${unpaid.limit}::int,
          make_interval(secs => ${unpaid.windowMs / 1000}::float8), ${outboxRow(announcement)})`,
      ).execute(db);
      const spunUntil = rows[0]?.unpaidUntil;
      if (spunUntil) {
        const seatIds = rows.flatMap((r) => (r.id === null ? [] : [r.id]));
        return { held: [], created: false, active: 0, onSale: true, spun: { seatIds, until: spunUntil } };
      }
      const created = rows[0]?.created ?? false;
      if (created) await wakeRelayAfterCommit(db);
      const held: HeldSeat[] = [];
      for (const r of rows) {
        if (r.id !== null)
          held.push({ id: r.id, label: r.label ?? '', price: r.price ?? 0, version: r.version ?? 0 });
      }
      return {
        held,
        created,
        active: rows[0]?.active ?? 0,
        onSale: rows[0]?.onSale ?? false,
        spun: null,
      };
    },

    /**
     * Which of these seats exist in the event (to tell unknown seats from taken ones): read by their ids,
     * then kept when the event's, so that no statistics send the read through the event's seats.
     */
    async existingSeatIds(eventId: string, seatIds: string[]): Promise<Set<string>> {
      if (seatIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('seats')
        .select(['id', 'eventId'])
        .where('id', 'in', seatIds)
        .execute();
      return new Set(rows.filter((r) => r.eventId === eventId).map((r) => r.id));
    },

    /** The user's holds that have not run out: each may have its payment under way. */
    async countLiveHolds(userId: string): Promise<number> {
      const row = await db
        .selectFrom('reservations')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('userId', '=', userId)
        .where('status', '=', 'PENDING')
        .where('expiresAt', '>', new Date())
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * The user's holds in the event that have not run out, waiting-list offers aside. Read under the
     * user's advisory lock on the event, the one `hold_seats` takes: a hold being made at this moment is
     * waited for and counted, rather than missed and committed just after the answer.
     */
    liveHoldsIn(userId: string, eventId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${userEventLockKey(userId, eventId)})`.execute(trx);
        const row = await trx
          .selectFrom('reservations as r')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('r.userId', '=', userId)
          .where('r.eventId', '=', eventId)
          .where('r.status', '=', 'PENDING')
          .where('r.expiresAt', '>', new Date())
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('waitlistEntries as w').select('w.id').whereRef('w.reservationId', '=', 'r.id'),
              ),
            ),
          )
          .executeTakeFirstOrThrow();
        return Number(row.n);
      });
    },

    findById(id: string, executor: Executor = db) {
      return executor.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findForUpdate(trx: Transaction<DB>, id: string) {
      return trx.selectFrom('reservations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    seatsOf(reservationIds: string[], executor: Executor = db) {
      if (reservationIds.length === 0) return Promise.resolve([]);
      return executor
        .selectFrom('reservationSeats')
        .selectAll()
        .where('reservationId', 'in', reservationIds)
        .orderBy('label')
        .execute();
    },

    /** Which of these reservations were waiting-list offers (whatever became of the offer since). */
    async waitlistOffers(reservationIds: string[], executor: Executor = db): Promise<Set<string>> {
      if (reservationIds.length === 0) return new Set();
      const rows = await executor
        .selectFrom('waitlistEntries')
        .select('reservationId')
        .where('reservationId', 'in', reservationIds)
        .execute();
      return new Set(rows.flatMap((r) => (r.reservationId ? [r.reservationId] : [])));
    },

    list(filter: ReservationFilter) {
      let query = db.selectFrom('reservations');
      if (filter.userId) query = query.where('userId', '=', filter.userId);
      if (filter.eventId) query = query.where('eventId', '=', filter.eventId);
      if (filter.status) query = query.where('status', '=', filter.status);
      return paginate(query, (q) => q.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc'), filter);
    },

    async setStatus(trx: Transaction<DB>, ids: string[], status: ReservationStatus) {
      if (ids.length === 0) return;
      await trx
        .updateTable('reservations')
        .set({ status, updatedAt: sql`now()` })
        .where('id', 'in', ids)
        .execute();
    },

    /**
     * Gives back the seats these reservations still hold (all, or only `seatIds`): seats become available
     * and their reservation links inactive, in one statement.
     */
    async releaseSeats(
      trx: Transaction<DB>,
      reservationIds: string[],
      seatIds?: string[],
    ): Promise<Released> {
      const byReservation = new Map<string, string[]>();
      const labelsByReservation = new Map<string, string[]>();
      if (reservationIds.length === 0) return { seats: [], byReservation, labelsByReservation };
      const onlySeats = seatIds ? sql`and rs.seat_id = any(${seatIds}::uuid[])` : sql``;
      const { rows } = await sql<SeatChange & { reservationId: string; label: string }>`
        with links as (
          update reservation_seats rs set active = false
          where rs.reservation_id = any(${reservationIds}::uuid[]) and rs.active ${onlySeats}
          returning rs.reservation_id, rs.seat_id, rs.label
        ), released as (
          update seats s set status = 'available', reservation_id = null, version = s.version + 1
          from links where s.id = links.seat_id and s.reservation_id = links.reservation_id
          returning s.id, s.event_id, s.status, s.version
        )
        select l.reservation_id, l.seat_id as id, l.label, r.event_id, r.status, r.version
        from links l left join released r on r.id = l.seat_id`.execute(trx);
      const seats: SeatChange[] = [];
      for (const row of rows) {
        byReservation.set(row.reservationId, [...(byReservation.get(row.reservationId) ?? []), row.id]);
        labelsByReservation.set(row.reservationId, [
          ...(labelsByReservation.get(row.reservationId) ?? []),
          row.label,
        ]);
        if (row.eventId)
          seats.push({ id: row.id, eventId: row.eventId, status: row.status, version: row.version });
      }
      return { seats, byReservation, labelsByReservation };
    },

    /**
     * Claims expired holds and marks them EXPIRED. `SKIP LOCKED` lets several instances sweep at once
     * without waiting on each other or on a confirmation in progress.
     */
    /** Ends the due holds; `waitlistOffer` tells the holds that were waiting-list offers (still open). */
    async expireDue(trx: Transaction<DB>, limit: number) {
      const { rows } = await sql<{ id: string; userId: string; eventId: string; waitlistOffer: boolean }>`
        update reservations r set status = 'EXPIRED', updated_at = now()
        from (
          select id from reservations where status = 'PENDING' and expires_at <= now()
          order by expires_at limit ${limit} for update skip locked
        ) due
        where r.id = due.id
        returning r.id, r.user_id, r.event_id, exists (
          select 1 from waitlist_entries w where w.reservation_id = r.id and w.status = 'OFFERED'
        ) as waitlist_offer`.execute(trx);
      return rows;
    },

    /** The holds still pending of an event (cancelled) or of a user (deleted), locked. */
    async pendingOf(trx: Transaction<DB>, owner: { eventId: string } | { userId: string }) {
      const [column, value] =
        'eventId' in owner ? (['eventId', owner.eventId] as const) : (['userId', owner.userId] as const);
      return trx
        .selectFrom('reservations')
        .select(['id', 'userId', 'eventId'])
        .where(column, '=', value)
        .where('status', '=', 'PENDING')
        .forUpdate()
        .execute();
    },

    async markCheckoutStarted(trx: Transaction<DB>, id: string) {
      await trx
        .updateTable('reservations')
        .set({ checkoutStartedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    async setExpiry(trx: Transaction<DB>, id: string, expiresAt: Date) {
      await trx
        .updateTable('reservations')
        .set({ expiresAt, updatedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Held seats of the reservation become sold; answers them (none when the hold was lost). They are found
     * through the reservation's active seat links: seats have no index on their reservation (its migration,
     * `20261206170000`, says why).
     */
    async sellSeats(trx: Transaction<DB>, reservationId: string): Promise<SeatChange[]> {
      const { rows } = await sql<SeatChange>`update seats s set status = 'sold', version = s.version + 1
        from reservation_seats rs
        where rs.reservation_id = ${reservationId} and rs.active and s.id = rs.seat_id
          and s.reservation_id = ${reservationId} and s.status = 'held'
        returning s.id, s.event_id, s.status, s.version`.execute(trx);
      return rows;
    },

    async markConfirmed(trx: Transaction<DB>, id: string, paymentId: string) {
      await trx
        .updateTable('reservations')
        .set({ status: 'CONFIRMED', paymentId, confirmedAt: sql`now()`, updatedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Holds running now, and how far past its expiry the oldest hold not yet released is (0 when the
     * sweeper keeps up). Both read the partial index of pending reservations only.
     */
    async holdFigures(): Promise<{ active: number; expiryLagSeconds: number }> {
      const { rows } = await sql<{ active: number; lag: number }>`
        select count(*) filter (where expires_at > now())::int as active,
          coalesce(extract(epoch from now() - min(expires_at) filter (where expires_at <= now())), 0)::float8 as lag
        from reservations where status = 'PENDING'`.execute(db);
      return { active: rows[0]?.active ?? 0, expiryLagSeconds: rows[0]?.lag ?? 0 };
    },

    async activeSeatIds(trx: Transaction<DB>, reservationId: string): Promise<string[]> {
      const rows = await trx
        .selectFrom('reservationSeats')
        .select('seatId')
        .where('reservationId', '=', reservationId)
        .where('active', '=', true)
        .execute();
      return rows.map((r) => r.seatId);
    },
  };
}

export type ReservationRepository = ReturnType<typeof reservationRepository>;
