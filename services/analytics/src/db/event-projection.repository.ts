import { type Kysely, sql, type Transaction } from '@tiketi/kit';
import type { DB, EventProjectionTable } from './schema.ts';

export type ProjectedEvent = Omit<EventProjectionTable, 'updatedAt'>;

export function eventProjectionRepository(db: Kysely<DB>) {
  return {
    async find(eventId: string): Promise<ProjectedEvent | undefined> {
      return db
        .selectFrom('eventProjection')
        .select(['eventId', 'artistId', 'title', 'status', 'saleOpensAt', 'saleClosesAt', 'sourceTime'])
        .where('eventId', '=', eventId)
        .executeTakeFirst();
    },

    /** Whether an event of this artist has been heard of. */
    async hasArtist(artistId: string): Promise<boolean> {
      const row = await db
        .selectFrom('eventProjection')
        .select('eventId')
        .where('artistId', '=', artistId)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async findMany(eventIds: string[]): Promise<ProjectedEvent[]> {
      if (eventIds.length === 0) return [];
      return db
        .selectFrom('eventProjection')
        .select(['eventId', 'artistId', 'title', 'status', 'saleOpensAt', 'saleClosesAt', 'sourceTime'])
        .where('eventId', 'in', eventIds)
        .execute();
    },

    /**
     * Writes what an event message says. Messages may arrive out of order: status and sale window are
     * taken only from a message newer than the one they came from; the artist and title (which only
     * `event.published` carries) fill in whenever they are missing.
     */
    async upsert(row: ProjectedEvent, trx: Transaction<DB> | Kysely<DB> = db): Promise<void> {
      const newer = sql<boolean>`event_projection.source_time <= excluded.source_time`;
      const latest = <T>(column: string) =>
        sql<T>`case when ${newer} then coalesce(excluded.${sql.ref(column)}, event_projection.${sql.ref(column)})
          else event_projection.${sql.ref(column)} end`;
      await trx
        .insertInto('eventProjection')
        .values(row)
        .onConflict((oc) =>
          oc.column('eventId').doUpdateSet((eb) => ({
            artistId: eb.fn.coalesce('eventProjection.artistId', 'excluded.artistId'),
            title: eb.fn.coalesce('excluded.title', 'eventProjection.title'),
            status: latest<string | null>('status'),
            saleOpensAt: latest<Date | null>('sale_opens_at'),
            saleClosesAt: latest<Date | null>('sale_closes_at'),
            sourceTime: sql<Date>`greatest(event_projection.source_time, excluded.source_time)`,
            updatedAt: new Date(),
          })),
        )
        .execute();
    },

    /**
     * Fills what a fetch from the event service learnt into gaps only: messages stay the authority on
     * everything they carry.
     */
    async fill(row: ProjectedEvent): Promise<void> {
      await db
        .insertInto('eventProjection')
        .values(row)
        .onConflict((oc) =>
          oc.column('eventId').doUpdateSet((eb) => ({
            artistId: eb.fn.coalesce('eventProjection.artistId', 'excluded.artistId'),
            title: eb.fn.coalesce('eventProjection.title', 'excluded.title'),
            status: eb.fn.coalesce('eventProjection.status', 'excluded.status'),
            saleOpensAt: eb.fn.coalesce('eventProjection.saleOpensAt', 'excluded.saleOpensAt'),
            saleClosesAt: eb.fn.coalesce('eventProjection.saleClosesAt', 'excluded.saleClosesAt'),
            updatedAt: new Date(),
          })),
        )
        .execute();
    },

    /** Events on sale at `now`: published or on sale, inside their sale window. */
    async onSale(now: Date, limit: number): Promise<ProjectedEvent[]> {
      return db
        .selectFrom('eventProjection')
        .select(['eventId', 'artistId', 'title', 'status', 'saleOpensAt', 'saleClosesAt', 'sourceTime'])
        .where('status', 'in', ['published', 'on_sale'])
        .where('saleOpensAt', '<=', now)
        .where('saleClosesAt', '>', now)
        .orderBy('saleOpensAt', 'desc')
        .limit(limit)
        .execute();
    },
  };
}

export type EventProjectionRepository = ReturnType<typeof eventProjectionRepository>;
