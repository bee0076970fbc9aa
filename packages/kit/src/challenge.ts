import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import {
  type AltchaChallenge,
  type AltchaPayload,
  altchaPayload,
  CHALLENGE_ALGORITHM,
  CHALLENGE_HEADER,
  type ChallengePurpose,
  encodeAltchaPayload,
} from '@tiketi/contracts';
import { extractParams } from 'altcha-lib/v1';
import type { FastifyRequest } from 'fastify';
import { sameSecret } from './auth.ts';
import { env } from './config.ts';
import { HttpProblem } from './errors.ts';
import type { Redis } from './redis.ts';

/** Read by every service that issues or checks challenges (queue issues; queue and user check). */
export const challengeConfigShape = {
  /** Signs challenges: a solution is only worth something if nobody else can mint challenges. */
  CHALLENGE_HMAC_KEY: env.secret('tiketi-local-challenge-hmac-key'),
  /** How long a challenge may be solved and used; a fan solves in well under a second. */
  CHALLENGE_TTL_SECONDS: env.int(300),
};

/** A route's preHandler that lets the request through only with a fresh solution. */
export type ChallengeGuard = (req: FastifyRequest) => Promise<void>;

export type ChallengeBinding = { purpose: ChallengePurpose; eventId?: string | undefined };

const required = () =>
  new HttpProblem(
    403,
    'CHALLENGE_REQUIRED',
    `Solve a challenge first (GET /api/challenge) and send its solution in header ${CHALLENGE_HEADER}.`,
  );
const failed = (why: string) => new HttpProblem(403, 'CHALLENGE_FAILED', `The challenge solution ${why}.`);

/*
 * ALTCHA's proof of work, version 1, computed as altcha-lib computes it: the challenge is the SHA-256 of
 * the salt followed by the secret number, its signature the HMAC-SHA-256 of the challenge. The hashes are
 * node:crypto's, synchronous: altcha-lib's go through Web Crypto, where every digest and HMAC is a job
 * on libuv's thread pool with its promise, ten times the hash itself (about 85 µs of CPU to issue a
 * challenge and 65 µs to check one, against 8 µs), and every fan's join issues one and checks one. The
 * tests hold the two to the same answers (a challenge of ours solved and checked by altcha-lib, and one
 * of altcha-lib's redeemed here).
 */
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const hmacHex = (key: string, data: string) => createHmac('sha256', key).update(data).digest('hex');

/** A signed challenge for this purpose (and event), solvable until `ttlSeconds` from now. */
export function issueChallenge(
  key: { hmacKey: string; ttlSeconds: number },
  binding: ChallengeBinding,
  maxNumber: number,
): AltchaChallenge {
  const params = new URLSearchParams({ purpose: binding.purpose });
  if (binding.eventId) params.set('eventId', binding.eventId.toLowerCase());
  params.set('expires', String(Math.floor((Date.now() + key.ttlSeconds * 1000) / 1000)));
  // The parameters ride in the salt, which the signature covers; the closing '&' keeps a solver from
  // splicing parameters onto it.
  const salt = `${randomBytes(12).toString('hex')}?${params}&`;
  const challenge = sha256Hex(`${salt}${randomInt(maxNumber)}`);
  return {
    algorithm: CHALLENGE_ALGORITHM,
    challenge,
    maxnumber: maxNumber,
    salt,
    signature: hmacHex(key.hmacKey, challenge),
  };
}

/** Whether the number solves the challenge and the challenge is one this key signed. */
function solves(payload: AltchaPayload, hmacKey: string): boolean {
  return (
    sameSecret(sha256Hex(`${payload.salt}${payload.number}`), payload.challenge) &&
    sameSecret(hmacHex(hmacKey, payload.challenge), payload.signature)
  );
}

/**
 * ALTCHA proof-of-work challenges (altcha-lib, PoW v1): what they are for (purpose, event) and when they
 * end ride in the salt, which the signature covers, so a solution for one purpose or event is useless for
 * another. A solution is accepted once: its signature is remembered in Redis until the challenge expires.
 */
export function createChallenges(options: { hmacKey: string; ttlSeconds: number; redis: Redis }) {
  const { hmacKey, ttlSeconds, redis } = options;

  return {
    create: (binding: ChallengeBinding, maxNumber: number) =>
      issueChallenge({ hmacKey, ttlSeconds }, binding, maxNumber),

    /** Accepts a header value once, for the binding it was issued for; anything else is a 403 problem. */
    async redeem(header: string | undefined, binding: ChallengeBinding): Promise<void> {
      if (!header) throw required();
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
      } catch {
        throw failed('is not base64-encoded JSON');
      }
      const payload = altchaPayload.safeParse(decoded);
      if (!payload.success) throw failed('is not an ALTCHA payload');
      const params = extractParams(payload.data);
      const expires = Number(params.expires);
      if (!Number.isInteger(expires)) throw failed('names no expiry');
      if (
        params.purpose !== binding.purpose ||
        (params.eventId ?? '') !== (binding.eventId ?? '').toLowerCase()
      )
        throw failed(`was issued for another ${params.purpose === binding.purpose ? 'event' : 'purpose'}`);
      if (!solves(payload.data, hmacKey)) throw failed('is wrong');
      const expiresAtMs = expires * 1000;
      if (expiresAtMs <= Date.now()) throw failed('has expired; solve a new challenge');
      // Checked last, so that only a correct solution is remembered (a wrong guess cannot burn it).
      const fresh = await redis.set(
        `challenge:used:${payload.data.signature}`,
        '1',
        'PXAT',
        expiresAtMs,
        'NX',
      );
      if (fresh !== 'OK') throw failed('was used already; solve a new challenge');
    },
  };
}

export type Challenges = ReturnType<typeof createChallenges>;

/**
 * A preHandler (after the caller and the input are checked, so that neither a stranger nor a typo spends
 * a solution) that lets the request through only with a fresh solution for this purpose and event.
 */
export function challengeGuard(
  challenges: Challenges,
  purpose: ChallengePurpose,
  eventIdOf?: (req: FastifyRequest) => string,
): ChallengeGuard {
  return async (req) => {
    const header = req.headers[CHALLENGE_HEADER];
    await challenges.redeem(Array.isArray(header) ? header[0] : header, {
      purpose,
      eventId: eventIdOf?.(req),
    });
  };
}

/**
 * Finds the number for scripts and tests that act as clients (the bench plays tens of thousands of fans),
 * and answers the header value. It hashes with node:crypto, several times faster than the Web Crypto
 * solver a fan's browser runs (altcha-lib's, whose cost the bench measures on its own), yielding to the
 * event loop between runs of hashes.
 */
export async function solveAltcha(challenge: AltchaChallenge): Promise<string> {
  for (let number = 0; number <= challenge.maxnumber; number++) {
    if (sha256Hex(`${challenge.salt}${number}`) === challenge.challenge)
      return encodeAltchaPayload(challenge, number);
    if (number % SOLVE_RUN === SOLVE_RUN - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('The challenge has no solution up to its maxnumber.');
}

/** Hashes tried between two yields to the event loop (a few milliseconds of work). */
const SOLVE_RUN = 2_000;
