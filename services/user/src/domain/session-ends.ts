import type { Logger, SessionRevocations, Transaction } from '@tiketi/kit';
import type { AllSessionsEnd, DB } from '../db/schema.ts';
import type { SessionRepository } from '../db/session.repository.ts';

/**
 * Ending every session of an account at once (a new password, a deleted account): in the caller's
 * transaction, so the change and the end of its sessions commit together, and then, once committed, the
 * sessions' access tokens are recorded as ended for every token check. That second step failing is logged,
 * not thrown: the refresh tokens are ended already, and the access tokens run out on their own.
 */
export function sessionEnds(deps: {
  sessions: SessionRepository;
  revocations: SessionRevocations;
  accessTtlSeconds: number;
  logger: Logger;
}) {
  return {
    /** In the caller's transaction: ends every open session of the account; answers which. */
    endAll: (trx: Transaction<DB>, userId: string, reason: AllSessionsEnd) =>
      deps.sessions.revokeAllOf(trx, userId, reason),

    /** After that transaction committed: the access tokens of those sessions stop too. */
    async announce(userId: string, familyIds: string[]): Promise<void> {
      const announced = await Promise.allSettled(
        familyIds.map((familyId) => deps.revocations.revoke(familyId, deps.accessTtlSeconds)),
      );
      if (announced.some((result) => result.status === 'rejected')) {
        deps.logger.warn(
          { userId },
          'could not record the ended sessions; their access tokens run out on their own',
        );
      }
    },
  };
}

export type SessionEnds = ReturnType<typeof sessionEnds>;
