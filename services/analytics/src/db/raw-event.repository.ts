import type { Kysely, Transaction } from '@tiketi/kit';
import type { DB, RawEventsTable } from './schema.ts';

export type RawEvent = Omit<RawEventsTable, 'receivedAt' | 'properties'> & {
  properties: Record<string, unknown>;
};

export function rawEventRepository(db: Kysely<DB>) {
  return {
    /** One multi-row insert; an id seen before (a client retry) is skipped. */
    async insertMany(rows: RawEvent[], trx: Transaction<DB> | Kysely<DB> = db): Promise<void> {
      if (rows.length === 0) return;
      await trx
        .insertInto('rawEvents')
        .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties) })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
  };
}

export type RawEventRepository = ReturnType<typeof rawEventRepository>;
