import { type Kysely, publishInTransaction } from '@tiketi/kit';
import type { DB, StoredVariant } from './schema.ts';

export type NewMedia = {
  id: string;
  sourceFormat: string;
  width: number;
  height: number;
  alt: string;
  variants: StoredVariant[];
  uploadedBy: string | null;
};

export function mediaRepository(db: Kysely<DB>) {
  return {
    find(id: string) {
      return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Answers false when the id exists already (the demo seed relies on it). */
    async insert(media: NewMedia): Promise<boolean> {
      const row = await db
        .insertInto('media')
        .values({ ...media, variants: JSON.stringify(media.variants) })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The row and its `media.deleted` announcement commit together, or neither does. */
    async delete(id: string) {
      return db.transaction().execute(async (trx) => {
        const row = await trx.deleteFrom('media').where('id', '=', id).returningAll().executeTakeFirst();
        if (row) await publishInTransaction(trx, 'media.deleted', { mediaId: id });
        return row;
      });
    },
  };
}

export type MediaRepository = ReturnType<typeof mediaRepository>;
