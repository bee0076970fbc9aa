import { v7 as uuidv7 } from 'uuid';
import type { CpuUse } from '../lib/cpu.ts';
import type { JsonClient } from '../lib/http.ts';
import { closedLoop, type LoadResult, ratePerSecond } from '../lib/load.ts';
import { type Account, challengeHeader, createEvent, tokenMinter } from '../lib/setup.ts';
import { round } from '../lib/stats.ts';

export type JoinsResult = {
  eventId: string;
  /** Fans ready to join: each with its own access token and its own solved challenge. */
  fans: number;
  /** Fetching and solving those challenges beforehand, on the load generator (not part of the rate). */
  preparedPerSecond: number;
  run: LoadResult;
  /** Places taken per second (201, or 200 for a fan who was already in line). */
  joinsPerSecond: number;
  /** CPU time of each process over the timed run, per place taken (perHoldMs is per join here). */
  cpu: CpuUse[];
};

/**
 * Joins per second with the bot defence on: fans (verified, with access tokens minted by the bench) each
 * fetch a join challenge through the gateway and solve it first; then every fan sends
 * `POST /api/queue/:eventId/join` with its solution in `X-Altcha`, `concurrency` at a time through the
 * gateway, which spreads them over the queue instances. Each join checks the token, redeems the solution
 * (HMAC check and a Redis `SET NX` against reuse) and takes a place in one atomic Redis script.
 */
export async function joinRate(
  api: JsonClient,
  admin: Account,
  options: {
    privateJwk: string;
    fans: number;
    concurrency: number;
    durationMs: number;
    /** Starts counting every process's CPU time; its answer divides it by the joins. */
    meter?: () => Promise<(joins: number) => CpuUse[]>;
  },
): Promise<JoinsResult> {
  const event = await createEvent(api, admin, {
    title: 'Bench joins',
    seats: 100,
    perUserLimit: 4,
    waitingRoom: { enabled: true, admissionRatePerMinute: 60, maxActiveShoppers: 10 },
  });
  const mint = await tokenMinter(options.privateJwk);
  const fans: { token: string; headers: Record<string, string> }[] = [];
  const t0 = performance.now();
  let made = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (made < options.fans) {
        made++;
        const userId = uuidv7();
        const token = await mint(userId, `joiner-${userId}@bench.tiketi.test`);
        fans.push({ token, headers: await challengeHeader(api, 'join', event.id) });
      }
    }),
  );
  const preparedPerSecond = round(fans.length / ((performance.now() - t0) / 1000));
  let next = 0;
  const counted = await options.meter?.();
  const run = await closedLoop({
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    until: () => next >= fans.length,
    once: async () => {
      const fan = fans[next++];
      if (!fan) return 'exhausted';
      const joined = await api.post(`/api/queue/${event.id}/join`, {}, fan.token, fan.headers);
      return joined.status;
    },
  });
  const joined = (run.outcomes['201'] ?? 0) + (run.outcomes['200'] ?? 0);
  return {
    eventId: event.id,
    fans: fans.length,
    preparedPerSecond,
    run,
    joinsPerSecond: ratePerSecond(run, '201', '200'),
    cpu: counted?.(joined) ?? [],
  };
}
