import rateLimit from '@fastify/rate-limit';
import { type App, problems, type Redis } from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';
import { normaliseEmail } from '../domain/credentials.ts';

export type LoginLimitSettings = {
  /**
   * Password sign-ins (and password changes and account deletions, which also check the password) per
   * account in each window, from anywhere: slows guessing spread over many IPs, or made with a stolen
   * access token.
   */
  perAccount: number;
  /** Password sign-ins per client address in each window: slows one client trying many accounts. */
  perIp: number;
  windowMs: number;
};

/**
 * Password sign-in limits of the user service itself, counted in Redis so every instance shares them:
 * they hold whether a caller comes through the gateway or reaches the service directly. The client
 * address is the peer's unless the peer is a trusted proxy (TRUSTED_PROXIES). Attempts count, not
 * failures, so a guesser learns nothing from the right password past the limit.
 */
/** The requests that check a password given by the caller, as `METHOD url`. */
const SIGN_IN = 'POST /api/auth/login';
const GUESSES = new Set([SIGN_IN, 'POST /api/auth/password/change', 'DELETE /api/users/me']);
const routeOf = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url}`;

export async function loginLimits(app: App, redis: Redis, settings: LoginLimitSettings) {
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: 'login-limit:',
    // A Redis outage must not stop every sign-in: attempts pass uncounted meanwhile.
    skipOnError: true,
  });
  /**
   * The account a guess is made against: named in a sign-in's body (normalised as sign-in looks it up, so
   * every spelling that reaches the account counts against it), else the signed-in caller.
   */
  const accountOf = (req: FastifyRequest) =>
    routeOf(req) === SIGN_IN
      ? normaliseEmail(String((req.body as { email?: unknown } | undefined)?.email ?? ''))
      : String(req.user?.email ?? req.user?.id ?? '').toLowerCase();
  const checks = [
    app.createRateLimit({
      max: settings.perIp,
      timeWindow: settings.windowMs,
      keyGenerator: (req) => `ip:${req.ip}`,
    }),
    app.createRateLimit({
      max: settings.perAccount,
      timeWindow: settings.windowMs,
      keyGenerator: (req) => `account:${accountOf(req)}`,
    }),
  ];
  // preHandler: the account is in the body, which is parsed and validated by then.
  app.addHook('preHandler', async (req: FastifyRequest) => {
    if (!GUESSES.has(routeOf(req))) return;
    // Both count every attempt, so a refused one still uses up the other limit too.
    const results = await Promise.all(checks.map((check) => check(req)));
    const exceeded = results.filter((r) => !r.isAllowed && r.isExceeded);
    if (exceeded.length) {
      const ttl = Math.max(...exceeded.map((r) => (r.isAllowed ? 0 : r.ttl)));
      throw problems.tooManyRequests(Math.max(1, Math.ceil(ttl / 1000)));
    }
  });
}
