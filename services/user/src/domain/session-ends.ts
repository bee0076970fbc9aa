import {
  type Kysely,
  type Logger,
  type Metrics,
  MORE_WORK,
  periodicJob,
  type SessionRevocations,
  type Transaction,
} from '@tiketi/kit';
import type { AllSessionsEnd, DB } from '../db/schema.ts';
import type { SessionRepository } from '../db/session.repository.ts';

/** Sessions told to Redis in one pass of the retry. */
const RETRY_BATCH = 500;

/**
 * Ending sessions (a sign-out, a reused refresh token, a new password, a deleted account). The end is
 * committed in the database with a note that every token check is still to be told; once committed, the
 * sessions' access tokens are recorded as ended in Redis, which every token check reads, and the note goes.
 * Redis failing at that moment is logged, not thrown: the refresh tokens are ended already, and the
 * retry (`sessionEndRetry`) tells Redis once it answers again, as long as an access token could live.
 */
export function sessionEnds(deps: {
  db: Kysely<DB>;
  sessions: SessionRepository;
  revocations: SessionRevocations;
  accessTtlSeconds: number;
  logger: Logger;
}) {
  const { db, sessions, revocations, logger } = deps;
  const tokensLiveUntil = () => new Date(Date.now() + deps.accessTtlSeconds * 1000);

  /** Tells Redis; answers whether every one was taken. */
  async function tell(ended: { familyId: string; until: Date }[]): Promise<boolean> {
    const told = await Promise.allSettled(
      ended.map(({ familyId, until }) => revocations.revoke(familyId, (until.getTime() - Date.now()) / 1000)),
    );
    const done = ended.filter((_, i) => told[i]?.status === 'fulfilled').map((e) => e.familyId);
    await sessions.announced(done);
    return done.length === ended.length;
  }

  return {
    /** In the caller's transaction: ends every open session of the account; answers which. */
    async endAll(trx: Transaction<DB>, userId: string, reason: AllSessionsEnd): Promise<string[]> {
      const ended = await sessions.revokeAllOf(trx, userId, reason);
      await sessions.toAnnounce(trx, ended, tokensLiveUntil());
      return ended;
    },

    /**
     * Ends one session, and its access tokens at once. Told again even when the session had ended before,
     * so a sign-out sent twice repeats the revocation.
     */
    async endOne(familyId: string, reason: 'logout' | 'reuse'): Promise<void> {
      const until = tokensLiveUntil();
      await db.transaction().execute(async (trx) => {
        await sessions.revokeFamily(trx, familyId, reason);
        await sessions.toAnnounce(trx, [familyId], until);
      });
      if (!(await tell([{ familyId, until }]).catch(() => false))) {
        logger.warn({ familyId }, 'could not record the ended session yet; it is retried');
      }
    },

    /** After the transaction of `endAll` committed: the access tokens of those sessions stop too. */
    async announce(userId: string, familyIds: string[]): Promise<void> {
      const until = tokensLiveUntil();
      if (!(await tell(familyIds.map((familyId) => ({ familyId, until }))).catch(() => false))) {
        logger.warn({ userId }, 'could not record the ended sessions yet; they are retried');
      }
    },

    /** One pass of the retry: ended sessions not yet told whose access tokens may still be presented. */
    async announcePending(): Promise<number> {
      const pending = await sessions.unannounced(RETRY_BATCH);
      if (pending.length === 0) return 0;
      if (!(await tell(pending))) throw new Error('Redis did not take every ended session');
      logger.info({ sessions: pending.length }, 'ended sessions recorded after a delay');
      return pending.length;
    },
  };
}

export type SessionEnds = ReturnType<typeof sessionEnds>;

/**
 * Tells Redis of ended sessions a Redis outage kept it from hearing about, every `intervalMs` on every
 * instance (telling twice is harmless), until their access tokens could no longer be valid.
 */
export function sessionEndRetry(
  ends: SessionEnds,
  deps: { logger: Logger; metrics?: Metrics; intervalMs?: number },
) {
  return periodicJob({
    name: 'ended-session retry',
    intervalMs: deps.intervalMs ?? 5_000,
    runAtStart: true,
    logger: deps.logger,
    metrics: deps.metrics,
    // Redis away: the retries thin out, up to one every 30 seconds.
    maxBackoffMs: 30_000,
    pass: async () => ((await ends.announcePending()) === RETRY_BATCH ? MORE_WORK : undefined),
  });
}
