import {
  altchaChallenge,
  CHALLENGE_HEADER,
  type ChallengePurpose,
  encodeAltchaPayload,
} from '@tiketi/contracts';
import { solveChallengeWorkers } from 'altcha-lib/v1';
import { ApiError, api } from './api.ts';

/** Workers searching for the number side by side; more than a phone's few cores would only wait. */
const WORKERS = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));

/**
 * The bot defence: fetches a proof-of-work challenge and solves it off the main thread (altcha-lib, in Web
 * Workers), answering the `X-Altcha` header for the register, join or sign-in request that needs it.
 */
export async function solveChallengeFor(purpose: ChallengePurpose, eventId?: string) {
  const query = new URLSearchParams({ purpose, ...(eventId ? { eventId } : {}) });
  const challenge = await api(`/api/challenge?${query}`, { schema: altchaChallenge });
  const solution = await solveChallengeWorkers(
    () => new Worker(new URL('./challenge.worker.ts', import.meta.url), { type: 'module' }),
    WORKERS,
    challenge.challenge,
    challenge.salt,
    challenge.algorithm,
    challenge.maxnumber,
  );
  if (!solution) throw new ApiError(0, 'The security check could not be completed.', 'CHALLENGE_UNSOLVED');
  return { [CHALLENGE_HEADER]: encodeAltchaPayload(challenge, solution.number) };
}
