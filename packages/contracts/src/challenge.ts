import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * Bot defence: a proof of work (ALTCHA, PoW v1) before registering or joining a waiting room, and before
 * signing in to an account that had many sign-in attempts lately.
 * `GET /api/challenge?purpose=register|join|login[&eventId=]` answers a challenge; the client finds
 * `number` and sends the ALTCHA payload, base64 of `{algorithm, challenge, number, salt, signature}`, in
 * header `X-Altcha` on `POST /api/auth/register`, `POST /api/queue/:eventId/join` or (when it answered 403
 * `CHALLENGE_REQUIRED`) `POST /api/auth/login`. A solution is good once, for its purpose (and event) only,
 * until the challenge expires.
 */
export const CHALLENGE_HEADER = 'x-altcha';

export const challengePurpose = z.enum(['register', 'join', 'login']);
export type ChallengePurpose = z.infer<typeof challengePurpose>;

/** The only algorithm the server issues; a payload naming another is refused. */
export const CHALLENGE_ALGORITHM = 'SHA-256';

/** Bounds of a challenge's difficulty (`maxnumber`: the solver tries half of it on average). */
export const CHALLENGE_MAX_NUMBER = { min: 1_000, max: 10_000_000 } as const;

/** An operator's difficulty for one event's join challenge. */
export const challengeDifficulty = z
  .number()
  .int()
  .min(CHALLENGE_MAX_NUMBER.min)
  .max(CHALLENGE_MAX_NUMBER.max);

export const challengeQuery = z
  .object({ purpose: challengePurpose, eventId: canonicalId().optional() })
  .refine((q) => (q.purpose === 'join') === (q.eventId !== undefined), {
    message: 'eventId is required for purpose=join and not allowed for the other purposes',
    path: ['eventId'],
  });

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const altchaChallenge = z.object({
  algorithm: z.literal(CHALLENGE_ALGORITHM),
  challenge: hex64,
  maxnumber: z.number().int().positive(),
  salt: z.string(),
  signature: hex64,
});
export type AltchaChallenge = z.infer<typeof altchaChallenge>;

/** What the client sends back, base64-encoded JSON, in header `X-Altcha`. */
export const altchaPayload = z.object({
  algorithm: z.literal(CHALLENGE_ALGORITHM),
  challenge: hex64,
  number: z.number().int().nonnegative().max(CHALLENGE_MAX_NUMBER.max),
  salt: z.string().min(1).max(512),
  signature: hex64,
});
export type AltchaPayload = z.infer<typeof altchaPayload>;

/** The header value for a solved challenge. */
export function encodeAltchaPayload(challenge: AltchaChallenge, number: number): string {
  const payload: AltchaPayload = {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number,
    salt: challenge.salt,
    signature: challenge.signature,
  };
  return btoa(JSON.stringify(payload));
}
