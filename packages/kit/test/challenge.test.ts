import { randomUUID } from 'node:crypto';
import { encodeAltchaPayload } from '@tiketi/contracts';
import { createChallenge, solveChallenge, verifySolution } from 'altcha-lib/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { createChallenges, issueChallenge, solveAltcha } from '../src/challenge.ts';
import { createRedis } from '../src/redis.ts';
import { deleteRedisPrefix, testConfig } from '../src/testing/index.ts';

/**
 * The challenges are ALTCHA's proof of work as altcha-lib defines it (the web app solves them with
 * altcha-lib's workers), computed here with node:crypto: each side must accept what the other makes.
 */
describe('kit challenges: the same proof of work as altcha-lib', () => {
  const config = testConfig('kit_challenge');
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  const key = { hmacKey: 'kit-challenge-test-key', ttlSeconds: 60 };
  const challenges = createChallenges({ ...key, redis });

  afterAll(async () => {
    redis.disconnect();
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_PREFIX);
  });

  it("issues challenges that altcha-lib's solver solves and its verifier accepts, expiry included", async () => {
    const eventId = randomUUID();
    const challenge = issueChallenge(key, { purpose: 'join', eventId }, 2_000);
    expect(challenge).toMatchObject({ algorithm: 'SHA-256', maxnumber: 2_000 });
    expect(challenge.salt).toMatch(new RegExp(`\\?purpose=join&eventId=${eventId}&expires=\\d+&$`));

    const solution = await solveChallenge(challenge.challenge, challenge.salt, 'SHA-256', 2_000).promise;
    expect(solution).not.toBeNull();
    const header = encodeAltchaPayload(challenge, solution!.number);
    expect(await verifySolution(header, key.hmacKey, true)).toBe(true);
    expect(await verifySolution(header, 'another-key', true)).toBe(false);
    // And the kit's own solver finds the same number.
    expect(await solveAltcha(challenge)).toBe(header);
    await expect(challenges.redeem(header, { purpose: 'join', eventId })).resolves.toBeUndefined();
  });

  it("redeems a solution to altcha-lib's challenge signed with the same key, and nothing altered", async () => {
    const eventId = randomUUID();
    const made = await createChallenge({
      hmacKey: key.hmacKey,
      maxNumber: 1_000,
      params: { purpose: 'join', eventId },
      expires: new Date(Date.now() + 60_000),
    });
    const challenge = { ...made, algorithm: 'SHA-256' as const, maxnumber: 1_000 };
    const header = await solveAltcha(challenge);
    const { number } = JSON.parse(atob(header)) as { number: number };
    const binding = { purpose: 'join' as const, eventId };

    const altered = {
      'a wrong number': encodeAltchaPayload(challenge, number + 1),
      'another salt': encodeAltchaPayload({ ...challenge, salt: `0${challenge.salt}` }, number),
      'a signature of another key': encodeAltchaPayload(
        { ...challenge, signature: issueChallenge({ ...key, hmacKey: 'x' }, binding, 1_000).signature },
        number,
      ),
      'a shorter signature': encodeAltchaPayload(
        { ...challenge, signature: challenge.signature.slice(0, 62) },
        number,
      ),
    };
    for (const [what, value] of Object.entries(altered)) {
      await expect(challenges.redeem(value, binding), what).rejects.toMatchObject({
        status: 403,
        code: 'CHALLENGE_FAILED',
      });
    }
    await expect(challenges.redeem(header, binding)).resolves.toBeUndefined();
    await expect(challenges.redeem(header, binding)).rejects.toMatchObject({ code: 'CHALLENGE_FAILED' });
  });
});
