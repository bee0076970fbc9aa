import { sql } from '@tiketi/kit';
import { eventually, testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailTokenRepository } from '../src/db/email-token.repository.ts';
import { sessionRepository } from '../src/db/session.repository.ts';
import { sessionCleanup } from '../src/domain/session-cleanup.ts';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

type Session = {
  user: { id: string; email: string; emailVerified: boolean };
  accessToken: string;
  refreshToken: string;
};

describe('user service: a forgotten password, and a changed one', () => {
  let service: TestUserService;
  let app: typeof service.app;
  let db: typeof service.db;
  beforeAll(async () => {
    service = await startTestUserService('user-passwords');
    ({ app, db } = service);
  });
  afterAll(() => service.close());

  const post = (url: string, payload: object) => service.post(url, payload);
  const me = (accessToken: string) =>
    app.inject({ method: 'GET', url: '/api/users/me', headers: { authorization: `Bearer ${accessToken}` } });
  let counter = 0;
  const newEmail = () => `forgetful${++counter}-${Date.now()}@example.com`;

  async function register(email = newEmail(), password = 'correct-horse-1') {
    const res = await post('/api/auth/register', { email, password, name: 'Min-ji Park' });
    expect(res.statusCode).toBe(201);
    return res.json<Session>();
  }

  /** Asks for a reset link as the forgot page does, and waits for the mail's token to be announced. */
  async function resetLink(user: Session['user']): Promise<string> {
    const before = await service.resetToken(user.id);
    const asked = await post('/api/auth/password/forgot', { email: user.email.toUpperCase() });
    expect(asked.statusCode).toBe(202);
    return eventually(async () => {
      const token = await service.resetToken(user.id);
      if (!token || token === before) throw new Error('no reset mail announced yet');
      return token;
    });
  }

  /** Lets the account ask for another link at once (the service allows one a minute). */
  const forgetAsking = (userId: string) => service.redis.del(`password-reset:asked:${userId}`);
  /** What the outbox told of a user's password changes (the time left out). */
  const passwordChanges = async (userId: string) => {
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.password_changed' and envelope->'data'->>'userId' = ${userId}`.execute(service.db);
    return rows.map(({ data: { at: _at, ...rest } }) => rest);
  };

  /** What the outbox told of the moment a user's address was proved. */
  const proofs = async (userId: string) => {
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.email_verified' and envelope->'data'->>'userId' = ${userId}`.execute(service.db);
    return rows.map(({ data }) => data);
  };

  it('mails the owner a one-time link and answers alike for an address nobody has', async () => {
    const { user } = await register();
    const token = await resetLink(user);
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.password_reset_requested' and envelope->'data'->>'userId' = ${user.id}`.execute(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toMatchObject({ email: user.email, locale: 'ko', token });
    const expiresAt = Date.parse(String(rows[0]?.data.expiresAt));
    expect(expiresAt - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    const stored = await db
      .selectFrom('emailTokens')
      .select(['tokenHash', 'purpose'])
      .where('userId', '=', user.id)
      .where('purpose', '=', 'reset')
      .execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tokenHash).not.toContain(token);

    const nobody = newEmail();
    const known = await post('/api/auth/password/forgot', { email: user.email });
    const unknown = await post('/api/auth/password/forgot', { email: nobody });
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    const malformed = await post('/api/auth/password/forgot', { email: 'not an address' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ errors: [{ field: 'body.email' }] });
    // The known address asked again within the minute: no second mail. Nothing at all for the unknown one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows: mails } = await sql<{
      email: string;
    }>`select envelope->'data'->>'email' as email from outbox
      where type = 'user.password_reset_requested'
      and envelope->'data'->>'email' in (${user.email}, ${nobody})`.execute(db);
    expect(mails).toEqual([{ email: user.email }]);
  });

  it('lets an operator mail a fan the link, saying where it went, or that one went out a moment ago', async () => {
    const fan = await register();
    const { user } = fan;
    const operatorEmail = newEmail();
    const operator = await register(operatorEmail);
    await db.updateTable('users').set({ role: 'admin' }).where('id', '=', operator.user.id).execute();
    const adminToken = (
      await post('/api/auth/login', { email: operatorEmail, password: 'correct-horse-1' })
    ).json<Session>().accessToken;
    const send = (id: string, token = adminToken) =>
      app.inject({
        method: 'POST',
        url: `/api/users/${id}/password-reset`,
        headers: { authorization: `Bearer ${token}` },
      });

    expect((await send(user.id, fan.accessToken)).statusCode).toBe(403);
    const sent = await send(user.id.toUpperCase());
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toEqual({ sentTo: user.email });
    expect(await service.resetToken(user.id)).toBeDefined();
    const again = await send(user.id);
    expect(again.statusCode).toBe(429);
    expect(again.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await send('01936b2a-0000-7000-8000-0000000000ff')).statusCode).toBe(404);
  });

  it('sets the new password, proves the address, signs in and ends every other session', async () => {
    const email = newEmail();
    const registered = await register(email, 'old-password-1');
    expect(registered.user.emailVerified).toBe(false);
    const other = (await post('/api/auth/login', { email, password: 'old-password-1' })).json<Session>();
    const token = await resetLink(registered.user);

    const reset = await post('/api/auth/password/reset', { token, password: 'new-password-2' });
    expect(reset.statusCode).toBe(200);
    const session = reset.json<Session>();
    expect(session.user).toMatchObject({ id: registered.user.id, emailVerified: true });
    expect((await me(session.accessToken)).statusCode).toBe(200);

    expect((await post('/api/auth/login', { email, password: 'old-password-1' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email, password: 'new-password-2' })).statusCode).toBe(200);
    for (const ended of [registered, other]) {
      const refreshed = await post('/api/auth/refresh', { refreshToken: ended.refreshToken });
      expect(refreshed.statusCode).toBe(401);
      expect((await me(ended.accessToken)).statusCode).toBe(401);
    }
    const fresh = await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(fresh.statusCode).toBe(200);
    expect(await passwordChanges(registered.user.id)).toEqual([
      { userId: registered.user.id, email, name: 'Min-ji Park', locale: 'ko', how: 'reset' },
    ]);
    // The link reached the address: its owner is welcomed now, once, as after the verification link.
    expect(await proofs(registered.user.id)).toEqual([
      { userId: registered.user.id, email, name: 'Min-ji Park', locale: 'ko' },
    ]);
    await forgetAsking(registered.user.id);
    const again = await resetLink(registered.user);
    expect(
      (await post('/api/auth/password/reset', { token: again, password: 'new-password-3' })).statusCode,
    ).toBe(200);
    expect(await proofs(registered.user.id)).toHaveLength(1);
  });

  it('uses a link once, and an older link stops working once a newer one was used', async () => {
    const email = newEmail();
    const { user } = await register(email);
    const older = await resetLink(user);
    await forgetAsking(user.id);
    const newer = await resetLink(user);
    expect(newer).not.toBe(older);

    expect(
      (await post('/api/auth/password/reset', { token: newer, password: 'second-try-22' })).statusCode,
    ).toBe(200);
    const again = await post('/api/auth/password/reset', { token: newer, password: 'third-try-333' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'RESET_TOKEN_USED' });
    const stale = await post('/api/auth/password/reset', { token: older, password: 'third-try-333' });
    expect(stale.statusCode).toBe(409);
    expect((await post('/api/auth/login', { email, password: 'second-try-22' })).statusCode).toBe(200);
  });

  it('refuses expired, unknown and malformed links and weak passwords, changing nothing', async () => {
    const email = newEmail();
    const { user } = await register(email);
    const token = await resetLink(user);

    const weak = await post('/api/auth/password/reset', { token, password: email });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ errors: [{ field: 'body.password' }] });
    const short = await post('/api/auth/password/reset', { token, password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ errors: [{ field: 'body.password' }] });
    const malformed = await post('/api/auth/password/reset', { token: 'x', password: 'fine-password-1' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ errors: [{ field: 'body.token' }] });
    const unknown = await post('/api/auth/password/reset', {
      token: `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`,
      password: 'fine-password-1',
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
    // A verification link is not a reset link.
    const verification = await service.verificationToken(user.id);
    const crossed = await post('/api/auth/password/reset', {
      token: verification,
      password: 'fine-password-1',
    });
    expect(crossed.json()).toMatchObject({ code: 'RESET_TOKEN_INVALID' });

    await db
      .updateTable('emailTokens')
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('userId', '=', user.id)
      .where('purpose', '=', 'reset')
      .execute();
    const expired = await post('/api/auth/password/reset', { token, password: 'fine-password-1' });
    expect(expired.statusCode).toBe(410);
    expect(expired.json()).toMatchObject({ code: 'RESET_TOKEN_EXPIRED' });

    // Nothing changed: the old password still signs in, and the address is still unproved.
    const login = await post('/api/auth/login', { email, password: 'correct-horse-1' });
    expect(login.statusCode).toBe(200);
    expect(login.json<Session>().user.emailVerified).toBe(false);
  });

  describe('checking a link before the fan types a new password', () => {
    const check = (payload: object) => post('/api/auth/password/reset/check', payload);
    /** A refusal as the caller reads it: the path it answered is all that may differ from the reset's. */
    const refusal = (res: Awaited<ReturnType<typeof check>>) => {
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      const { instance: _instance, ...problem } = res.json<Record<string, unknown>>();
      return { status: res.statusCode, ...problem };
    };
    /** What the check and then the reset answer the same token. */
    const bothAnswer = async (token: string) => [
      refusal(await check({ token })),
      refusal(await post('/api/auth/password/reset', { token, password: 'fine-password-1' })),
    ];

    it('answers 204 for a fresh link, however often, and the link still sets the password after', async () => {
      const email = newEmail();
      const { user } = await register(email);
      const token = await resetLink(user);
      // A page opened twice (a reload) checks twice: neither check uses the link up or changes the account.
      for (let i = 0; i < 2; i++) {
        const fresh = await check({ token });
        expect(fresh.statusCode).toBe(204);
        expect(fresh.body).toBe('');
      }
      const login = await post('/api/auth/login', { email, password: 'correct-horse-1' });
      expect(login.statusCode).toBe(200);
      expect(login.json<Session>().user.emailVerified).toBe(false);
      expect(await passwordChanges(user.id)).toEqual([]);
      const reset = await post('/api/auth/password/reset', { token, password: 'new-password-2' });
      expect(reset.statusCode).toBe(200);
      expect((await post('/api/auth/login', { email, password: 'new-password-2' })).statusCode).toBe(200);
    });

    it('refuses a used, an expired and an unknown link exactly as the reset would', async () => {
      const { user } = await register();
      const used = await resetLink(user);
      expect(
        (await post('/api/auth/password/reset', { token: used, password: 'new-password-2' })).statusCode,
      ).toBe(200);
      const [usedAtCheck, usedAtReset] = await bothAnswer(used);
      expect(usedAtCheck).toMatchObject({ status: 409, code: 'RESET_TOKEN_USED' });
      expect(usedAtCheck).toEqual(usedAtReset);

      await forgetAsking(user.id);
      const expired = await resetLink(user);
      await db
        .updateTable('emailTokens')
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where('userId', '=', user.id)
        .where('purpose', '=', 'reset')
        .where('usedAt', 'is', null)
        .execute();
      const [expiredAtCheck, expiredAtReset] = await bothAnswer(expired);
      expect(expiredAtCheck).toMatchObject({ status: 410, code: 'RESET_TOKEN_EXPIRED' });
      expect(expiredAtCheck).toEqual(expiredAtReset);

      const unknown = `${expired.slice(0, 42)}${expired.endsWith('A') ? 'B' : 'A'}`;
      const [unknownAtCheck, unknownAtReset] = await bothAnswer(unknown);
      expect(unknownAtCheck).toMatchObject({ status: 400, code: 'RESET_TOKEN_INVALID' });
      expect(unknownAtCheck).toEqual(unknownAtReset);
      // A verification link is not a reset link, here either.
      const crossed = await check({ token: await service.verificationToken(user.id) });
      expect(refusal(crossed)).toMatchObject({ status: 400, code: 'RESET_TOKEN_INVALID' });
    });

    it('answers 400 problem+json naming the token for a body without a well-formed one', async () => {
      for (const payload of [{ token: 'x' }, {}, { token: 42 }]) {
        const malformed = await check(payload);
        expect(malformed.statusCode).toBe(400);
        expect(refusal(malformed)).toMatchObject({ status: 400, errors: [{ field: 'body.token' }] });
      }
    });
  });

  it('changes the password with the current one, ending every session but handing this one a new pair', async () => {
    const email = newEmail();
    const registered = await register(email, 'old-password-1');
    const other = (await post('/api/auth/login', { email, password: 'old-password-1' })).json<Session>();
    const change = (accessToken: string, payload: object) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/password/change',
        headers: { authorization: `Bearer ${accessToken}` },
        payload,
      });
    const anonymous = await post('/api/auth/password/change', {
      currentPassword: 'old-password-1',
      password: 'new-password-2',
    });
    expect(anonymous.statusCode).toBe(401);
    const wrong = await change(registered.accessToken, {
      currentPassword: 'nope',
      password: 'new-password-2',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({
      code: 'WRONG_PASSWORD',
      errors: [{ field: 'body.currentPassword' }],
    });
    const weak = await change(registered.accessToken, { currentPassword: 'old-password-1', password: email });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ errors: [{ field: 'body.password' }] });
    expect((await post('/api/auth/login', { email, password: 'old-password-1' })).statusCode).toBe(200);

    const changed = await change(registered.accessToken, {
      currentPassword: 'old-password-1',
      password: 'new-password-2',
    });
    expect(changed.statusCode).toBe(200);
    const session = changed.json<Session>();
    // A change proves nothing about the address, unlike a reset link.
    expect(session.user).toMatchObject({ id: registered.user.id, emailVerified: false });
    expect((await me(session.accessToken)).statusCode).toBe(200);
    for (const ended of [registered, other]) {
      expect((await post('/api/auth/refresh', { refreshToken: ended.refreshToken })).statusCode).toBe(401);
      expect((await me(ended.accessToken)).statusCode).toBe(401);
    }
    expect((await post('/api/auth/login', { email, password: 'old-password-1' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email, password: 'new-password-2' })).statusCode).toBe(200);
    // The owner is told, in the transaction that changed it: once, for the change that was made.
    expect(await passwordChanges(registered.user.id)).toEqual([
      { userId: registered.user.id, email, name: 'Min-ji Park', locale: 'ko', how: 'change' },
    ]);
  });

  it('ends the reset links mailed before a change, so none sets a password past it', async () => {
    const email = newEmail();
    const registered = await register(email, 'old-password-1');
    const link = await resetLink(registered.user);
    const changed = await app.inject({
      method: 'POST',
      url: '/api/auth/password/change',
      headers: { authorization: `Bearer ${registered.accessToken}` },
      payload: { currentPassword: 'old-password-1', password: 'new-password-2' },
    });
    expect(changed.statusCode).toBe(200);
    const checked = await post('/api/auth/password/reset/check', { token: link });
    expect(checked.statusCode).toBe(409);
    expect(checked.json()).toMatchObject({ code: 'RESET_TOKEN_USED' });
    const reset = await post('/api/auth/password/reset', { token: link, password: 'someone-else-3' });
    expect(reset.statusCode).toBe(409);
    expect((await post('/api/auth/login', { email, password: 'someone-else-3' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email, password: 'new-password-2' })).statusCode).toBe(200);
  });

  it('sends an account without a password to the mail to set its first one', async () => {
    const { user, accessToken } = await register();
    await db.updateTable('users').set({ passwordHash: null }).where('id', '=', user.id).execute();
    const change = await app.inject({
      method: 'POST',
      url: '/api/auth/password/change',
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { currentPassword: 'correct-horse-1', password: 'new-password-2' },
    });
    expect(change.statusCode).toBe(409);
    expect(change.json()).toMatchObject({ code: 'NO_PASSWORD' });
    const stored = await db
      .selectFrom('users')
      .select('passwordHash')
      .where('id', '=', user.id)
      .executeTakeFirst();
    expect(stored).toEqual({ passwordHash: null });
  });

  it('forgets mailed links a day after they expired, and keeps younger ones', async () => {
    const { user } = await register();
    const token = await resetLink(user);
    const expire = (ms: number) =>
      db
        .updateTable('emailTokens')
        .set({ expiresAt: new Date(Date.now() - ms) })
        .where('userId', '=', user.id)
        .execute();
    const cleanup = sessionCleanup(
      { sessions: sessionRepository(db), tokens: emailTokenRepository(db) },
      { logger: testLogger() },
    );
    await expire(3_600_000);
    await cleanup.runNow();
    const kept = await db.selectFrom('emailTokens').select('purpose').where('userId', '=', user.id).execute();
    expect(kept.map((row) => row.purpose).sort()).toEqual(['reset', 'verify']);
    await expire(25 * 3_600_000);
    await cleanup.runNow();
    expect(
      await db.selectFrom('emailTokens').select('purpose').where('userId', '=', user.id).execute(),
    ).toEqual([]);
    // A forgotten link answers as one never issued.
    const late = await post('/api/auth/password/reset', { token, password: 'fine-password-1' });
    expect(late.json()).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
  });
});
