import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_FAN, seedDemoUsers } from '../src/seed.ts';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

/* Operators create door-staff accounts; staff sign in with the staff role and reach no operator route. */
describe('door-staff accounts', () => {
  let service: TestUserService;
  let admin: string;
  beforeAll(async () => {
    service = await startTestUserService('user-staff');
    await seedDemoUsers(service.db, service.hasher, { email: 'ops@tiketi.test', password: 'ops-password-1' });
    admin = (await login('ops@tiketi.test', 'ops-password-1')).json().accessToken as string;
  });
  afterAll(() => service?.close());

  const login = async (email: string, password: string) =>
    service.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const create = (token: string, payload: object) =>
    service.app.inject({ method: 'POST', url: '/api/users/staff', headers: bearer(token), payload });

  it('creates a verified staff account that signs in with the staff role', async () => {
    const res = await create(admin, {
      email: ' Door1@Example.com ',
      password: 'door-password-1',
      name: '입구 1',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ email: 'door1@example.com', role: 'staff', emailVerified: true });
    const session = await login('door1@example.com', 'door-password-1');
    expect(session.statusCode).toBe(200);
    expect(decodeJwt(session.json().accessToken)).toMatchObject({ role: 'staff', email_verified: true });

    // The other tests make staff accounts too: the list holds this one, and staff only.
    const listed = await service.app.inject({ url: '/api/users?role=staff', headers: bearer(admin) });
    const items = (listed.json() as { items: { email: string; role: string }[] }).items;
    expect(items.map((u) => u.email)).toContain('door1@example.com');
    expect(items.every((u) => u.role === 'staff')).toBe(true);
  });

  it('refuses a taken address with its own code, and a weak password', async () => {
    await create(admin, { email: 'door2@example.com', password: 'door-password-2', name: 'B' });
    const again = await create(admin, { email: 'door2@example.com', password: 'door-password-3', name: 'B' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('EMAIL_TAKEN');
    const weak = await create(admin, { email: 'door3@example.com', password: 'short', name: 'C' });
    expect(weak.statusCode).toBe(400);
  });

  it('lets neither a fan nor staff create staff or look users up', async () => {
    await create(admin, { email: 'door4@example.com', password: 'door-password-4', name: 'D' });
    const staff = (await login('door4@example.com', 'door-password-4')).json().accessToken as string;
    const fan = (await login(DEMO_FAN.email, DEMO_FAN.password)).json().accessToken as string;
    for (const token of [staff, fan]) {
      const made = await create(token, {
        email: 'door5@example.com',
        password: 'door-password-5',
        name: 'E',
      });
      expect(made.statusCode).toBe(403);
      expect((await service.app.inject({ url: '/api/users', headers: bearer(token) })).statusCode).toBe(403);
    }
  });
});
