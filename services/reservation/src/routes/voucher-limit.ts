import rateLimit from '@fastify/rate-limit';
import { type App, HttpProblem, type Redis } from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';

export type VoucherLimitSettings = {
  /** Voucher codes one account may try in each window, right or wrong. */
  perAccount: number;
  windowMs: number;
};

/**
 * How often one account may try a voucher code, counted in Redis so every instance shares it: operators
 * name presale codes themselves (`FANCLUB`, `IU2027`), and without a limit a script holding a seat could
 * try a dictionary of them. Attempts count, not failures, so past the limit a guesser learns nothing, not
 * even from the right code. The answer is the route's preHandler.
 */
export async function voucherAttemptLimit(app: App, redis: Redis, settings: VoucherLimitSettings) {
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: 'voucher-limit:',
    // A Redis outage must not stop fans using their codes: attempts pass uncounted meanwhile.
    skipOnError: true,
  });
  const check = app.createRateLimit({
    max: settings.perAccount,
    timeWindow: settings.windowMs,
    keyGenerator: (req) => `account:${req.user?.id ?? req.ip}`,
  });
  const minutes = Math.ceil(settings.windowMs / 60_000);
  return async (req: FastifyRequest): Promise<void> => {
    const result = await check(req);
    if (result.isAllowed || !result.isExceeded) return;
    const seconds = Math.max(1, Math.ceil(result.ttl / 1000));
    throw new HttpProblem(
      429,
      'VOUCHER_ATTEMPTS',
      `Too many voucher codes tried: at most ${settings.perAccount} every ${minutes} minutes. Try again in ${seconds} s.`,
      { headers: { 'retry-after': String(seconds) }, extra: { minutes } },
    );
  };
}
