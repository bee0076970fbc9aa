import type { Kysely, Transaction } from '@tiketi/kit';
import type { AllSessionsEnd, DB } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export function sessionRepository(db: Kysely<DB>) {
  return {
    async createFamily(executor: Executor, family: { id: string; userId: string }): Promise<void> {
      await executor.insertInto('refreshFamilies').values(family).execute();
    },

    async addToken(
      executor: Executor,
      token: { tokenHash: string; familyId: string; expiresAt: Date },
    ): Promise<void> {
      await executor.insertInto('refreshTokens').values(token).execute();
    },

    /**
     * Marks a refresh token used if it is unused, unexpired and its family is not revoked, in one
     * statement: of two concurrent uses of one token exactly one wins. Answers the family and its user.
     */
    async consume(executor: Executor, tokenHash: string) {
      return executor
        .updateTable('refreshTokens')
        .from('refreshFamilies')
        .set({ usedAt: new Date() })
        .whereRef('refreshFamilies.id', '=', 'refreshTokens.familyId')
        .where('refreshTokens.tokenHash', '=', tokenHash)
        .where('refreshTokens.usedAt', 'is', null)
        .where('refreshTokens.expiresAt', '>', new Date())
        .where('refreshFamilies.revokedAt', 'is', null)
        .returning(['refreshTokens.familyId', 'refreshFamilies.userId'])
        .executeTakeFirst();
    },

    async find(tokenHash: string) {
      return db
        .selectFrom('refreshTokens')
        .innerJoin('refreshFamilies', 'refreshFamilies.id', 'refreshTokens.familyId')
        .select([
          'refreshTokens.familyId',
          'refreshTokens.usedAt',
          'refreshTokens.expiresAt',
          'refreshFamilies.revokedAt',
        ])
        .where('refreshTokens.tokenHash', '=', tokenHash)
        .executeTakeFirst();
    },

    /** Deletes sessions whose every refresh token expired before `before` (their tokens go with them). */
    async purgeExpired(before: Date): Promise<number> {
      const result = await db
        .deleteFrom('refreshFamilies')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('refreshTokens')
                .select('refreshTokens.tokenHash')
                .whereRef('refreshTokens.familyId', '=', 'refreshFamilies.id')
                .where('refreshTokens.expiresAt', '>', before),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Ends every session of the account that is not ended yet; answers which. */
    async revokeAllOf(executor: Executor, userId: string, reason: AllSessionsEnd): Promise<string[]> {
      const ended = await executor
        .updateTable('refreshFamilies')
        .set({ revokedAt: new Date(), revokedReason: reason })
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .returning('id')
        .execute();
      return ended.map((family) => family.id);
    },

    async revokeFamily(executor: Executor, familyId: string, reason: 'logout' | 'reuse'): Promise<void> {
      await executor
        .updateTable('refreshFamilies')
        .set({ revokedAt: new Date(), revokedReason: reason })
        .where('id', '=', familyId)
        .where('revokedAt', 'is', null)
        .execute();
    },

    /** Ended sessions every token check is to be told about, until `until` (their access tokens' last moment). */
    async toAnnounce(executor: Executor, familyIds: string[], until: Date): Promise<void> {
      if (familyIds.length === 0) return;
      await executor
        .insertInto('sessionEndsToAnnounce')
        .values(familyIds.map((familyId) => ({ familyId, until })))
        .onConflict((oc) => oc.column('familyId').doUpdateSet({ until }))
        .execute();
    },

    /** Those not told yet whose access tokens may still be presented; the lapsed ones are forgotten first. */
    async unannounced(limit: number): Promise<{ familyId: string; until: Date }[]> {
      await db.deleteFrom('sessionEndsToAnnounce').where('until', '<=', new Date()).execute();
      return db
        .selectFrom('sessionEndsToAnnounce')
        .select(['familyId', 'until'])
        .orderBy('until')
        .limit(limit)
        .execute();
    },

    async announced(familyIds: string[]): Promise<void> {
      if (familyIds.length === 0) return;
      await db.deleteFrom('sessionEndsToAnnounce').where('familyId', 'in', familyIds).execute();
    },
  };
}

export type SessionRepository = ReturnType<typeof sessionRepository>;
