import { randomUUID } from 'node:crypto';
import { type App, sessionRevocations } from '@tiketi/kit';
import {
  createTestTokens,
  openTestInfra,
  type TestTokens,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type EchoService, startEchoService } from './upstreams.ts';

type GatewayInfraSpec = { service: string; redis: true };

describe('gateway rate limits (counted in Redis)', () => {
  const config = testConfig('gw-ratelimit');
  let infra: Awaited<ReturnType<typeof openTestInfra<GatewayInfraSpec, unknown>>>;
  let tokens: TestTokens;
  let user: EchoService;
  let queue: EchoService;
  let event: EchoService;
  let gateways: App[];
  let first: App;
  let second: App;
  const limits = { windowMs: 2000, auth: 3, password: 2, queueJoin: 2, general: 5 };
  beforeAll(async () => {
    infra = await openTestInfra<GatewayInfraSpec, unknown>({ service: 'gateway', redis: true }, config);
    tokens = await createTestTokens();
    user = await startEchoService('user');
    queue = await startEchoService('queue');
    event = await startEchoService('event');
    // Two gateway instances sharing one Redis: a client cannot double its budget by switching instance.
    gateways = await Promise.all(
      [1, 2].map(() =>
        buildApp({
          logger: testLogger(),
          jwks: tokens.jwks,
          redis: infra.redis,
          rateLimits: limits,
          upstreams: { user: user.url, queue: queue.url, event: event.url, reservation: event.url },
        }),
      ),
    );
    [first, second] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all([user.close(), queue.close(), event.close()]);
    await infra.cleanup();
  });

  const login = (app: typeof first) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@b.c', password: 'x' } });

  it('answers 429 problem+json with Retry-After past the limit, across instances, then recovers', async () => {
    const statuses = [];
    for (const app of [first, second, first]) statuses.push((await login(app)).statusCode);
    expect(statuses).toEqual([200, 200, 200]);

    const refused = await login(second);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const keys = await infra.redis.keys(`${config.REDIS_PREFIX}ratelimit:*`);
    expect(keys.length).toBeGreaterThan(0);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
    expect((await login(first)).statusCode).toBe(200);
  });

  it('counts password requests per IP apart from sign-in, so reset mail stays few and cannot use up sign-ins', async () => {
    const post = (url: string) =>
      second.inject({ method: 'POST', url, payload: { email: 'a@b.c' }, remoteAddress: '198.51.100.9' });
    // Every password route shares the one count, whichever the caller picks, signed out as a mail's link is.
    const statuses = [];
    for (const url of ['/api/auth/password/forgot', '/api/auth/password/reset/check'])
      statuses.push((await post(url)).statusCode);
    expect(statuses).toEqual(Array(limits.password).fill(200));
    const refused = await post('/api/auth/password/reset');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-ratelimit-limit']).toBe(String(limits.password));
    // Signing in and signing up from the address count on their own.
    const signIn = await post('/api/auth/login');
    expect(signIn.statusCode).toBe(200);
    expect(signIn.headers['x-ratelimit-limit']).toBe(String(limits.auth));
    expect((await post('/api/auth/register')).statusCode).toBe(200);
  });

  it('counts each signed-in user separately on the queue join limit', async () => {
    const eventId = randomUUID();
    const join = async (token: string) =>
      (
        await first.inject({
          method: 'POST',
          url: `/api/queue/${eventId}/join`,
          headers: { authorization: `Bearer ${token}` },
        })
      ).statusCode;
    const alice = await tokens.sign({ id: randomUUID() });
    const bob = await tokens.sign({ id: randomUUID() });
    expect([await join(alice), await join(alice), await join(alice)]).toEqual([200, 200, 429]);
    expect(await join(bob)).toBe(200);
  });

  it('counts a join sent with a trailing slash on the join limit, not the general one', async () => {
    const eventId = randomUUID();
    const carol = await tokens.sign({ id: randomUUID() });
    const join = async (path: string) => {
      const res = await first.inject({
        method: 'POST',
        url: path,
        headers: { authorization: `Bearer ${carol}` },
      });
      return [res.statusCode, res.headers['x-ratelimit-limit']];
    };
    expect(await join(`/api/queue/${eventId}/join/`)).toEqual([200, String(limits.queueJoin)]);
    expect(await join(`/api/queue/${eventId}/join`)).toEqual([200, String(limits.queueJoin)]);
    expect((await join(`/api/queue/${eventId}/join/`))[0]).toBe(429);
  });

  it('counts requests refused for their token, so forged tokens cannot be tried without limit', async () => {
    const forged = `${await tokens.sign({ id: randomUUID() })}x`;
    const statuses = [];
    for (let i = 0; i < limits.general + 1; i++) {
      const res = await second.inject({
        url: '/api/reservations',
        headers: { authorization: `Bearer ${forged}` },
        remoteAddress: '203.0.113.21',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([...Array(limits.general).fill(401), 429]);
    // Without a token at all, on a route that needs one, likewise.
    const bare = [];
    for (let i = 0; i < limits.general + 1; i++) {
      bare.push(
        (await second.inject({ url: '/api/reservations', remoteAddress: '203.0.113.22' })).statusCode,
      );
    }
    expect(bare).toEqual([...Array(limits.general).fill(401), 429]);
  });

  it('limits anonymous callers per IP on the general group', async () => {
    const statuses = [];
    for (let i = 0; i < limits.general + 1; i++) {
      statuses.push((await second.inject({ url: '/api/events', remoteAddress: '203.0.113.7' })).statusCode);
    }
    expect(statuses.slice(0, limits.general).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const otherIp = await second.inject({ url: '/api/events', remoteAddress: '203.0.113.8' });
    expect(otherIp.statusCode).toBe(200);
  });

  it('refuses an ended session with 401 even past its rate limit, and counts a live one', async () => {
    // The limit is counted at the same time as the session is looked up: the ended session must still
    // be what the caller is told, and the count must still land on the caller's own key.
    const revocations = sessionRevocations(infra.redis);
    const guarded = await buildApp({
      logger: testLogger(),
      jwks: tokens.jwks,
      redis: infra.redis,
      revocations,
      rateLimits: limits,
      upstreams: { queue: queue.url },
    });
    try {
      const eventId = randomUUID();
      const sessionId = randomUUID();
      const token = await tokens.sign({ id: randomUUID() }, { sessionId });
      const join = async () => {
        const res = await guarded.inject({
          method: 'POST',
          url: `/api/queue/${eventId}/join`,
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.statusCode, code: res.statusCode === 200 ? undefined : res.json().code };
      };
      expect([await join(), await join(), await join()]).toEqual([
        { status: 200, code: undefined },
        { status: 200, code: undefined },
        { status: 429, code: 'RATE_LIMITED' },
      ]);
      await revocations.revoke(sessionId, 60);
      expect(await join()).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    } finally {
      await guarded.close();
    }
  });
});
