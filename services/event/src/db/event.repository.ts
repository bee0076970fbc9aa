import type { ImageRef } from '@tiketi/contracts';
import { escapeLike, type Kysely, paginate, sql, type Transaction } from '@tiketi/kit';
import type { DB, EventStatus } from './schema.ts';
import { standingTerms } from './venue.repository.ts';

export type EventSort = 'date' | '-date' | 'title' | '-title';

export type EventListFilter = {
  artistId?: string;
  from?: Date;
  to?: Date;
  status?: EventStatus;
  q?: string;
  /** Drafts are listed only for admins. */
  includeDrafts: boolean;
  sort: EventSort;
  limit: number;
  offset: number;
  now: Date;
};

export type EventRow = {
  artistId: string;
  venueId: string;
  title: string;
  description: string;
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
  perUserLimit: number;
  waitingRoomEnabled: boolean;
  admissionRatePerMinute: number;
  maxActiveShoppers: number;
  challengeMaxNumber: number | null;
  waitlistOfferMinutes: number;
};

export type TierRow = { id: string; key: string; name: string; price: number };

/** The status readers see (see `effectiveStatus`), computed in SQL so that lists filter on it. */
function statusAt(now: Date) {
  return sql<EventStatus>`case
    when e.status in ('draft', 'cancelled', 'ended') then e.status
    when e.starts_at <= ${now} then 'ended'
    when e.status = 'sold_out' or e.sold_out then 'sold_out'
    when e.sale_opens_at <= ${now} and ${now} < e.sale_closes_at then 'on_sale'
    else 'published' end`;
}

export function eventRepository(db: Kysely<DB>) {
  return {
    list(filter: EventListFilter) {
      const status = statusAt(filter.now);
      let query = db
        .selectFrom('events as e')
        .innerJoin('artists as a', 'a.id', 'e.artistId')
        .innerJoin('venues as v', 'v.id', 'e.venueId');
      if (!filter.includeDrafts) query = query.where('e.status', '!=', 'draft');
      if (filter.artistId) query = query.where('e.artistId', '=', filter.artistId);
      if (filter.from) query = query.where('e.startsAt', '>=', filter.from);
      if (filter.to) query = query.where('e.startsAt', '<', filter.to);
      if (filter.status) query = query.where(status, '=', filter.status);
      if (filter.q) {
        const pattern = `%${escapeLike(filter.q)}%`;
        query = query.where((eb) =>
          eb.or([eb('e.title', 'ilike', pattern), eb('a.name', 'ilike', pattern)]),
        ) as typeof query;
      }
      const descending = filter.sort.startsWith('-');
      const direction = descending ? 'desc' : 'asc';
      const byTitle = filter.sort.endsWith('title');
      return paginate(
        query,
        (q) =>
          (byTitle
            ? q.orderBy(sql`lower(e.title)`, direction).orderBy('e.startsAt', direction)
            : q.orderBy('e.startsAt', direction)
          )
            .orderBy('e.id', direction)
            .select((eb) => [
              'e.id',
              'e.title',
              status.as('status'),
              'e.startsAt',
              'e.saleOpensAt',
              'e.saleClosesAt',
              'e.waitingRoomEnabled',
              'e.poster',
              'a.id as artistId',
              'a.name as artistName',
              'v.id as venueId',
              'v.name as venueName',
              'v.city as venueCity',
              eb
                .selectFrom('priceTiers as t')
                .whereRef('t.eventId', '=', 'e.id')
                .select((t) => t.fn.min<number>('t.price').as('p'))
                .as('minPrice'),
              eb
                .selectFrom('priceTiers as t')
                .whereRef('t.eventId', '=', 'e.id')
                .select((t) => t.fn.max<number>('t.price').as('p'))
                .as('maxPrice'),
            ]),
        filter,
      );
    },

    find(id: string, executor: Kysely<DB> | Transaction<DB> = db) {
      return executor.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Locks the event row for a state change within `trx`. */
    findForUpdate(trx: Transaction<DB>, id: string) {
      return trx.selectFrom('events').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    tiers(eventId: string, executor: Kysely<DB> | Transaction<DB> = db) {
      return executor
        .selectFrom('priceTiers')
        .select(['id', 'key', 'name', 'price'])
        .where('eventId', '=', eventId)
        .orderBy('position')
        .execute();
    },

    /** Seats per tier key of the event's venue. */
    async seatCountsByTier(venueId: string): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('seats')
        .select((eb) => ['tierKey', eb.fn.countAll<number>().as('n')])
        .where('venueId', '=', venueId)
        .groupBy('tierKey')
        .execute();
      return new Map(rows.map((r) => [r.tierKey, r.n]));
    },

    async insert(trx: Transaction<DB>, id: string, row: EventRow, tiers: TierRow[]) {
      await trx
        .insertInto('events')
        .values({ id, ...row, status: 'draft' })
        .execute();
      await replaceTiers(trx, id, tiers);
    },

    async update(trx: Transaction<DB>, id: string, row: Partial<EventRow>, tiers?: TierRow[]) {
      await trx
        .updateTable('events')
        .set({ ...row, updatedAt: new Date() })
        .where('id', '=', id)
        .execute();
      if (tiers) await replaceTiers(trx, id, tiers);
    },

    async setStatus(
      trx: Transaction<DB>,
      id: string,
      change: { status: EventStatus; publishedAt?: Date; cancelledAt?: Date; cancelReason?: string },
    ) {
      await trx
        .updateTable('events')
        .set({ ...change, updatedAt: new Date() })
        .where('id', '=', id)
        .execute();
    },

    setPoster(id: string, poster: ImageRef | null) {
      return db
        .updateTable('events')
        .set({ poster: poster && JSON.stringify(poster), updatedAt: new Date() })
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
    },

    /** Drops the poster from every event showing this image; answers the events changed. */
    /**
     * Takes the reservation service's word on whether the event has seats left to hold, unless a later
     * word was taken already; answers whether anything changed.
     */
    async recordSoldOut(trx: Transaction<DB>, eventId: string, soldOut: boolean, at: Date): Promise<boolean> {
      const result = await trx
        .updateTable('events')
        .set({ soldOut, soldOutAt: at })
        .where('id', '=', eventId)
        .where((eb) => eb.or([eb('soldOutAt', 'is', null), eb('soldOutAt', '<', at)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async detachPoster(trx: Transaction<DB>, mediaId: string): Promise<string[]> {
      const rows = await trx
        .updateTable('events')
        .set({ poster: null, updatedAt: new Date() })
        .where(sql<string>`poster->>'mediaId'`, '=', mediaId)
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /** Every seat of the venue with the event's tier for it, as the reservation service needs them. */
    inventory(trx: Transaction<DB>, eventId: string, venueId: string) {
      return trx
        .selectFrom('seats')
        .innerJoin('venueSections as s', 's.id', 'seats.sectionId')
        .innerJoin('priceTiers as t', (join) =>
          join.onRef('t.key', '=', 'seats.tierKey').on('t.eventId', '=', eventId),
        )
        .select([
          'seats.id',
          'seats.label',
          's.name as section',
          'seats.rowLabel as row',
          'seats.number',
          'seats.x',
          'seats.y',
          't.id as tierId',
        ])
        .where('seats.venueId', '=', venueId)
        .orderBy('s.position')
        .orderBy('seats.rowPosition')
        .orderBy('seats.number')
        .execute();
    },

    /** The venue's standing areas, announced with the inventory so places are sold by count. */
    async standingAreas(trx: Transaction<DB>, venueId: string) {
      const rows = await trx
        .selectFrom('venueSections')
        .select(['name', 'standingCapacity', 'entryOrder'])
        .where('venueId', '=', venueId)
        .where('standingCapacity', 'is not', null)
        .orderBy('position')
        .execute();
      return rows.flatMap(({ name, standingCapacity, entryOrder }) => {
        const terms = standingTerms(standingCapacity, entryOrder);
        return terms ? [{ section: name, ...terms }] : [];
      });
    },
  };
}

async function replaceTiers(trx: Transaction<DB>, eventId: string, tiers: TierRow[]) {
  await trx.deleteFrom('priceTiers').where('eventId', '=', eventId).execute();
  await trx
    .insertInto('priceTiers')
    .values(tiers.map((t, position) => ({ ...t, eventId, position })))
    .execute();
}

export type EventRepository = ReturnType<typeof eventRepository>;
