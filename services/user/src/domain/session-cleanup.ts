import type { Logger } from '@tiketi/kit';
import type { SessionRepository } from '../db/session.repository.ts';

const GRACE_MS = 86_400_000;

/**
 * Forgets sessions whose refresh tokens all expired more than a day ago (reuse of such a token is moot),
 * so the tables do not grow forever. Safe on every instance at once: the delete is idempotent.
 */
export function startSessionCleanup(sessions: SessionRepository, logger: Logger, intervalMs = 3_600_000) {
  const run = async () => {
    try {
      const removed = await sessions.purgeExpired(new Date(Date.now() - GRACE_MS));
      if (removed) logger.info({ removed }, 'expired sessions removed');
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'expired-session cleanup failed; will retry');
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
