import type { ImageRef } from '@tiketi/contracts';
import { escapeLike, type Kysely, type Page, paginate, sql, type Transaction } from '@tiketi/kit';
import type { DB } from './schema.ts';

export type ArtistInput = { name: string; genre: string | null; bio: string };

export function artistRepository(db: Kysely<DB>) {
  return {
    find(id: string) {
      return db.selectFrom('artists').selectAll().where('id', '=', id).executeTakeFirst();
    },

    list(filter: { q?: string } & Page) {
      let query = db.selectFrom('artists');
      if (filter.q) query = query.where('name', 'ilike', `%${escapeLike(filter.q)}%`);
      return paginate(query, (q) => q.selectAll().orderBy('name').orderBy('id'), filter);
    },

    create(id: string, input: ArtistInput) {
      return db
        .insertInto('artists')
        .values({ id, ...input })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    update(id: string, input: Partial<ArtistInput>) {
      return db
        .updateTable('artists')
        .set({ ...input, updatedAt: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    setImage(id: string, image: ImageRef | null) {
      return db
        .updateTable('artists')
        .set({ image: image && JSON.stringify(image), updatedAt: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /** Drops the image from every artist showing it; answers the artists changed. */
    async detachImage(trx: Transaction<DB>, mediaId: string): Promise<string[]> {
      const rows = await trx
        .updateTable('artists')
        .set({ image: null, updatedAt: new Date() })
        .where(sql<string>`image->>'mediaId'`, '=', mediaId)
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /** Deletes an artist without events; answers false when events still refer to it. */
    async delete(id: string): Promise<'deleted' | 'missing' | 'in_use'> {
      return db.transaction().execute(async (trx) => {
        const used = await trx
          .selectFrom('events')
          .select('id')
          .where('artistId', '=', id)
          .limit(1)
          .execute();
        if (used.length) return 'in_use';
        const res = await trx.deleteFrom('artists').where('id', '=', id).executeTakeFirst();
        return res.numDeletedRows > 0n ? 'deleted' : 'missing';
      });
    },
  };
}

export type ArtistRepository = ReturnType<typeof artistRepository>;
