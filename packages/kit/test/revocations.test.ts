import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../src/auth.ts';
import type { Logger } from '../src/logger.ts';
import { createRedis } from '../src/redis.ts';
import { sessionRevocations } from '../src/revocations.ts';
import { createTestTokens, deleteRedisPrefix, type TestTokens, testConfig } from '../src/testing/index.ts';

describe('kit auth: sessions ended before their access tokens expire', () => {
  const config = testConfig('kit_revocations');
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  let tokens: TestTokens;
  let elsewhere: ReturnType<typeof createAuth>;
  // Two instances, as the user service (which ends sessions) and a service checking tokens.
  const userService = sessionRevocations(redis, { cacheMs: 500 });
  beforeAll(async () => {
    tokens = await createTestTokens();
    elsewhere = createAuth({
      jwks: tokens.jwks,
      revocations: sessionRevocations(redis, { cacheMs: 500 }),
    });
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_PREFIX);
  });

  it('refuses the access token of an ended session within the cache period, though its verification is remembered', async () => {
    const sessionId = randomUUID();
    const token = await tokens.sign({ id: randomUUID() }, { sessionId });
    const other = await tokens.sign({ id: randomUUID() }, { sessionId: randomUUID() });
    await expect(elsewhere.verify(token)).resolves.toMatchObject({ role: 'user' });

    await userService.revoke(sessionId, 900);
    // Once the instance's memory of the live session (500 ms here) has passed, the next check refuses it.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(elsewhere.verify(token)).rejects.toMatchObject({ status: 401 });
    await expect(elsewhere.verify(other)).resolves.toMatchObject({ role: 'user' });
    expect(await redis.ttl(`revoked-session:${sessionId}`)).toBeGreaterThan(890);
  });

  it('tells which of thousands of sessions ended, whatever the instance remembers of them as live', async () => {
    const checker = sessionRevocations(redis, { cacheMs: 60_000 });
    const sessions = Array.from({ length: 2_500 }, () => randomUUID());
    const ended = [sessions[0], sessions[1_500], sessions[2_499]] as string[];
    for (const sessionId of ended) expect(await checker.isRevoked(sessionId)).toBe(false);
    for (const sessionId of ended) await userService.revoke(sessionId, 900);

    expect([...(await checker.endedAmong(sessions))].sort()).toEqual([...ended].sort());
    // What it read is remembered: the next check of a token of those sessions refuses it at once.
    expect(await checker.isRevoked(ended[0] as string)).toBe(true);
  });

  it('lets a valid token through when Redis does not answer, giving up on Redis after its timeout', async () => {
    const unreachable = createRedis('redis://127.0.0.1:1', config.REDIS_PREFIX);
    const warnings: string[] = [];
    const logger = {
      warn: (fields: { err?: Error }) => warnings.push(fields.err?.message ?? ''),
      info: () => undefined,
    } as unknown as Logger;
    try {
      const auth = createAuth({
        jwks: tokens.jwks,
        revocations: sessionRevocations(unreachable, { timeoutMs: 200, logger }),
      });
      await expect(
        auth.verify(await tokens.sign({ id: randomUUID() }, { sessionId: randomUUID() })),
      ).resolves.toMatchObject({
        role: 'user',
      });
      // It stopped waiting at its own timeout, not at the Redis client's retries.
      expect(warnings).toEqual(['no answer within 200 ms']);
    } finally {
      unreachable.disconnect();
    }
  });
});
