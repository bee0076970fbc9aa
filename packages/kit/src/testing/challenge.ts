import { type AltchaChallenge, CHALLENGE_HEADER, type ChallengePurpose } from '@tiketi/contracts';
import { challengeConfigShape, issueChallenge, solveAltcha } from '../challenge.ts';
import { loadConfig } from '../config.ts';
import { DEVELOPMENT_ENV } from './index.ts';

/** Where a test gets its challenge: a running platform's API (gateway or queue service), or made here. */
export type ChallengeSource = string | { hmacKey?: string; maxNumber?: number };

/**
 * The `X-Altcha` header for one register or join, solved as a browser would: fetched from
 * `GET /api/challenge` of the given base URL, or, for a service tested alone, issued here with the key it
 * checks against (by default the configured one) at a low difficulty.
 */
export async function challengeHeader(
  source: ChallengeSource,
  purpose: ChallengePurpose,
  eventId?: string,
): Promise<Record<string, string>> {
  let challenge: AltchaChallenge;
  if (typeof source === 'string') {
    const query = new URLSearchParams({ purpose, ...(eventId ? { eventId } : {}) });
    const res = await fetch(`${source}/api/challenge?${query}`, { signal: AbortSignal.timeout(20_000) });
    if (res.status !== 200) throw new Error(`challenge: ${res.status} ${await res.text()}`);
    challenge = (await res.json()) as AltchaChallenge;
  } else {
    const config = loadConfig(challengeConfigShape, { ...process.env, ...DEVELOPMENT_ENV });
    challenge = issueChallenge(
      { hmacKey: source.hmacKey ?? config.CHALLENGE_HMAC_KEY, ttlSeconds: config.CHALLENGE_TTL_SECONDS },
      { purpose, eventId },
      source.maxNumber ?? 1_000,
    );
  }
  return { [CHALLENGE_HEADER]: await solveAltcha(challenge) };
}
