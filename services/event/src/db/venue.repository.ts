import type { EntryOrder, StandingTerms } from '@tiketi/contracts';
import { escapeLike, type Kysely, paginate, sql, type Transaction } from '@tiketi/kit';
import type { PlannedSeat, PlannedSection } from '../domain/layout.ts';
import type { DB } from './schema.ts';

export type VenueInput = { name: string; city: string; address: string };

export type VenueListFilter = { q?: string; city?: string; limit: number; offset: number };

const INSERT_CHUNK = 1000;

type Layout = { sections: PlannedSection[]; seats: PlannedSeat[] };

/** A venue's sections, then its seats in chunks (one statement would pass PostgreSQL's parameter limit). */
async function insertLayout(trx: Transaction<DB>, venueId: string, layout: Layout) {
  await trx
    .insertInto('venueSections')
    .values(layout.sections.map((s) => ({ ...s, venueId })))
    .execute();
  for (let i = 0; i < layout.seats.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('seats')
      .values(layout.seats.slice(i, i + INSERT_CHUNK).map((s) => ({ ...s, venueId })))
      .execute();
  }
}

/**
 * Locks a venue's row and counts its events: why it may not change, or nothing when no event uses it. An
 * event being created for it takes a key-share lock on that row through its foreign key, so either its
 * insert committed before (and is counted here) or it waits for this transaction.
 */
async function lockUnused(
  trx: Transaction<DB>,
  id: string,
): Promise<'missing' | { inUse: number } | undefined> {
  const venue = await trx
    .selectFrom('venues')
    .select('id')
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!venue) return 'missing';
  const used = await trx
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('venueId', '=', id)
    .executeTakeFirstOrThrow();
  return Number(used.n) > 0 ? { inUse: Number(used.n) } : undefined;
}

export function venueRepository(db: Kysely<DB>) {
  return {
    find(id: string) {
      return db.selectFrom('venues').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** `q` matches name, city or address; `city` the whole city name; both ignore case. */
    list(filter: VenueListFilter) {
      let query = db.selectFrom('venues');
      if (filter.q) {
        const pattern = `%${escapeLike(filter.q)}%`;
        query = query.where((eb) =>
          eb.or([
            eb('name', 'ilike', pattern),
            eb('city', 'ilike', pattern),
            eb('address', 'ilike', pattern),
          ]),
        );
      }
      if (filter.city) query = query.where('city', 'ilike', escapeLike(filter.city));
      return paginate(
        query,
        (q) =>
          q
            .select(['id', 'name', 'city', 'address', 'seatCount', 'createdAt', 'updatedAt'])
            .orderBy('name')
            .orderBy('id'),
        filter,
      );
    },

    /** Sections with their row and seat counts, in layout order. */
    async sectionSummaries(venueId: string) {
      const rows = await db
        .selectFrom('venueSections as s')
        .leftJoin('seats', 'seats.sectionId', 's.id')
        .select((eb) => [
          's.id',
          's.name',
          's.standingCapacity',
          's.entryOrder',
          eb.fn.count<number>('seats.id').as('seatCount'),
          eb.fn.count<number>('seats.rowLabel').distinct().as('rowCount'),
          sql<string[]>`coalesce(array_agg(distinct seats.tier_key order by seats.tier_key)
            filter (where seats.tier_key is not null), '{}')`.as('tierKeys'),
        ])
        .where('s.venueId', '=', venueId)
        .groupBy(['s.id', 's.name', 's.position'])
        .orderBy('s.position')
        .execute();
      return rows.map(({ standingCapacity, entryOrder, ...section }) => ({
        ...section,
        standing: standingTerms(standingCapacity, entryOrder),
      }));
    },

    async tierKeys(venueId: string, executor: Kysely<DB> | Transaction<DB> = db): Promise<string[]> {
      const rows = await executor
        .selectFrom('seats')
        .select('tierKey')
        .distinct()
        .where('venueId', '=', venueId)
        .orderBy('tierKey')
        .execute();
      return rows.map((r) => r.tierKey);
    },

    seats(venueId: string) {
      return db
        .selectFrom('seats')
        .innerJoin('venueSections as s', 's.id', 'seats.sectionId')
        .select([
          'seats.id',
          'seats.sectionId',
          's.name as sectionName',
          's.standingCapacity',
          's.entryOrder',
          'seats.rowLabel',
          'seats.number',
          'seats.label',
          'seats.x',
          'seats.y',
          'seats.tierKey',
        ])
        .where('seats.venueId', '=', venueId)
        .orderBy('s.position')
        .orderBy('seats.rowPosition')
        .orderBy('seats.number')
        .execute();
    },

    /** The venue and its whole layout in one transaction: a refused layout leaves no row behind. */
    async create(
      id: string,
      input: VenueInput,
      layout: { sections: PlannedSection[]; seats: PlannedSeat[] },
      options: { ifMissing?: boolean } = {},
    ): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        let insert = trx.insertInto('venues').values({ id, ...input, seatCount: layout.seats.length });
        if (options.ifMissing) insert = insert.onConflict((oc) => oc.column('id').doNothing());
        const created = await insert.returning('id').executeTakeFirst();
        if (!created) return false;
        await insertLayout(trx, id, layout);
        return true;
      });
    },

    async eventCount(venueId: string): Promise<number> {
      const row = await db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('venueId', '=', venueId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Swaps the whole seat layout of a venue no event uses (`lockUnused`), in one transaction. */
    replaceLayout(
      id: string,
      layout: { sections: PlannedSection[]; seats: PlannedSeat[] },
    ): Promise<'missing' | { inUse: number } | 'replaced'> {
      return db.transaction().execute(async (trx) => {
        const refused = await lockUnused(trx, id);
        if (refused) return refused;
        // Seats go with their sections (on delete cascade).
        await trx.deleteFrom('venueSections').where('venueId', '=', id).execute();
        await insertLayout(trx, id, layout);
        await trx
          .updateTable('venues')
          .set({ seatCount: layout.seats.length, updatedAt: new Date() })
          .where('id', '=', id)
          .execute();
        return 'replaced';
      });
    },

    /** Deletes a venue no event uses (locked as in `replaceLayout`); its sections and seats go with it. */
    remove(id: string): Promise<'missing' | { inUse: number } | 'deleted'> {
      return db.transaction().execute(async (trx) => {
        const refused = await lockUnused(trx, id);
        if (refused) return refused;
        await trx.deleteFrom('venues').where('id', '=', id).execute();
        return 'deleted';
      });
    },

    update(id: string, input: Partial<VenueInput>) {
      return db
        .updateTable('venues')
        .set({ ...input, updatedAt: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type VenueRepository = ReturnType<typeof venueRepository>;

/** A section's standing terms from its two columns: null for a seated section. */
export function standingTerms(capacity: number | null, entryOrder: EntryOrder | null): StandingTerms | null {
  return capacity !== null && entryOrder !== null ? { capacity, entryOrder } : null;
}
