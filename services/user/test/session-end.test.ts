import { createAuth, createRedis, sessionRevocations } from '@tiketi/kit';
import { challengeHeader, createTcpProxy, eventually } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

type Session = { user: { id: string }; accessToken: string; refreshToken: string };

describe('user service: a session that ends takes its access tokens with it', () => {
  let service: TestUserService;
  let app: typeof service.app;
  let elsewhere: ReturnType<typeof createAuth>;
  beforeAll(async () => {
    service = await startTestUserService('user-session-end');
    ({ app } = service);
    // Another service's token check: its own cache of revocations, the platform's Redis.
    elsewhere = createAuth({ jwks: service.jwks, revocations: sessionRevocations(service.redis) });
  });
  afterAll(() => service.close());

  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });
  const me = (token: string) =>
    app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${token}` } });
  let counter = 0;

  async function register(): Promise<Session> {
    const email = `ended${++counter}-${Date.now()}@example.com`;
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email, password: 'correct-horse-1', name: 'Min-jun Park' },
      headers: await challengeHeader({}, 'register'),
    });
    expect(res.statusCode).toBe(201);
    return res.json<Session>();
  }

  /** Refused within a few seconds by another instance, whose earlier "still valid" answer was cached. */
  const refusedElsewhere = (token: string) =>
    eventually(
      () =>
        elsewhere.verify(token).then(
          () => Promise.reject(new Error('the ended session still works')),
          (error: { status?: number }) => expect(error.status).toBe(401),
        ),
      4000,
      100,
    );

  it('refuses the access token after logout, here at once and at another service within seconds', async () => {
    const session = await register();
    expect((await me(session.accessToken)).statusCode).toBe(200);
    await expect(elsewhere.verify(session.accessToken)).resolves.toMatchObject({ id: session.user.id });
    const other = await register();

    expect((await post('/api/auth/logout', { refreshToken: session.refreshToken })).statusCode).toBe(204);

    const after = await me(session.accessToken);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({
      code: 'UNAUTHORIZED',
      detail: 'This session has ended; sign in again.',
    });
    await refusedElsewhere(session.accessToken);
    // Another session of the platform is untouched.
    expect((await me(other.accessToken)).statusCode).toBe(200);
  });

  it('refuses every access token of a family revoked because a used refresh token came back', async () => {
    const first = await register();
    const second = (await post('/api/auth/refresh', { refreshToken: first.refreshToken })).json<Session>();
    await expect(elsewhere.verify(second.accessToken)).resolves.toMatchObject({ id: first.user.id });

    const replay = await post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

    for (const token of [first.accessToken, second.accessToken]) {
      expect((await me(token)).statusCode).toBe(401);
      await refusedElsewhere(token);
    }
  });
});

describe('user service: a session ended while Redis is away', () => {
  let redisProxy: Awaited<ReturnType<typeof createTcpProxy>>;
  let service: TestUserService;
  let direct: ReturnType<typeof createRedis>;
  beforeAll(async () => {
    // The user service reaches Redis through a connection this test can cut; other services do not.
    redisProxy = await createTcpProxy('127.0.0.1', 6379);
    service = await startTestUserService('user-session-end-outage', {
      redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
    });
    direct = createRedis(service.config.REDIS_URL, service.config.REDIS_PREFIX);
  });
  let cut = false;
  afterAll(async () => {
    // The test file's keys are removed through the service's own connection.
    if (cut) await redisProxy.restore();
    direct.disconnect();
    await service.close();
    await redisProxy.close();
  });

  /** Another service's token check, asking Redis afresh (no answer of its own cached yet). */
  const checkElsewhere = (token: string) =>
    createAuth({ jwks: service.jwks, revocations: sessionRevocations(direct) }).verify(token);

  it('signs out all the same, and ends its access tokens everywhere once Redis is back', async () => {
    const session = (
      await service.post('/api/auth/register', {
        email: `outage-${Date.now()}@example.com`,
        password: 'correct-horse-1',
        name: 'Seo-yeon Lee',
      })
    ).json<Session>();
    await expect(checkElsewhere(session.accessToken)).resolves.toMatchObject({ id: session.user.id });

    await redisProxy.cut();
    cut = true;
    const out = await service.post('/api/auth/logout', { refreshToken: session.refreshToken });
    expect(out.statusCode, out.body).toBe(204);

    await redisProxy.restore();
    cut = false;
    await eventually(
      () =>
        checkElsewhere(session.accessToken).then(
          () => Promise.reject(new Error('the signed-out session still works')),
          (error: { status?: number }) => expect(error.status).toBe(401),
        ),
      10_000,
      200,
    );
  });
});
