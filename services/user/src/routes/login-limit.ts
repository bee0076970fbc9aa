import rateLimit from '@fastify/rate-limit';
import { CHALLENGE_HEADER } from '@tiketi/contracts';
import { type App, type ChallengeGuard, HttpProblem, problems, type Redis } from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';
import { normaliseEmail } from '../domain/credentials.ts';

export type LoginLimitSettings = {
  /**
   * Password sign-ins (and password changes and account deletions, which also check the password) per
   * account in each window, from anywhere: slows guessing spread over many IPs, or made with a stolen
   * access token. Past it a sign-in needs a solved challenge; a change or deletion is refused.
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
 * failures, so a guesser learns nothing from the right password past the limit. Past an account's limit a
 * sign-in is not refused outright, which would let anyone lock its owner out by guessing: it needs a
 * solved challenge (`login`), which the owner's browser pays once and a guesser for every guess.
 */
/** The requests that check a password given by the caller, as `METHOD url`. */
const SIGN_IN = 'POST /api/auth/login';
const GUESSES = new Set([SIGN_IN, 'POST /api/auth/password/change', 'DELETE /api/users/me']);
const routeOf = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url}`;

export async function loginLimits(
  app: App,
  redis: Redis,
  settings: LoginLimitSettings,
  signInChallenge: ChallengeGuard,
) {
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
    const [perIp, perAccount] = await Promise.all(checks.map((check) => check(req)));
    const over = (r: typeof perIp) => r !== undefined && !r.isAllowed && r.isExceeded;
    const refuse = (r: typeof perIp) => {
      throw problems.tooManyRequests(Math.max(1, Math.ceil((r && !r.isAllowed ? r.ttl : 0) / 1000)));
    };
    if (over(perIp)) refuse(perIp);
    if (!over(perAccount)) return;
    // A password change or deletion made with a stolen access token has no owner to lock out: refused.
    if (routeOf(req) !== SIGN_IN) refuse(perAccount);
    if (!req.headers[CHALLENGE_HEADER]) {
      throw new HttpProblem(
        403,
        'CHALLENGE_REQUIRED',
        `This account had many sign-in attempts lately: solve a challenge (GET /api/challenge?purpose=login) and send its solution in header ${CHALLENGE_HEADER}.`,
      );
    }
    await signInChallenge(req);
  });
}
