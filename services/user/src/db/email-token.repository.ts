import type { Kysely, Transaction } from '@tiketi/kit';
import type { DB, EmailTokenPurpose } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** The one-time tokens the user service mails (verification and password-reset links), by their hash. */
export function emailTokenRepository(db: Kysely<DB>) {
  return {
    async add(
      executor: Executor,
      row: { tokenHash: string; userId: string; purpose: EmailTokenPurpose; expiresAt: Date },
    ): Promise<void> {
      await executor.insertInto('emailTokens').values(row).execute();
    },

    /**
     * Uses a token up if it is for `purpose`, unused and unexpired, in one statement: of two clicks on one
     * link exactly one wins. Answers whose token it was.
     */
    async consume(executor: Executor, tokenHash: string, purpose: EmailTokenPurpose) {
      return executor
        .updateTable('emailTokens')
        .set({ usedAt: new Date() })
        .where('tokenHash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', new Date())
        .returning(['userId'])
        .executeTakeFirst();
    },

    async find(tokenHash: string, purpose: EmailTokenPurpose) {
      return db
        .selectFrom('emailTokens')
        .select(['userId', 'usedAt', 'expiresAt'])
        .where('tokenHash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
    },

    /** Uses up every other unused token of the account for `purpose`: an older link stops working. */
    async useUpAll(executor: Executor, userId: string, purpose: EmailTokenPurpose): Promise<void> {
      await executor
        .updateTable('emailTokens')
        .set({ usedAt: new Date() })
        .where('userId', '=', userId)
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .execute();
    },

    /** Forgets tokens that expired before `before`: they can only ever answer "expired". */
    async purgeExpired(before: Date): Promise<number> {
      const result = await db.deleteFrom('emailTokens').where('expiresAt', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EmailTokenRepository = ReturnType<typeof emailTokenRepository>;
