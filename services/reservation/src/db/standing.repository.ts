import { randomInt } from 'node:crypto';
import { type Kysely, sql, type Transaction } from '@tiketi/kit';
import type { RawBuilder } from 'kysely';
import type { DB, StandingArea } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type EntryNumber = { entrySection: string; entryNumber: number };

/**
 * Standing areas (스탠딩): places are seats of the event, held by count and guarded as any seat; what is
 * their own is picking free places and giving entry numbers when an order is confirmed.
 */
export function standingRepository(db: Kysely<DB>) {
  async function areas(eventId: string, executor: Executor = db): Promise<Map<string, StandingArea>> {
    const row = await executor
      .selectFrom('events')
      .select('standingAreas')
      .where('id', '=', eventId)
      .executeTakeFirst();
    return new Map((row?.standingAreas ?? []).map((area) => [area.section, area]));
  }

  /** The section of each of these seats of the event (read by their ids, then kept when the event's). */
  async function sectionsOf(eventId: string, seatIds: string[], executor: Executor = db) {
    if (seatIds.length === 0) return new Map<string, string>();
    const rows = await executor
      .selectFrom('seats')
      .select(['id', 'eventId', 'section'])
      .where('id', 'in', seatIds)
      .execute();
    return new Map(rows.filter((r) => r.eventId === eventId).map((r) => [r.id, r.section]));
  }

  return {
    areas,
    sectionsOf,

    /**
     * Up to `quantity` free places of an area of `capacity` places, other than `excluded`: the next free ones
     * in place order from a random place (fans holding at the same moment seldom pick the same ones), read
     * through the event's index, so a pick reads about as many places as it takes, however large the area.
     * Places `userId` let go unpaid within `windowMs` come after the others, the more often let go the later:
     * a fan whose hold lapsed is offered other places of the area before the ones the hold statement would
     * refuse them for letting go too often. Not a hold: the hold statement's conditional update and its
     * unpaid-holds rule are still the guard.
     */
    async pick(
      eventId: string,
      section: string,
      quantity: number,
      options: { userId: string; windowMs: number; excluded: string[]; capacity: number },
    ): Promise<string[]> {
      const from = randomInt(1, Math.max(1, options.capacity) + 1);
      // From the random place to the area's end, then from its start (each branch reads at most `quantity`
      // free places through the index), then the places this fan let go, fewest times first.
      const free = (where: RawBuilder<unknown>, lap: number) => sql`(
        select id, ${lap}::int as lap, 0 as times, number from seats
        where event_id = ${eventId} and section = ${section} and status = 'available' and ${where}
          and id <> all(${options.excluded}::uuid[]) and id not in (select seat_id from let_go)
        order by number limit ${quantity})`;
      const { rows } = await sql<{ id: string }>`
        with let_go as materialized (
          select seat_id, cardinality(ended) as times
          from user_let_go(${options.userId}::uuid, ${eventId}::uuid,
            make_interval(secs => ${options.windowMs / 1000}::float8))
        )
        select id from (
          ${free(sql`number >= ${from}`, 0)}
          union all
          ${free(sql`number < ${from}`, 1)}
          union all
          select s.id, 2, l.times, s.number from let_go l join seats s on s.id = l.seat_id
          where s.status = 'available' and (s.event_id = ${eventId} and s.section = ${section}) is true
            and s.id <> all(${options.excluded}::uuid[])
        ) p order by lap, times, number limit ${quantity}`.execute(db);
      return rows.map((r) => r.id);
    },

    /**
     * Entry numbers for the tickets of standing places, in the confirming transaction, one area at a time
     * (an advisory lock per area): the next numbers in order of confirmation (`arrival`), or numbers drawn at
     * random among those no live ticket has (`draw`), which makes every order of numbers equally likely
     * whoever paid first.
     */
    async entryNumbers(
      trx: Transaction<DB>,
      eventId: string,
      seats: { seatId: string; label: string }[],
    ): Promise<Map<string, EntryNumber>> {
      const numbered = new Map<string, EntryNumber>();
      const known = await areas(eventId, trx);
      if (known.size === 0) return numbered;
      const sections = await sectionsOf(
        eventId,
        seats.map((s) => s.seatId),
        trx,
      );
      const bySection = new Map<string, string[]>();
      for (const seat of [...seats].sort((a, b) => a.label.localeCompare(b.label))) {
        const section = sections.get(seat.seatId);
        if (section === undefined || !known.has(section)) continue;
        bySection.set(section, [...(bySection.get(section) ?? []), seat.seatId]);
      }
      for (const section of [...bySection.keys()].sort()) {
        const area = known.get(section) as StandingArea;
        const seatIds = bySection.get(section) as string[];
        await sql`select pg_advisory_xact_lock(hashtextextended(${`entry:${eventId}:${section}`}, 0))`.execute(
          trx,
        );
        const { rows } =
          area.entryOrder === 'arrival'
            ? await sql<{ n: number }>`
                select g + (
                  select coalesce(max(entry_number), 0) from tickets
                  where event_id = ${eventId} and entry_section = ${section}) as n
                from generate_series(1, ${seatIds.length}::int) g order by g`.execute(trx)
            : await sql<{ n: number }>`
                select n from generate_series(1, ${area.capacity}::int) n
                where not exists (
                  select 1 from tickets t
                  where t.event_id = ${eventId} and t.entry_section = ${section}
                    and t.entry_number = n and t.status <> 'VOIDED')
                order by random() limit ${seatIds.length}`.execute(trx);
        seatIds.forEach((seatId, i) => {
          const row = rows[i];
          if (row) numbered.set(seatId, { entrySection: section, entryNumber: row.n });
        });
      }
      return numbered;
    },
  };
}

export type StandingRepository = ReturnType<typeof standingRepository>;
