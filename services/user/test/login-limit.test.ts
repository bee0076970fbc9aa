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
      loginLimits: { perAccount: 3, perIp: 5, windowMs: 60_000 },
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
  const login = (email: string, password: string, remoteAddress: string, forwardedFor?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress,
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      payload: { email, password },
    });

  it('refuses sign-ins to one account past its limit, from however many addresses they come', async () => {
    const email = newEmail();
    await register(email);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await login(email, `guess-${i}`, `198.51.100.${i + 1}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Even the right password, from yet another address: attempts count, not failures.
    const right = await login(email.toUpperCase(), 'correct-horse-1', '198.51.100.99');
    expect(right.statusCode).toBe(429);
    expect(right.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(right.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
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
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await login(`\uff47${email.slice(1)}`, 'correct-horse-1', '198.51.100.30')).statusCode).toBe(429);
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
    // The sign-in above used one attempt of three.
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await change(`guess-${i}`, `198.51.100.${210 + i}`)).statusCode);
    expect(statuses).toEqual([400, 400, 429]);
    expect((await change('correct-horse-1', '198.51.100.220')).statusCode).toBe(429);
    expect((await login(email, 'correct-horse-1', '198.51.100.221')).statusCode).toBe(429);
  });
});
