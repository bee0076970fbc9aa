import { createHash } from 'node:crypto';
import type { Envelope, ReservationStatus } from '@tiketi/contracts';
import { type Kysely, paginate, prepared, sql, type Transaction } from '@tiketi/kit';
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
export type Released = { seats: SeatChange[]; byReservation: Map<string, string[]> };

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
     * Holds every requested seat or none, and records `reservation.created` in the outbox, in one
     * transaction of three round trips (the hot path of a ticket drop):
     *
     * 1. `begin` and a transaction-scoped advisory lock on (user, event), sent together: one user's holds
     *    on one event run one at a time, so parallel requests cannot overrun the per-user limit (a single
     *    statement could not: it counts from a snapshot taken before the lock is granted);
     * 2. one statement: the event's row is read under a key-share lock and must be on sale now (published or
     *    on sale, within its sale window): a cancellation takes that row `for update` before it ends the
     *    event's holds, so a hold either commits before the cancellation looks for holds to end, or waits
     *    for it and then finds the event cancelled — no hold outlives its event's cancellation, whatever an
     *    earlier cached read said. Then the requested seats are row-locked in id order (overlapping requests
     *    queue instead of deadlocking), the available ones are marked held, and only if all of them were and
     *    the user stays within `perUserLimit` seats in active reservations of the event are the reservation,
     *    its seats and the outbox row written (the event's amount is the sum of the seats' prices, filled in
     *    by SQL);
     * 3. `commit` when the reservation was created, `rollback` otherwise.
     *
     * The partial unique index on reservation_seats backs this up: a seat can never be in two active
     * reservations, even if this statement were wrong.
     */
    async hold(
      input: HoldInput & { perUserLimit: number; announcement: Envelope<'reservation.created'> },
    ): Promise<{ held: HeldSeat[]; created: boolean; active: number; onSale: boolean }> {
      const { reservationId, userId, eventId, seatIds, expiresAt, idempotencyKey, perUserLimit } = input;
      const { announcement } = input;
      return db.connection().execute(async (conn) => {
        // Without parameters pg sends this as one simple query, so both statements cost one round trip;
        // the key is a number computed here, so nothing from outside is spliced into the text.
        try {
          await sql
            .raw(`begin; select pg_advisory_xact_lock(${userEventLockKey(userId, eventId)})`)
            .execute(conn);
          const { rows } = await sql<{
            active: number;
            created: boolean;
            onSale: boolean;
            id: string | null;
            label: string | null;
            price: number | null;
            version: number | null;
          }>`${prepared('hold_seats')}
            with sale as materialized (
              select id from events
              where id = ${eventId} and status in ('published', 'on_sale')
                and sale_opens_at <= now() and now() < sale_closes_at
              for key share
            ), active as (
              select count(*)::int as n
              from reservation_seats rs join reservations r on r.id = rs.reservation_id
              where r.user_id = ${userId} and r.event_id = ${eventId} and rs.active
            ), locked as materialized (
              select id from seats
              where event_id = ${eventId} and id = any(${seatIds}::uuid[]) and status = 'available'
                and exists (select 1 from sale)
              order by id
              for update
            ), held as (
              update seats s set status = 'held', reservation_id = ${reservationId}, version = s.version + 1
              from locked where s.id = locked.id and s.status = 'available'
              returning s.id, s.label, s.price, s.version
            ), created as (
              insert into reservations (id, user_id, event_id, status, amount, expires_at, idempotency_key)
              select ${reservationId}, ${userId}, ${eventId}, 'PENDING', coalesce(sum(price), 0)::int,
                ${expiresAt}, ${idempotencyKey}
              from held
              having count(*) = ${seatIds.length} and (select n from active) + count(*) <= ${perUserLimit}
              returning id, amount
            ), linked as (
              insert into reservation_seats (reservation_id, seat_id, label, price)
              select c.id, h.id, h.label, h.price from held h cross join created c
            ), announced as (
              insert into outbox (id, type, envelope)
              select ${announcement.id}, ${announcement.type},
                jsonb_set(${JSON.stringify(announcement)}::jsonb, '{data,amount}', to_jsonb(c.amount))
              from created c
            )
            select a.n as active, exists (select 1 from created) as created,
              exists (select 1 from sale) as on_sale, h.id, h.label, h.price, h.version
            from active a left join held h on true`.execute(conn);
          const created = rows[0]?.created ?? false;
          await sql.raw(created ? 'commit' : 'rollback').execute(conn);
          const held: HeldSeat[] = [];
          for (const r of rows) {
            if (r.id !== null)
              held.push({ id: r.id, label: r.label ?? '', price: r.price ?? 0, version: r.version ?? 0 });
          }
          return { held, created, active: rows[0]?.active ?? 0, onSale: rows[0]?.onSale ?? false };
        } catch (error) {
          // A broken connection is discarded by the pool; a live one must not go back mid-transaction.
          await sql
            .raw('rollback')
            .execute(conn)
            .catch(() => undefined);
          throw error;
        }
      });
    },

    /** Which of these seats exist in the event (to tell unknown seats from taken ones). */
    async existingSeatIds(eventId: string, seatIds: string[]): Promise<Set<string>> {
      const rows = await db
        .selectFrom('seats')
        .select('id')
        .where('eventId', '=', eventId)
        .where('id', 'in', seatIds)
        .execute();
      return new Set(rows.map((r) => r.id));
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
      if (reservationIds.length === 0) return { seats: [], byReservation };
      const onlySeats = seatIds ? sql`and rs.seat_id = any(${seatIds}::uuid[])` : sql``;
      const { rows } = await sql<SeatChange & { reservationId: string }>`
        with links as (
          update reservation_seats rs set active = false
          where rs.reservation_id = any(${reservationIds}::uuid[]) and rs.active ${onlySeats}
          returning rs.reservation_id, rs.seat_id
        ), released as (
          update seats s set status = 'available', reservation_id = null, version = s.version + 1
          from links where s.id = links.seat_id and s.reservation_id = links.reservation_id
          returning s.id, s.event_id, s.status, s.version
        )
        select l.reservation_id, l.seat_id as id, r.event_id, r.status, r.version
        from links l left join released r on r.id = l.seat_id`.execute(trx);
      const seats: SeatChange[] = [];
      for (const row of rows) {
        byReservation.set(row.reservationId, [...(byReservation.get(row.reservationId) ?? []), row.id]);
        if (row.eventId)
          seats.push({ id: row.id, eventId: row.eventId, status: row.status, version: row.version });
      }
      return { seats, byReservation };
    },

    /**
     * Claims expired holds and marks them EXPIRED. `SKIP LOCKED` lets several instances sweep at once
     * without waiting on each other or on a confirmation in progress.
     */
    async expireDue(trx: Transaction<DB>, limit: number) {
      const { rows } = await sql<{ id: string; userId: string; eventId: string }>`
        update reservations r set status = 'EXPIRED', updated_at = now()
        from (
          select id from reservations where status = 'PENDING' and expires_at <= now()
          order by expires_at limit ${limit} for update skip locked
        ) due
        where r.id = due.id
        returning r.id, r.user_id, r.event_id`.execute(trx);
      return rows;
    },

    async pendingOfEvent(trx: Transaction<DB>, eventId: string) {
      return trx
        .selectFrom('reservations')
        .select(['id', 'userId', 'eventId'])
        .where('eventId', '=', eventId)
        .where('status', '=', 'PENDING')
        .forUpdate()
        .execute();
    },

    async setExpiry(trx: Transaction<DB>, id: string, expiresAt: Date) {
      await trx
        .updateTable('reservations')
        .set({ expiresAt, updatedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    /** Held seats of the reservation become sold; answers them (none when the hold was lost). */
    async sellSeats(trx: Transaction<DB>, reservationId: string): Promise<SeatChange[]> {
      const { rows } = await sql<SeatChange>`update seats set status = 'sold', version = version + 1
        where reservation_id = ${reservationId} and status = 'held'
        returning id, event_id, status, version`.execute(trx);
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
