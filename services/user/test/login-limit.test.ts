import { challengeHeader } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

describe('user service: password sign-in limits of its own, whoever reaches it', () => {
  let service: TestUserService;
  let app: typeof service.app;
  beforeAll(async () => {
    // Only loopback is a trusted proxy (the default): the addresses below are clients reaching the service
    // directly, without the gateway.
    service = await startTestUserService('user-login-limit', {
      loginLimits: { perAccount: 3, accountWindowMs: 60_000, perIp: 5, windowMs: 60_000 },
    });
    ({ app } = service);
  });
  afterAll(() => service.close());

  let counter = 0;
  const newEmail = () => `guess${++counter}-${Date.now()}@example.com`;
  const register = async (email: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email, password: 'correct-horse-1', name: 'Target' },
      headers: await challengeHeader({}, 'register'),
    });
    expect(res.statusCode).toBe(201);
  };
  const login = (
    email: string,
    password: string,
    remoteAddress: string,
    forwardedFor?: string,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress,
      headers: { ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}), ...headers },
      payload: { email, password },
    });

  it('asks for a solved challenge past an account’s limit, from however many addresses the sign-ins come', async () => {
    const email = newEmail();
    await register(email);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await login(email, `guess-${i}`, `198.51.100.${i + 1}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 403]);
    // Even the right password, from yet another address: attempts count, not failures.
    const right = await login(email.toUpperCase(), 'correct-horse-1', '198.51.100.99');
    expect(right.statusCode).toBe(403);
    expect(right.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(right.json()).toMatchObject({ status: 403, code: 'CHALLENGE_REQUIRED' });
    expect(right.json<{ detail: string }>().detail).toContain('purpose=login');
    // A guesser pays for every guess: a solution is good once, and only for signing in.
    const solution = await challengeHeader({}, 'login');
    expect((await login(email, 'guess-9', '198.51.100.97', undefined, solution)).statusCode).toBe(401);
    expect((await login(email, 'guess-9', '198.51.100.96', undefined, solution)).json()).toMatchObject({
      code: 'CHALLENGE_FAILED',
    });
    const forRegister = await challengeHeader({}, 'register');
    expect((await login(email, 'guess-9', '198.51.100.95', undefined, forRegister)).statusCode).toBe(403);
    // The owner is not locked out by strangers' guesses: one solved challenge, and in.
    const owner = await login(
      email,
      'correct-horse-1',
      '198.51.100.98',
      undefined,
      await challengeHeader({}, 'login'),
    );
    expect(owner.statusCode).toBe(200);
  });

  it('starts an account’s count over when a sign-in succeeds, so only guesses add up', async () => {
    const email = newEmail();
    await register(email);
    // A fan signing in on every device, more often than the limit, never meets a challenge.
    const signIns = [];
    for (let i = 0; i < 5; i++)
      signIns.push((await login(email, 'correct-horse-1', `198.51.100.${i + 40}`)).statusCode);
    expect(signIns).toEqual([200, 200, 200, 200, 200]);
    // Two typos, then the right password: the typos are forgotten with it.
    const statuses = [];
    for (const [i, password] of [
      'typo-1',
      'typo-2',
      'correct-horse-1',
      'guess-1',
      'guess-2',
      'guess-3',
      'guess-4',
    ].entries())
      statuses.push((await login(email, password, `198.51.100.${i + 50}`)).statusCode);
    expect(statuses).toEqual([401, 401, 200, 401, 401, 401, 403]);
  });

  it('counts every spelling of an address that signs in to the account as that account', async () => {
    const email = newEmail();
    await register(email);
    // Fullwidth letters and stray spaces find the same account at sign-in: they are the same account here.
    const spellings = [
      email,
      ` ${email.toUpperCase()} `,
      `\uff47${email.slice(1)}`,
      `\uff47\uff55${email.slice(2)}`,
    ];
    const statuses = [];
    for (const [i, spelling] of spellings.entries())
      statuses.push((await login(spelling, `guess-${i}`, `198.51.100.${i + 20}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 403]);
    expect((await login(`\uff47${email.slice(1)}`, 'correct-horse-1', '198.51.100.30')).statusCode).toBe(403);
  });

  it("counts an untrusted peer as one client whatever X-Forwarded-For it claims, and a trusted proxy's clients apart", async () => {
    const spoofed = [];
    for (let i = 0; i < 6; i++) {
      const res = await login(newEmail(), 'whatever-1', '203.0.113.50', `192.0.2.${i + 1}`);
      spoofed.push(res.statusCode);
    }
    expect(spoofed).toEqual([401, 401, 401, 401, 401, 429]);
    // Through a trusted proxy (loopback here), each named client has its own count.
    const proxied = [];
    for (let i = 0; i < 6; i++) {
      const res = await login(newEmail(), 'whatever-1', '127.0.0.1', `192.0.2.${100 + i}`);
      proxied.push(res.statusCode);
    }
    expect(proxied).toEqual([401, 401, 401, 401, 401, 401]);
  });

  it('counts guesses of the current password in a password change against the same account', async () => {
    const email = newEmail();
    await register(email);
    const session = (await login(email, 'correct-horse-1', '198.51.100.200')).json<{ accessToken: string }>();
    const change = (currentPassword: string, remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/password/change',
        remoteAddress,
        headers: { authorization: `Bearer ${session.accessToken}` },
        payload: { currentPassword, password: 'brand-new-pass-1' },
      });
    // The sign-in above succeeded, which started the account's count over: three attempts are left.
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await change(`guess-${i}`, `198.51.100.${210 + i}`)).statusCode);
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect((await change('correct-horse-1', '198.51.100.220')).statusCode).toBe(429);
    // A sign-in to the account past its limit asks for a challenge, as any other does.
    expect((await login(email, 'correct-horse-1', '198.51.100.221')).json()).toMatchObject({
      code: 'CHALLENGE_REQUIRED',
    });
  });

  it('starts the count over when a password change proves the password, as a sign-in does', async () => {
    const email = newEmail();
    await register(email);
    const session = (await login(email, 'correct-horse-1', '198.51.100.230')).json<{ accessToken: string }>();
    const change = (currentPassword: string, password: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/password/change',
        remoteAddress: '198.51.100.231',
        headers: { authorization: `Bearer ${session.accessToken}` },
        payload: { currentPassword, password },
      });
    expect((await change('typo-1', 'brand-new-pass-1')).statusCode).toBe(400);
    expect((await change('typo-2', 'brand-new-pass-1')).statusCode).toBe(400);
    expect((await change('correct-horse-1', 'brand-new-pass-1')).statusCode).toBeLessThan(300);
    // Three guesses after it are within the limit again: the typos before the change are forgotten.
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await login(email, `guess-${i}`, `198.51.100.${240 + i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 403]);
  });
});
