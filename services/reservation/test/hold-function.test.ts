import { randomUUID } from 'node:crypto';
import type { EventInput } from '@tiketi/contracts';
import { makeEnvelope, sql } from '@tiketi/kit';
import type { Kysely, Transaction } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { reservationRepository } from '../src/db/reservation.repository.ts';
import type { DB } from '../src/db/schema.ts';
import { deliver, onSaleEvent, published, reservationSuite, rowsRead } from './helpers.ts';

type HoldRow = { active: number; created: boolean; onSale: boolean; id: string | null; price: number | null };

/** One call, with a fresh reservation id, as the repository makes it (the lock key is any bigint). */
function holdSeatsCall(
  userId: string,
  seatIds: string[],
  on: EventInput<'event.published'>,
  unpaidLimit = 0,
) {
  const reservationId = randomUUID();
  const expiresAt = new Date(Date.now() + 60_000);
  const envelope = makeEnvelope('reservation.created', {
    reservationId,
    eventId: on.eventId,
    userId,
    seatIds,
    amount: 0,
    expiresAt: expiresAt.toISOString(),
  });
  const key = BigInt.asIntN(64, BigInt(`0x${userId.replaceAll('-', '').slice(0, 16)}`));
  const query = sql<HoldRow>`select * from hold_seats(${key}::bigint, ${reservationId}::uuid,
    ${userId}::uuid, ${on.eventId}::uuid, ${seatIds}::uuid[], ${expiresAt}::timestamptz, null::text,
    ${on.perUserLimit}::int, ${unpaidLimit}::int, interval '1 hour', ${envelope.id}::uuid, ${envelope.type}::text,
    ${JSON.stringify(envelope)}::jsonb)`;
  return { reservationId, envelopeId: envelope.id, query };
}

async function holdSeatsAs(
  executor: Kysely<DB> | Transaction<DB>,
  userId: string,
  seatIds: string[],
  on: EventInput<'event.published'>,
  unpaidLimit = 0,
) {
  const { reservationId, envelopeId, query } = holdSeatsCall(userId, seatIds, on, unpaidLimit);
  const { rows } = await query.execute(executor);
  return { reservationId, envelopeId, rows, created: rows[0]?.created ?? false };
}

/**
 * The database function `hold_seats` on its own, called as SQL: the guarantees of a hold live in
 * PostgreSQL, whatever the service in front of it does.
 */
describe('the hold_seats database function', () => {
  const event = onSaleEvent(20, { perUserLimit: 4 });
  const seat = (i: number) => event.seats[i]!.id;
  const h = reservationSuite('resv-holdfn', { instances: [{ consume: true }], events: [event] });

  const holdSeats = (userId: string, seatIds: string[], on = event) => holdSeatsAs(h.db, userId, seatIds, on);

  async function outboxRow(id: string) {
    const { rows } = await sql<{ amount: number; reservationId: string }>`select
      (envelope->'data'->>'amount')::int as amount, envelope->'data'->>'reservationId' as reservation_id
      from outbox where id = ${id}`.execute(h.db);
    return rows[0];
  }

  it('refuses a second hold of the same seat and writes nothing for it', async () => {
    const first = await holdSeats(randomUUID(), [seat(0), seat(1)]);
    expect(first.created).toBe(true);
    expect(first.rows.map((r) => r.id).sort()).toEqual([seat(0), seat(1)].sort());

    const second = await holdSeats(randomUUID(), [seat(1), seat(2)]);
    expect(second.created).toBe(false);
    expect(second.rows[0]?.onSale).toBe(true);
    // Only the seat that was still available comes back: the caller names the other as taken.
    expect(second.rows.map((r) => r.id)).toEqual([seat(2)]);
    const written = await sql<{ reservations: number; outbox: number; held: number }>`select
      (select count(*)::int from reservations where id = ${second.reservationId}) as reservations,
      (select count(*)::int from outbox where id = ${second.envelopeId}) as outbox,
      (select count(*)::int from seats where id = ${seat(2)} and status <> 'available') as held`.execute(
      h.db,
    );
    expect(written.rows[0]).toEqual({ reservations: 0, outbox: 0, held: 0 });
  });

  it('writes the reservation.created outbox row with the amount, with the hold', async () => {
    const held = await holdSeats(randomUUID(), [seat(3)]);
    expect(held.created).toBe(true);
    // Seat 3 is a VIP seat (the first ten are) at 150,000.
    expect(await outboxRow(held.envelopeId)).toEqual({ amount: 150_000, reservationId: held.reservationId });
    const links = await sql<{ n: number }>`select count(*)::int as n from reservation_seats
      where reservation_id = ${held.reservationId} and seat_id = ${seat(3)} and active`.execute(h.db);
    expect(links.rows[0]?.n).toBe(1);
  });

  it('keeps one user within the limit when eight calls run at once', async () => {
    const userId = randomUUID();
    const seats = [10, 11, 12, 13, 14, 15, 16, 17].map(seat);
    const results = await Promise.all(seats.map((id) => holdSeats(userId, [id])));
    expect(results.filter((r) => r.created)).toHaveLength(4);
    const refused = results.filter((r) => !r.created);
    for (const r of refused) expect(await outboxRow(r.envelopeId)).toBeUndefined();
    const active = await sql<{ n: number }>`select count(*)::int as n from reservation_seats rs
      join reservations r on r.id = rs.reservation_id where r.user_id = ${userId} and rs.active`.execute(
      h.db,
    );
    expect(active.rows[0]?.n).toBe(4);
  });

  it("holds and sells seats in place: no new entry in any of the seats' indexes", async () => {
    // In one transaction, whose own counts PostgreSQL tells: an update that changes no indexed column and
    // finds room on its page is a heap-only tuple, and writes nothing in the indexes.
    const counts = await h.db.transaction().execute(async (trx) => {
      const held = await holdSeatsAs(trx, randomUUID(), [seat(18), seat(19)], event);
      expect(held.created).toBe(true);
      const sold = await reservationRepository(h.db).sellSeats(trx, held.reservationId);
      expect(sold.map((s) => s.status)).toEqual(['sold', 'sold']);
      const { rows } = await sql<{ updated: number; inPlace: number }>`select
        pg_stat_get_xact_tuples_updated('seats'::regclass)::int as updated,
        pg_stat_get_xact_tuples_hot_updated('seats'::regclass)::int as in_place`.execute(trx);
      return rows[0];
    });
    expect(counts).toEqual({ updated: 4, inPlace: 4 });
  });

  it('holds nothing once the sale has closed', async () => {
    // An event of its own: closing the shared one would refuse every hold of the tests after this one.
    const closed = onSaleEvent(2);
    await deliver(h.svc, published(closed));
    await sql`update events set sale_closes_at = now() - interval '1 second' where id = ${closed.eventId}`.execute(
      h.db,
    );
    const late = await holdSeats(randomUUID(), [closed.seats[0]!.id], closed);
    expect(late.created).toBe(false);
    expect(late.rows[0]?.onSale).toBe(false);
  });
});

describe('the hold_seats database function, call after call on one connection', () => {
  const event = onSaleEvent(20, { perUserLimit: 4 });
  const h = reservationSuite('resv-holdfn-plans', { events: [event] });

  it('plans its statements once for the connection, not again for every hold', async () => {
    // A connection plans a function's statement for the values of each of its first five calls, then
    // keeps one plan for any values only if that plan looks no costlier. A plan for any `seat = any(ids)`
    // is costed for ten ids, one for a hold's one or two seats looks cheaper: so every hold was planned
    // again, statement after statement (a fifth of PostgreSQL's time for a hold). auto_explain, sent to
    // this client as notices, shows each statement's plan: one made for a call's values names them.
    const client = new pg.Client({ connectionString: h.dbUrl });
    await client.connect();
    try {
      const plans: string[] = [];
      client.on('notice', (notice) => plans.push(notice.message ?? ''));
      await client.query(`load 'auto_explain'`);
      await client.query(`set auto_explain.log_min_duration = 0`);
      await client.query(`set auto_explain.log_nested_statements = on`);
      await client.query(`set auto_explain.log_level = notice`);
      let last = { userId: '', seatId: '' };
      for (let i = 0; i < 8; i++) {
        plans.length = 0;
        last = { userId: randomUUID(), seatId: event.seats[i]!.id };
        const call = holdSeatsCall(last.userId, [last.seatId], event, 2).query.compile(h.db);
        const { rows } = await client.query<HoldRow>(call.sql, [...call.parameters]);
        expect(rows[0]?.created).toBe(true);
      }
      // The eighth hold: its statements ran on the plans kept for the connection.
      expect(plans.filter((p) => p.includes('Index Cond')).length).toBeGreaterThan(5);
      const planned = plans.join('\n');
      expect(planned).not.toContain(last.userId);
      expect(planned).not.toContain(last.seatId);
    } finally {
      await client.end();
    }
  });
});

type Db = Kysely<DB>;

const RESERVATIONS = ['reservations', 'reservation_seats'];

/** The planner's statistics of `tables` taken now and kept: autovacuum off on them, then analyze. */
async function statisticsNow(db: Db, tables: string[]) {
  for (const table of tables)
    await sql`alter table ${sql.table(table)} set (autovacuum_enabled = false)`.execute(db);
  await sql`analyze ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}

/** Two lapsed reservations of earlier fans on every seat of `on`, then the statistics, autovacuum off. */
async function lapsedHistoryThenStatistics(db: Db, on: EventInput<'event.published'>) {
  const ids = on.seats.map((s) => s.id);
  await sql`with r as (
      insert into reservations (id, user_id, event_id, status, amount, expires_at)
      select gen_random_uuid(), gen_random_uuid(), ${on.eventId}, 'EXPIRED', 0, now()
      from unnest(${ids}::uuid[]), generate_series(1, 2)
      returning id
    )
    insert into reservation_seats (reservation_id, seat_id, label, price, active)
    select r.id, s.id, 'x', 0, false
    from (select id, row_number() over () as n from r) r
    join (select id, row_number() over () as n from unnest(${ids}::uuid[]) id) s on s.n = (r.n - 1) % ${ids.length} + 1`.execute(
    db,
  );
  await statisticsNow(db, RESERVATIONS);
}

/** The drop: a thousand other fans hold one of the first thousand seats of `on` each. */
async function aThousandHolds(db: Db, on: EventInput<'event.published'>) {
  const ids = on.seats.map((s) => s.id);
  await sql`with r as (
      insert into reservations (id, user_id, event_id, status, amount, expires_at)
      select gen_random_uuid(), gen_random_uuid(), ${on.eventId}, 'PENDING', 0, now() + interval '10 minutes'
      from generate_series(1, 1000) returning id
    ), s as (
      update seats set status = 'held', reservation_id = r.id
      from (select id, row_number() over () as n from r) r
      where seats.id = (${ids}::uuid[])[r.n] returning seats.id, seats.reservation_id
    )
    insert into reservation_seats (reservation_id, seat_id, label, price) select reservation_id, id, 'x', 0 from s`.execute(
    db,
  );
}

/** Rows of `tables` one hold of `seatId` by a new fan read, by any path (counted for its transaction). */
function rowsReadByOneHold(
  db: Db,
  tables: string[],
  seatId: string,
  on: EventInput<'event.published'>,
  unpaidLimit = 0,
) {
  return db.transaction().execute(async (trx) => {
    const before = await rowsRead(trx, tables);
    expect((await holdSeatsAs(trx, randomUUID(), [seatId], on, unpaidLimit)).created).toBe(true);
    return (await rowsRead(trx, tables)) - before;
  });
}

describe('the hold_seats database function, as a drop fills the tables', () => {
  // A suite of its own: no other test's holds may be in the statistics it takes.
  const h = reservationSuite('resv-holdfn-plan', { instances: [{ consume: true }] });

  it('reads no more rows for a hold while thousands of other fans hold seats than before the sale', async () => {
    // The per-user count must not depend on the planner's statistics. They are taken before a drop, when
    // next to no seat link is active; during it thousands become active within a minute, long before
    // autovacuum analyzes again. A plan that walked the index of active links (believed nearly empty)
    // read every seat held by anyone, for every hold: quadratic in the drop's size.
    const big = onSaleEvent(1_100, { perUserLimit: 4 });
    await deliver(h.svc, published(big));
    // History: two lapsed reservations of earlier fans on every seat, then the statistics.
    await lapsedHistoryThenStatistics(h.db, big);
    const quiet = await rowsReadByOneHold(h.db, RESERVATIONS, big.seats[1_099]!.id, big);
    await aThousandHolds(h.db, big);
    const busy = await rowsReadByOneHold(h.db, RESERVATIONS, big.seats[1_098]!.id, big);
    expect(quiet).toBeLessThan(20);
    expect(busy).toBeLessThan(20);
  });
});

describe('the hold_seats database function, in the first drop of a new event', () => {
  // A suite of its own: the statistics it takes must know earlier events only.
  const h = reservationSuite('resv-holdfn-new', { instances: [{ consume: true }] });

  it("reads the fan's own reservations for a hold, not every hold of the drop the statistics never saw", async () => {
    // Statistics are taken before an event goes on sale, so they know nothing of its reservations: the
    // planner believes it has none. The seat-spinning check and the per-user count ask for the fan's
    // reservations of the event; reached through the event's index, they read every reservation of the
    // drop for every hold.
    const earlier = onSaleEvent(1_000, { perUserLimit: 4 });
    const fresh = onSaleEvent(1_100, { perUserLimit: 4 });
    await deliver(h.svc, published(earlier));
    await deliver(h.svc, published(fresh));
    // History on the earlier event only, then the statistics.
    await lapsedHistoryThenStatistics(h.db, earlier);
    // With the seat-spinning check on, as by default.
    const quiet = await rowsReadByOneHold(h.db, RESERVATIONS, fresh.seats[1_099]!.id, fresh, 2);
    await aThousandHolds(h.db, fresh);
    const busy = await rowsReadByOneHold(h.db, RESERVATIONS, fresh.seats[1_098]!.id, fresh, 2);
    expect(quiet).toBeLessThan(20);
    expect(busy).toBeLessThan(20);
  });
});

describe('the hold_seats database function, for an event published after the statistics', () => {
  // A suite of its own: the statistics it takes must not know the event's seats.
  const h = reservationSuite('resv-holdfn-seats', { instances: [{ consume: true }] });

  it('reads the seats asked for by their ids, not every seat of an event the statistics never saw', async () => {
    // A platform that has sold before: its seats table is large, so an event's seats, published after the
    // last analyze, are too few to bring autovacuum to analyze again before the drop. The planner then
    // believes the event has no seats, and reaching the asked seats through the event's index reads every
    // seat of the event, for every hold.
    for (let i = 0; i < 4; i++) await deliver(h.svc, published(onSaleEvent(1_000)));
    await statisticsNow(h.db, ['seats']);
    const fresh = onSaleEvent(1_200, { perUserLimit: 4 });
    await deliver(h.svc, published(fresh));
    expect(await rowsReadByOneHold(h.db, ['seats'], fresh.seats[7]!.id, fresh, 2)).toBeLessThan(10);
  });
});

describe('the hold_seats database function, in the first drop of a new platform', () => {
  // A suite of its own: its reservation tables must be empty when their statistics are taken.
  const h = reservationSuite('resv-holdfn-empty', { instances: [{ consume: true }] });

  it('reads no more rows for a hold after a thousand others than the first holds did, on one connection', async () => {
    // A new platform's tables are analyzed empty. A connection plans each statement of the function for
    // good after a few calls, with the tables as small as they were then: a plan that scans a table whole
    // costs nothing while it is empty, and then reads every reservation of the drop, for every hold on that
    // connection, until autovacuum analyzes the table again.
    const fresh = onSaleEvent(1_100, { perUserLimit: 4 });
    await deliver(h.svc, published(fresh));
    await statisticsNow(h.db, RESERVATIONS);
    const read = await h.db.transaction().execute(async (trx) => {
      const holdOne = async (i: number) =>
        expect((await holdSeatsAs(trx, randomUUID(), [fresh.seats[i]!.id], fresh, 2)).created).toBe(true);
      for (let i = 1_000; i < 1_010; i++) await holdOne(i);
      await aThousandHolds(trx, fresh);
      const before = await rowsRead(trx, RESERVATIONS);
      await holdOne(1_099);
      return (await rowsRead(trx, RESERVATIONS)) - before;
    });
    expect(read).toBeLessThan(20);
  });
});

describe('the sale of held seats, in the first drop of a new platform', () => {
  // A suite of its own: its reservation tables must be empty when their statistics are taken.
  const h = reservationSuite('resv-sell-empty', { instances: [{ consume: true }] });

  it("reads the reservation's own seat links for a sale, not every link of the drop", async () => {
    // Seats are found through the reservation's links (seats have no index on their reservation, so that a
    // hold changes them in place). Links analyzed while there were none must not make a sale read them all,
    // the sale being planned, like any statement, with the tables as they are then.
    const fresh = onSaleEvent(1_100, { perUserLimit: 4 });
    await deliver(h.svc, published(fresh));
    await statisticsNow(h.db, [...RESERVATIONS, 'seats']);
    const { read, sold } = await h.db.transaction().execute(async (trx) => {
      const held = await holdSeatsAs(
        trx,
        randomUUID(),
        [fresh.seats[1_099]!.id, fresh.seats[1_098]!.id],
        fresh,
      );
      expect(held.created).toBe(true);
      await aThousandHolds(trx, fresh);
      const before = await rowsRead(trx, [...RESERVATIONS, 'seats']);
      const sold = await reservationRepository(h.db).sellSeats(trx, held.reservationId);
      return { read: (await rowsRead(trx, [...RESERVATIONS, 'seats'])) - before, sold };
    });
    expect(sold.map((s) => s.id).sort()).toEqual([fresh.seats[1_099]!.id, fresh.seats[1_098]!.id].sort());
    expect(read).toBeLessThan(10);
  });
});
