import { type Logger, type Metrics, periodicJob } from '@tiketi/kit';
import type { EmailTokenRepository } from '../db/email-token.repository.ts';
import type { SessionRepository } from '../db/session.repository.ts';

const GRACE_MS = 86_400_000;

/**
 * Forgets sessions whose refresh tokens all expired more than a day ago (reuse of such a token is moot), and
 * mailed tokens (verification and password-reset links) that expired as long ago, so the tables do not grow
 * forever. Safe on every instance at once: the deletes are idempotent.
 */
export function sessionCleanup(
  stores: { sessions: SessionRepository; tokens: EmailTokenRepository },
  deps: { logger: Logger; metrics?: Metrics; intervalMs?: number },
) {
  return periodicJob({
    name: 'expired-session cleanup',
    intervalMs: deps.intervalMs ?? 3_600_000,
    runAtStart: true,
    logger: deps.logger,
    metrics: deps.metrics,
    async pass() {
      const before = new Date(Date.now() - GRACE_MS);
      const removed = await stores.sessions.purgeExpired(before);
      const links = await stores.tokens.purgeExpired(before);
      if (removed || links) deps.logger.info({ removed, links }, 'expired sessions and mailed links removed');
    },
  });
}
