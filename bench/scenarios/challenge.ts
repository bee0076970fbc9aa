import { performance } from 'node:perf_hooks';
import { encodeAltchaPayload } from '@tiketi/contracts';
import { createChallenges, createRedis, issueChallenge } from '@tiketi/kit';
import { createChallenge, solveChallenge } from 'altcha-lib/v1';
import { closedLoop, type LoadResult } from '../lib/load.ts';
import { type Latency, round, summarise } from '../lib/stats.ts';

export type ChallengeResult = {
  /** Time to solve one challenge, per difficulty (ALTCHA maxnumber), one thread, altcha-lib's solver. */
  solve: { maxNumber: number; samples: number; latencyMs: Latency; hashesPerSecond: number }[];
  /** Verifying and remembering a solution as the join and register guards do (HMAC check + Redis SET NX). */
  verify: LoadResult;
};

const KEY = { hmacKey: 'bench-challenge-key', ttlSeconds: 600 };

/**
 * The bot defence's two costs. A fan's browser: how long finding the number takes at each difficulty,
 * with the same altcha-lib solver the web app runs in its Web Workers (one thread here; the app uses up
 * to four, and a phone's core is slower than a server's). The server: solutions verified per second by the
 * guard itself, including the Redis write that refuses reuse. Verifying costs the same at any difficulty.
 */
export async function challengeCosts(options: {
  redisUrl: string;
  redisPrefix: string;
  difficulties: number[];
  samples: number;
  /** Fresh solutions for the verify loop; it stops early when they run out. */
  poolSize: number;
  concurrency: number;
  durationMs: number;
}): Promise<ChallengeResult> {
  const solve: ChallengeResult['solve'] = [];
  for (const maxNumber of options.difficulties) {
    const times: number[] = [];
    let tried = 0;
    for (let i = 0; i < options.samples; i++) {
      const challenge = issueChallenge(KEY, { purpose: 'join', eventId: crypto.randomUUID() }, maxNumber);
      const t0 = performance.now();
      // altcha-lib's solver, the one the web app runs in a fan's browser (Web Crypto).
      const solution = await solveChallenge(
        challenge.challenge,
        challenge.salt,
        challenge.algorithm,
        challenge.maxnumber,
      ).promise;
      times.push(performance.now() - t0);
      if (!solution) throw new Error('a challenge had no solution up to its maxnumber');
      tried += solution.number + 1;
    }
    const seconds = times.reduce((a, b) => a + b, 0) / 1000;
    solve.push({
      maxNumber,
      samples: times.length,
      latencyMs: summarise(times),
      hashesPerSecond: round(tried / seconds, 0),
    });
  }

  const redis = createRedis(options.redisUrl, options.redisPrefix);
  try {
    const challenges = createChallenges({ ...KEY, redis });
    // Made with a known number (altcha-lib lets the issuer choose it), so that the loop measures the
    // server's side only, each solution fresh: a reused one would measure refusals.
    const eventId = crypto.randomUUID();
    const expires = new Date(Date.now() + KEY.ttlSeconds * 1000);
    const pool: string[] = [];
    for (let i = 0; i < options.poolSize; i++) {
      const challenge = await createChallenge({
        hmacKey: KEY.hmacKey,
        number: 0,
        maxNumber: 1_000,
        params: { purpose: 'join', eventId },
        expires,
      });
      pool.push(encodeAltchaPayload({ ...challenge, algorithm: 'SHA-256', maxnumber: 1_000 }, 0));
    }
    let next = 0;
    const verify = await closedLoop({
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      until: () => next >= pool.length,
      once: async () => {
        const header = pool[next++];
        if (!header) return 'exhausted';
        await challenges.redeem(header, { purpose: 'join', eventId });
        return 200;
      },
    });
    return { solve, verify };
  } finally {
    // The keys live under the run's prefix, which the bench removes with the rest of its state.
    redis.disconnect();
  }
}
