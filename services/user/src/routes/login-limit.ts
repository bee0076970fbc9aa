import rateLimit from '@fastify/rate-limit';
import { CHALLENGE_HEADER } from '@tiketi/contracts';
import { type App, type ChallengeGuard, HttpProblem, problems, type Redis } from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';
import { normaliseEmail } from '../domain/credentials.ts';

export type LoginLimitSettings = {
  /**
   * Password sign-ins (and password changes and account deletions, which also check the password) per
   * account in each accountWindowMs, from anywhere, whether or not the account exists (so that the answers
   * tell nobody which addresses have one): slows guessing spread over many IPs, or made with a stolen
   * access token. Past it a sign-in needs a solved challenge; a change or deletion is refused. A
   * successful sign-in starts the count over, so only guesses add up: a fan who signs in on every device
   * never meets the challenge.
   */
  perAccount: number;
  accountWindowMs: number;
  /**
   * Password sign-ins per client address in each windowMs: slows one client trying many accounts. Sized
   * for the many fans behind one carrier-NAT or venue address signing in at a drop, not for one person.
   */
  perIp: number;
  windowMs: number;
};

/** The requests that check a password given by the caller, as `METHOD url`. */
const SIGN_IN = 'POST /api/auth/login';
const GUESSES = new Set([SIGN_IN, 'POST /api/auth/password/change', 'DELETE /api/users/me']);
const routeOf = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url}`;
const secondsLeft = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The attempts at each account in its current window. Counted here rather than by the rate-limit plugin,
 * whose store names its keys itself and can only add: a successful sign-in must clear its account's count.
 */
function accountAttempts(redis: Redis, windowMs: number) {
  const keyOf = (account: string) => `login-limit:account:${account}`;
  return {
    /** Adds one attempt; answers how many the window holds and the milliseconds left of it. */
    async add(account: string): Promise<{ attempts: number; msLeft: number }> {
      const key = keyOf(account);
      // One transaction: the window starts with its first attempt and is never pushed back by later ones.
      const results = await redis.multi().incr(key).pexpire(key, windowMs, 'NX').pttl(key).exec();
      const failed = results?.find(([err]) => err)?.[0];
      if (!results || failed) throw failed ?? new Error('the attempt count was not answered');
      return { attempts: Number(results[0]?.[1]), msLeft: Number(results[2]?.[1]) };
    },
    clear: (account: string) => redis.del(keyOf(account)),
  };
}

/**
 * Password sign-in limits of the user service itself, counted in Redis so every instance shares them:
 * they hold whether a caller comes through the gateway or reaches the service directly. The client
 * address is the peer's unless the peer is a trusted proxy (TRUSTED_PROXIES). Attempts are counted as they
 * arrive, before the password is checked: a burst of parallel guesses cannot all slip in before the first
 * failure is written, and past the limit even the right password is asked for a challenge, so a guesser
 * learns nothing from it. Only a successful sign-in takes its attempts back (it starts the account's count
 * over), which leaves failures adding up. Past an account's limit a sign-in is not refused outright, which
 * would let anyone lock its owner out by guessing: it needs a solved challenge (`login`), which the
 * owner's browser pays once and a guesser for every guess.
 */
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
  const perIpCheck = app.createRateLimit({
    max: settings.perIp,
    timeWindow: settings.windowMs,
    keyGenerator: (req) => `ip:${req.ip}`,
  });
  const accounts = accountAttempts(redis, settings.accountWindowMs);
  // preHandler: the account is in the body, which is parsed and validated by then.
  app.addHook('preHandler', async (req: FastifyRequest) => {
    if (!GUESSES.has(routeOf(req))) return;
    // Both count every attempt, so a refused one still uses up the other limit too.
    const [perIp, perAccount] = await Promise.all([
      perIpCheck(req),
      accounts.add(accountOf(req)).catch((err: unknown) => {
        // As the plugin does for the address: Redis being away lets attempts pass uncounted.
        req.log.warn({ err }, 'the sign-in attempt was not counted against its account');
        return undefined;
      }),
    ]);
    if (!perIp.isAllowed && perIp.isExceeded) throw problems.tooManyRequests(secondsLeft(perIp.ttl));
    if (!perAccount || perAccount.attempts <= settings.perAccount) return;
    // A password change or deletion made with a stolen access token has no owner to lock out: refused.
    if (routeOf(req) !== SIGN_IN) throw problems.tooManyRequests(secondsLeft(perAccount.msLeft));
    if (!req.headers[CHALLENGE_HEADER]) {
      throw new HttpProblem(
        403,
        'CHALLENGE_REQUIRED',
        `This account had many sign-in attempts lately: solve a challenge (GET /api/challenge?purpose=login) and send its solution in header ${CHALLENGE_HEADER}.`,
      );
    }
    await signInChallenge(req);
  });
  // A password proved right (a sign-in, a change, a deletion) starts the account's count over: only guesses
  // add up. onSend, not onResponse: the count is gone before the fan's next request can arrive.
  app.addHook('onSend', async (req, reply) => {
    if (!GUESSES.has(routeOf(req)) || reply.statusCode >= 300) return;
    await accounts.clear(accountOf(req)).catch((err: unknown) => {
      // As with counting, Redis being away must not fail a sign-in that succeeded.
      req.log.warn({ err }, 'the sign-in count of the account was not cleared');
    });
  });
}
