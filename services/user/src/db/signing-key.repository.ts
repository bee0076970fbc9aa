import { type Kysely, sql } from '@tiketi/kit';
import type { DB } from './schema.ts';

const GENERATE_LOCK = 4_001_001; // serialises first-start key generation across instances

export type StoredKey = {
  kid: string;
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
};

export function signingKeyRepository(db: Kysely<DB>) {
  return {
    /** Keys not retired, newest first. */
    async active(): Promise<StoredKey[]> {
      return db
        .selectFrom('signingKeys')
        .select(['kid', 'privateJwk', 'publicJwk'])
        .where('retiredAt', 'is', null)
        .orderBy('createdAt', 'desc')
        .orderBy('kid', 'desc')
        .execute();
    },

    /**
     * Returns the active keys, creating one with `generate` first when there is none. Instances starting
     * together wait on one advisory lock, so exactly one key is made.
     */
    async ensure(generate: () => Promise<StoredKey>): Promise<StoredKey[]> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${GENERATE_LOCK})`.execute(trx);
        const found = await trx
          .selectFrom('signingKeys')
          .select(['kid', 'privateJwk', 'publicJwk'])
          .where('retiredAt', 'is', null)
          .orderBy('createdAt', 'desc')
          .orderBy('kid', 'desc')
          .execute();
        if (found.length) return found;
        const key = await generate();
        await trx
          .insertInto('signingKeys')
          .values({
            kid: key.kid,
            privateJwk: JSON.stringify(key.privateJwk),
            publicJwk: JSON.stringify(key.publicJwk),
          })
          .execute();
        return [key];
      });
    },

    async insert(key: StoredKey): Promise<void> {
      await db
        .insertInto('signingKeys')
        .values({
          kid: key.kid,
          privateJwk: JSON.stringify(key.privateJwk),
          publicJwk: JSON.stringify(key.publicJwk),
        })
        .execute();
    },

    async retire(kid: string): Promise<void> {
      await db.updateTable('signingKeys').set({ retiredAt: new Date() }).where('kid', '=', kid).execute();
    },
  };
}

export type SigningKeyRepository = ReturnType<typeof signingKeyRepository>;
