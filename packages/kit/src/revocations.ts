import type { Logger } from './logger.ts';
import { CACHE_LIMITS, memoryCache, sharedRuns } from './memory-cache.ts';
import type { Redis } from './redis.ts';

/**
 * Sessions that ended before their access tokens expire: a sign-out, or a refresh family revoked because
 * one of its tokens was used twice. The user service records them; every token check (gateway and each
 * service) reads them, so an ended session stops working within `cacheMs` instead of at the access
 * token's expiry.
 */
export type SessionRevocations = {
  /** Ends a session for as long as tokens issued to it may still be valid. */
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /**
   * Which of these sessions have ended, read from Redis whatever this instance remembers of them, a batch
   * per command: for a holder of many long-lived connections, which checks them all on one timer rather
   * than each on its own. Throws when Redis does not answer (the caller's next pass asks again).
   */
  endedAmong(sessionIds: string[]): Promise<Set<string>>;
};

export type SessionRevocationOptions = {
  /** How long an instance trusts its last "not revoked" answer (`CACHE_LIMITS.liveSessions`). */
  cacheMs?: number;
  /** Longest wait for Redis before the check lets the token through (see below). */
  timeoutMs?: number;
  logger?: Logger;
};

const key = (sessionId: string) => `revoked-session:${sessionId}`;

/** Sessions read in one MGET by `endedAmong`. */
const BATCH = 1000;

export function sessionRevocations(redis: Redis, options: SessionRevocationOptions = {}): SessionRevocations {
  const timeoutMs = options.timeoutMs ?? 250;
  const live = memoryCache<true>({
    ...CACHE_LIMITS.liveSessions,
    ttlMs: options.cacheMs ?? CACHE_LIMITS.liveSessions.ttlMs,
  });
  const ended = memoryCache<true>(CACHE_LIMITS.endedSessions);
  const asking = sharedRuns<boolean>();
  let failing = false;

  function remember(sessionId: string, revoked: boolean) {
    if (revoked) {
      live.delete(sessionId);
      ended.set(sessionId, true);
    } else live.set(sessionId, true);
  }

  /**
   * When Redis does not answer, the token's signature and expiry still hold and the session is taken as
   * live: a sign-out then waits for Redis (or the token's expiry, 15 minutes at most) rather than every
   * signed-in request of a ticket drop failing with Redis. The outage is logged once, and its end.
   */
  async function lookup(sessionId: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        redis.exists(key(sessionId)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (failing) options.logger?.info('session revocations readable again');
      failing = false;
      return found === 1;
    } catch (error) {
      if (!failing) {
        options.logger?.warn(
          { err: error },
          'session revocations unreadable; ended sessions pass until Redis answers',
        );
      }
      failing = true;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async revoke(sessionId, ttlSeconds) {
      await redis.set(key(sessionId), '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      remember(sessionId, true);
    },

    async endedAmong(sessionIds) {
      const ended = new Set<string>();
      for (let i = 0; i < sessionIds.length; i += BATCH) {
        const batch = sessionIds.slice(i, i + BATCH);
        const found = await redis.mget(batch.map(key));
        batch.forEach((sessionId, j) => {
          const revoked = found[j] != null;
          remember(sessionId, revoked);
          if (revoked) ended.add(sessionId);
        });
      }
      return ended;
    },

    async isRevoked(sessionId) {
      if (ended.get(sessionId)) return true;
      if (live.get(sessionId)) return false;
      return asking.run(
        sessionId,
        () => lookup(sessionId),
        (revoked) => remember(sessionId, revoked),
      );
    },
  };
}
