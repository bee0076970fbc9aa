import { type Logger, type Metrics, periodicJob } from '@tiketi/kit';
import type { SessionRepository } from '../db/session.repository.ts';

const GRACE_MS = 86_400_000;

/**
 * Forgets sessions whose refresh tokens all expired more than a day ago (reuse of such a token is moot),
 * so the tables do not grow forever. Safe on every instance at once: the delete is idempotent.
 */
export function sessionCleanup(
  sessions: SessionRepository,
  deps: { logger: Logger; metrics?: Metrics; intervalMs?: number },
) {
  return periodicJob({
    name: 'expired-session cleanup',
    intervalMs: deps.intervalMs ?? 3_600_000,
    runAtStart: true,
    logger: deps.logger,
    metrics: deps.metrics,
    async pass() {
      const removed = await sessions.purgeExpired(new Date(Date.now() - GRACE_MS));
      if (removed) deps.logger.info({ removed }, 'expired sessions removed');
    },
  });
}
