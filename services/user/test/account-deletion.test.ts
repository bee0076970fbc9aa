import { sql } from '@tiketi/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

type Session = { user: { id: string; email: string }; accessToken: string; refreshToken: string };

/*
 * What a deletion refuses before it asks the reservation service anything. The deletion itself, with the
 * whole platform, is proved in tests/security/accounts.ts.
 */
describe('user service: deleting one’s own account', () => {
  let service: TestUserService;
  beforeAll(async () => {
    // No reservation service answers here: a deletion that gets as far as asking it is refused (503).
    service = await startTestUserService('user-deletion');
  });
  afterAll(() => service.close());

  let counter = 0;
  async function register(): Promise<Session & { password: string }> {
    const email = `leaving${++counter}-${Date.now()}@example.com`;
    const res = await service.post('/api/auth/register', {
      email,
      password: 'correct-horse-1',
      name: 'Leaver',
    });
    expect(res.statusCode).toBe(201);
    return { ...res.json<Session>(), password: 'correct-horse-1' };
  }
  const remove = (accessToken: string, payload: object) =>
    service.app.inject({
      method: 'DELETE',
      url: '/api/users/me',
      headers: { authorization: `Bearer ${accessToken}` },
      payload,
    });
  const stillThere = async (id: string) =>
    (await service.db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

  it('asks the password again, or the address of an account without one, and refuses an operator', async () => {
    const fan = await register();
    expect(
      (await service.app.inject({ method: 'DELETE', url: '/api/users/me', payload: {} })).statusCode,
    ).toBe(401);
    const missing = await remove(fan.accessToken, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'WRONG_PASSWORD', errors: [{ field: 'body.password' }] });
    const wrong = await remove(fan.accessToken, { password: 'not-it' });
    expect(wrong.json()).toMatchObject({ code: 'WRONG_PASSWORD' });

    const google = await register();
    await service.db
      .updateTable('users')
      .set({ passwordHash: null })
      .where('id', '=', google.user.id)
      .execute();
    const mismatch = await remove(google.accessToken, { email: 'someone-else@example.com' });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json()).toMatchObject({
      code: 'CONFIRMATION_MISMATCH',
      errors: [{ field: 'body.email' }],
    });

    const operator = await register();
    await service.db.updateTable('users').set({ role: 'admin' }).where('id', '=', operator.user.id).execute();
    const refused = await remove(operator.accessToken, { password: operator.password });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'OPERATOR_ACCOUNT' });

    for (const account of [fan, google, operator]) expect(await stillThere(account.user.id)).toBe(true);
  });

  it('deletes nothing when the reservation service cannot say the account holds nothing', async () => {
    const fan = await register();
    const res = await remove(fan.accessToken, { password: fan.password });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(await stillThere(fan.user.id)).toBe(true);
    const { rows } = await sql<{ n: string }>`select count(*) as n from outbox
      where type = 'user.deleted' and envelope->'data'->>'userId' = ${fan.user.id}`.execute(service.db);
    expect(Number(rows[0]?.n)).toBe(0);
    const login = await service.post('/api/auth/login', { email: fan.user.email, password: fan.password });
    expect(login.statusCode).toBe(200);
    expect((await service.post('/api/auth/refresh', { refreshToken: fan.refreshToken })).statusCode).toBe(
      200,
    );
  });
});
