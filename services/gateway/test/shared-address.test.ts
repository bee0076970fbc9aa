import type { App } from '@tiketi/kit';
import { challengeHeader, listenOnLoopback, testLogger } from '@tiketi/kit/testing';
import { defaultLoginLimits } from '@tiketi/user/app';
import { startTestUserService, type TestUserService } from '@tiketi/user/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';

/**
 * Carrier-grade NAT puts many mobile fans behind one address, and a venue's, campus's or office's Wi-Fi
 * does the same: at a drop they all sign in within the same minute. Here the gateway and the user service
 * both run with the limits they ship with.
 */
describe('fans sharing one address sign in at a drop, through the gateway and the user service', () => {
  let service: TestUserService;
  let gateway: App;
  beforeAll(async () => {
    service = await startTestUserService('gw-shared-address', { loginLimits: defaultLoginLimits });
    gateway = await buildApp({
      logger: testLogger(),
      jwks: service.jwks,
      redis: service.redis,
      upstreams: { user: await listenOnLoopback(service.app) },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await service.close();
  });

  let counter = 0;
  const PASSWORD = 'correct-horse-1';
  const fans = async (count: number) => {
    const emails = Array.from({ length: count }, () => `fan${++counter}-${Date.now()}@example.com`);
    for (const email of emails) {
      const res = await service.post('/api/auth/register', { email, password: PASSWORD, name: 'Fan' });
      expect(res.statusCode).toBe(201);
    }
    return emails;
  };
  const login = (address: string, email: string, password = PASSWORD, headers: Record<string, string> = {}) =>
    gateway.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: address,
      headers,
      payload: { email, password },
    });
  const statusesOf = async (requests: (() => Promise<{ statusCode: number }>)[]) => {
    const statuses = [];
    for (const request of requests) statuses.push((await request()).statusCode);
    return statuses;
  };

  it('signs in sixty fans of one address within a minute, and refuses that address only past them', async () => {
    const emails = await fans(61);
    const statuses = await statusesOf(emails.map((email) => () => login('198.51.100.10', email)));
    expect(statuses.slice(0, 60)).toEqual(Array(60).fill(200));
    // One address spraying sign-ins over many accounts still meets a limit.
    expect(statuses[60]).toBe(429);
    expect((await login('198.51.100.11', emails[60] as string)).statusCode).toBe(200);
  });

  it('slows a guesser at one account with a challenge per guess, and leaves the other fans of the address alone', async () => {
    const [victim, ...others] = await fans(4);
    const guesses = await statusesOf(
      Array.from({ length: 15 }, (_, i) => () => login('198.51.100.20', victim as string, `guess-${i}`)),
    );
    // A few free guesses per account, then each one needs a solved challenge: more are never free.
    expect(guesses).toEqual([...Array(5).fill(401), ...Array(10).fill(403)]);
    const refused = await login('198.51.100.20', victim as string, 'guess-x');
    expect(refused.json()).toMatchObject({ status: 403, code: 'CHALLENGE_REQUIRED' });
    expect(await statusesOf(others.map((email) => () => login('198.51.100.20', email)))).toEqual([
      200, 200, 200,
    ]);
    // The owner, at the same address as the guesser, is not locked out: one solved challenge, and in.
    const solved = await login(
      '198.51.100.20',
      victim as string,
      PASSWORD,
      await challengeHeader({}, 'login'),
    );
    expect(solved.statusCode).toBe(200);
    // Signing in started the account's count over: the owner's next sign-in needs no challenge.
    expect((await login('198.51.100.21', victim as string)).statusCode).toBe(200);
  });

  it('keeps password-reset requests of one address few, without refusing its sign-ins', async () => {
    const [email] = await fans(1);
    const forgot = () =>
      gateway.inject({
        method: 'POST',
        url: '/api/auth/password/forgot',
        remoteAddress: '198.51.100.30',
        payload: { email: `someone${++counter}@example.com` },
      });
    const statuses = await statusesOf(Array.from({ length: 11 }, () => forgot));
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
    expect((await login('198.51.100.30', email as string)).statusCode).toBe(200);
  });
});
