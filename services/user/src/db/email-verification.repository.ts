import type { Kysely, Transaction } from '@tiketi/kit';
import type { DB } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export function emailVerificationRepository(db: Kysely<DB>) {
  return {
    async add(
      executor: Executor,
      row: { tokenHash: string; userId: string; expiresAt: Date },
    ): Promise<void> {
      await executor.insertInto('emailVerifications').values(row).execute();
    },

    /**
     * Uses a token up if it is unused and unexpired, in one statement: of two clicks on one link exactly one
     * wins. Answers whose address it proves.
     */
    async consume(executor: Executor, tokenHash: string) {
      return executor
        .updateTable('emailVerifications')
        .set({ usedAt: new Date() })
        .where('tokenHash', '=', tokenHash)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', new Date())
        .returning(['userId'])
        .executeTakeFirst();
    },

    async find(tokenHash: string) {
      return db
        .selectFrom('emailVerifications')
        .select(['usedAt', 'expiresAt'])
        .where('tokenHash', '=', tokenHash)
        .executeTakeFirst();
    },

    /** Forgets tokens that expired before `before`: they can only ever answer "expired". */
    async purgeExpired(before: Date): Promise<number> {
      const result = await db
        .deleteFrom('emailVerifications')
        .where('expiresAt', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EmailVerificationRepository = ReturnType<typeof emailVerificationRepository>;
