import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../src/auth.ts';
import { createRedis } from '../src/redis.ts';
import { sessionRevocations } from '../src/revocations.ts';
import {
  createTestTokens,
  deleteRedisPrefix,
  eventually,
  type TestTokens,
  testConfig,
} from '../src/testing/index.ts';

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
    const refusedAt = Date.now();
    await eventually(
      () =>
        elsewhere.verify(token).then(
          () => Promise.reject(new Error('still accepted')),
          (error: { status?: number }) => expect(error.status).toBe(401),
        ),
      3000,
      50,
    );
    expect(Date.now() - refusedAt).toBeLessThan(1500);
    await expect(elsewhere.verify(other)).resolves.toMatchObject({ role: 'user' });
    expect(await redis.ttl(`revoked-session:${sessionId}`)).toBeGreaterThan(890);
  });

  it('lets a valid token through, without waiting long, while Redis does not answer', async () => {
    const unreachable = createRedis('redis://127.0.0.1:1', config.REDIS_PREFIX);
    try {
      const auth = createAuth({
        jwks: tokens.jwks,
        revocations: sessionRevocations(unreachable, { timeoutMs: 200 }),
      });
      const started = Date.now();
      await expect(
        auth.verify(await tokens.sign({ id: randomUUID() }, { sessionId: randomUUID() })),
      ).resolves.toMatchObject({
        role: 'user',
      });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      unreachable.disconnect();
    }
  });
});
