import { createAuth, sql } from '@tiketi/kit';
import { challengeHeader } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionRepository } from '../src/db/session.repository.ts';
import { signingKeyRepository } from '../src/db/signing-key.repository.ts';
import { databaseKeyStore, envKeyStore, generateSigningKey } from '../src/domain/signing-keys.ts';
import { seedDemoUsers } from '../src/seed.ts';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

type Session = {
  user: {
    id: string;
    email: string;
    name: string;
    role: string;
    locale: string;
    emailVerified: boolean;
    createdAt: string;
  };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
};

describe('user service: accounts, sessions and profiles', () => {
  let service: TestUserService;
  let app: typeof service.app;
  let db: typeof service.db;
  beforeAll(async () => {
    service = await startTestUserService('user-auth');
    ({ app, db } = service);
  });
  afterAll(() => service.close());

  const post = (url: string, payload: object) => service.post(url, payload);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  let counter = 0;
  const newEmail = () => `fan${++counter}-${Date.now()}@example.com`;

  async function register(email = newEmail(), password = 'correct-horse-1') {
    const res = await post('/api/auth/register', { email, password, name: 'Ji-eun Lee' });
    expect(res.statusCode).toBe(201);
    return res.json<Session>();
  }

  it('registers, logs in, reads me, refreshes, refuses the old refresh token and logs out', async () => {
    const email = newEmail();
    const registered = await register(email);
    expect(registered.user).toMatchObject({ email, name: 'Ji-eun Lee', role: 'user', locale: 'ko' });
    expect(registered.user).not.toHaveProperty('passwordHash');
    expect(registered.expiresIn).toBe(900);

    const login = await post('/api/auth/login', { email, password: 'correct-horse-1' });
    expect(login.statusCode).toBe(200);
    const session = login.json<Session>();
    expect(session.user.id).toBe(registered.user.id);

    const me = await app.inject({ url: '/api/users/me', headers: bearer(session.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(registered.user);

    const refreshed = await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(refreshed.statusCode).toBe(200);
    const next = refreshed.json<Session>();
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect(next.user.id).toBe(registered.user.id);
    const meAgain = await app.inject({ url: '/api/users/me', headers: bearer(next.accessToken) });
    expect(meAgain.statusCode).toBe(200);

    const old = await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(old.statusCode).toBe(401);

    const other = await post('/api/auth/login', { email, password: 'correct-horse-1' });
    const otherSession = other.json<Session>();
    const logout = await post('/api/auth/logout', { refreshToken: otherSession.refreshToken });
    expect(logout.statusCode).toBe(204);
    const afterLogout = await post('/api/auth/refresh', { refreshToken: otherSession.refreshToken });
    expect(afterLogout.statusCode).toBe(401);
    expect(afterLogout.json()).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
  });

  it('refreshes when the signing key is due to be read from the database again', async () => {
    const { refreshToken } = await register();
    // The key store reads the newest key again once a minute: this refresh signs first after that.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const refreshed = await post('/api/auth/refresh', { refreshToken });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it('tells other services who a user is on the internal route, and nobody else', async () => {
    const session = await register();
    const url = `/internal/users/${session.user.id}`;
    const token = { 'x-internal-token': service.config.INTERNAL_TOKEN };
    const res = await app.inject({ url, headers: token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: session.user.id,
      email: session.user.email,
      name: 'Ji-eun Lee',
      locale: session.user.locale,
      role: 'user',
    });
    expect((await app.inject({ url })).statusCode).toBe(403);
    expect((await app.inject({ url, headers: bearer(session.accessToken) })).statusCode).toBe(403);
    expect((await app.inject({ url, headers: { 'x-internal-token': 'guess' } })).statusCode).toBe(403);
    const unknown = await app.inject({
      url: '/internal/users/0b9f4a58-4c4b-4d7e-9f3e-6a1b2c3d4e5f',
      headers: token,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('revokes the whole family when a used refresh token comes back', async () => {
    const first = await register();
    const second = (await post('/api/auth/refresh', { refreshToken: first.refreshToken })).json<Session>();
    const third = (await post('/api/auth/refresh', { refreshToken: second.refreshToken })).json<Session>();

    const replay = await post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

    const newest = await post('/api/auth/refresh', { refreshToken: third.refreshToken });
    expect(newest.statusCode).toBe(401);
    expect(newest.json()).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
  });

  it('lets exactly one of two simultaneous uses of a refresh token win', async () => {
    const session = await register();
    const results = await Promise.all(
      [1, 2].map(() => post('/api/auth/refresh', { refreshToken: session.refreshToken })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const email = newEmail();
    await register(email);
    const wrongPassword = await post('/api/auth/login', { email, password: 'not-the-password' });
    const unknownEmail = await post('/api/auth/login', { email: newEmail(), password: 'not-the-password' });
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    expect(unknownEmail.json()).toEqual(wrongPassword.json());
    expect(wrongPassword.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('normalises emails: one account however the address is typed', async () => {
    const email = newEmail();
    await register(`  ${email.toUpperCase()} `);
    const login = await post('/api/auth/login', { email, password: 'correct-horse-1' });
    expect(login.statusCode).toBe(200);
    expect(login.json<Session>().user.email).toBe(email);
    await service.verifyEmail(login.json<Session>().user.id);
    const again = await post('/api/auth/register', { email, password: 'another-pass-2', name: 'Copy' });
    expect(again.statusCode).toBe(201);
    const accounts = await db.selectFrom('users').select('id').where('email', '=', email).execute();
    expect(accounts).toEqual([{ id: login.json<Session>().user.id }]);
  });

  it('mails a single-use verification link and signs tokens that say whether the address is proved', async () => {
    const session = await register();
    expect(session.user.emailVerified).toBe(false);
    const claimsOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claimsOf(session.accessToken).email_verified).toBe(false);
    const token = await service.verificationToken(session.user.id);
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.verification_requested' and envelope->'data'->>'userId' = ${session.user.id}`.execute(
      db,
    );
    expect(rows[0]?.data).toMatchObject({ email: session.user.email, locale: 'ko', token });
    const stored = await db
      .selectFrom('emailTokens')
      .select('tokenHash')
      .where('userId', '=', session.user.id)
      .execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tokenHash).not.toContain(token);

    const proofs = async () => {
      const found = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
        where type = 'user.email_verified' and envelope->'data'->>'userId' = ${session.user.id}`.execute(db);
      return found.rows.map((r) => r.data);
    };
    expect(await proofs()).toEqual([]);
    const verified = await post('/api/auth/verify-email', { token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({ user: { id: session.user.id, emailVerified: true } });
    // Announced once, when the address is proved: the welcome mail waits for it.
    expect(await proofs()).toEqual([
      { userId: session.user.id, email: session.user.email, name: session.user.name, locale: 'ko' },
    ]);
    const twice = await post('/api/auth/verify-email', { token });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'VERIFICATION_TOKEN_USED' });
    expect(await proofs()).toHaveLength(1);

    const refreshed = (
      await post('/api/auth/refresh', { refreshToken: session.refreshToken })
    ).json<Session>();
    expect(claimsOf(refreshed.accessToken).email_verified).toBe(true);
    expect(refreshed.user.emailVerified).toBe(true);
  });

  it('refuses unknown, malformed and expired verification tokens as problems and verifies nobody', async () => {
    const session = await register();
    const token = await service.verificationToken(session.user.id);
    const malformed = await post('/api/auth/verify-email', { token: 'x' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/problem\+json/);
    expect(malformed.json()).toMatchObject({ errors: [{ field: 'body.token' }] });
    const unknown = await post('/api/auth/verify-email', {
      token: `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`,
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'VERIFICATION_TOKEN_INVALID' });
    await db
      .updateTable('emailTokens')
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('userId', '=', session.user.id)
      .execute();
    const expired = await post('/api/auth/verify-email', { token });
    expect(expired.statusCode).toBe(410);
    expect(expired.json()).toMatchObject({ code: 'VERIFICATION_TOKEN_EXPIRED' });
    const user = await db.selectFrom('users').select('emailVerifiedAt').where('id', '=', session.user.id);
    expect(await user.executeTakeFirst()).toEqual({ emailVerifiedAt: null });
  });

  it('mails a new link on request, once a minute at most, and never to a verified account', async () => {
    const session = await register();
    const first = await service.verificationToken(session.user.id);
    const resend = () =>
      app.inject({
        method: 'POST',
        url: '/api/auth/verify-email/resend',
        headers: bearer(session.accessToken),
      });
    expect((await resend()).statusCode).toBe(202);
    const second = await service.verificationToken(session.user.id);
    expect(second).not.toBe(first);
    const limited = await resend();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ method: 'POST', url: '/api/auth/verify-email/resend' })).statusCode).toBe(401);
    // Both links work until one is used: the first mail may be the one the fan opens.
    expect((await post('/api/auth/verify-email', { token: first })).statusCode).toBe(200);
    await service.redis.del(`verify-email:resend:${session.user.id}`);
    const verified = await resend();
    expect(verified.statusCode).toBe(409);
    expect(verified.json()).toMatchObject({ code: 'EMAIL_ALREADY_VERIFIED' });
  });

  it('answers a registration of a verified address like a new one and warns the owner once instead', async () => {
    const owner = await register();
    await service.verifyEmail(owner.user.id);
    const taken = await post('/api/auth/register', {
      email: owner.user.email,
      password: 'attacker-pass-1',
      name: 'Ji-eun Lee',
    });
    const fresh = await post('/api/auth/register', {
      email: newEmail(),
      password: 'attacker-pass-1',
      name: 'Ji-eun Lee',
    });
    expect(taken.statusCode).toBe(201);
    expect(fresh.statusCode).toBe(201);
    const keys = (body: Session) => [Object.keys(body).sort(), Object.keys(body.user).sort()];
    expect(keys(taken.json<Session>())).toEqual(keys(fresh.json<Session>()));
    expect(taken.json<Session>().user).toMatchObject({ email: owner.user.email, emailVerified: false });
    expect(taken.json<Session>().user.id).not.toBe(owner.user.id);
    const takenAgain = await post('/api/auth/register', {
      email: owner.user.email,
      password: 'attacker-pass-2',
      name: 'Ji-eun Lee',
    });
    expect(takenAgain.statusCode).toBe(201);

    // One warning for both tries: register cannot flood the owner's mailbox.
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.registration_repeated' and envelope->'data'->>'userId' = ${owner.user.id}`.execute(
      db,
    );
    expect(rows.map((r) => r.data)).toEqual([
      { userId: owner.user.id, email: owner.user.email, name: 'Ji-eun Lee', locale: 'ko' },
    ]);
    const attacker = await post('/api/auth/login', { email: owner.user.email, password: 'attacker-pass-1' });
    expect(attacker.statusCode).toBe(401);
    const ownerLogin = await post('/api/auth/login', {
      email: owner.user.email,
      password: 'correct-horse-1',
    });
    expect(ownerLogin.statusCode).toBe(200);
  });

  it('replaces an unverified account when its address is registered again', async () => {
    const email = newEmail();
    const first = await register(email, 'first-pass-123');
    const second = await register(email, 'second-pass-123');
    expect(second.user.id).not.toBe(first.user.id);
    expect((await post('/api/auth/login', { email, password: 'first-pass-123' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email, password: 'second-pass-123' })).statusCode).toBe(200);
    expect((await post('/api/auth/refresh', { refreshToken: first.refreshToken })).statusCode).toBe(401);
    // The services that keep something of the replaced account are told to forget it.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from outbox
      where type = 'user.deleted' and envelope->'data'->>'userId' = ${first.user.id}`.execute(db);
    expect(rows).toEqual([{ n: 1 }]);
    await service.verifyEmail(second.user.id, second.accessToken);
  });

  it("does not let a stranger who registers an address after its owner get it through the owner's inbox", async () => {
    const email = newEmail();
    const owner = await register(email, 'owners-pass-123');
    const stranger = await register(email, 'strangers-pass-123');
    // The owner's mailbox now holds the stranger's link too, alike: opening it proves nothing for them.
    const strangersLink = await service.verificationToken(stranger.user.id);
    const opened = await post('/api/auth/verify-email', { token: strangersLink });
    expect(opened.statusCode).toBe(403);
    expect(opened.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(opened.json()).toMatchObject({ code: 'VERIFICATION_NEEDS_SIGN_IN' });
    expect(opened.json<{ detail: string }>().detail).toMatch(/sign in with the password you chose/);
    const still = await db
      .selectFrom('users')
      .select(['id', 'emailVerifiedAt'])
      .where('email', '=', email)
      .execute();
    expect(still).toEqual([{ id: stranger.user.id, emailVerifiedAt: null }]);

    // The owner registers again (or resets the password); their own link works where they signed up.
    const again = await register(email, 'owners-pass-123');
    expect(again.user.id).not.toBe(owner.user.id);
    const ownLink = await service.verificationToken(again.user.id);
    const anonymous = await post('/api/auth/verify-email', { token: ownLink });
    expect(anonymous.statusCode).toBe(403);
    const signedIn = await app.inject({
      method: 'POST',
      url: '/api/auth/verify-email',
      headers: bearer(again.accessToken),
      payload: { token: ownLink },
    });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json()).toMatchObject({ user: { id: again.user.id, emailVerified: true } });
    expect((await post('/api/auth/login', { email, password: 'strangers-pass-123' })).statusCode).toBe(401);
    // The stranger's link, still unused, now verifies nothing: its account is gone.
    expect((await post('/api/auth/verify-email', { token: strangersLink })).statusCode).toBe(400);
  });

  it('refuses weak passwords and bad input with a clear message and writes nothing', async () => {
    const email = newEmail();
    const short = await post('/api/auth/register', { email, password: 'short', name: 'A' });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body.password', message: 'must have at least 8 characters' }],
    });
    const same = await post('/api/auth/register', { email, password: email, name: 'A' });
    expect(same.statusCode).toBe(400);
    expect(same.json<{ detail: string }>().detail).toMatch(/must not be your email/);
    const badEmail = await post('/api/auth/register', {
      email: 'nope',
      password: 'long-enough-1',
      name: 'A',
    });
    expect(badEmail.statusCode).toBe(400);
    expect(badEmail.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('body.email');
    const rows = await db.selectFrom('users').select('id').where('email', '=', email).execute();
    expect(rows).toHaveLength(0);
  });

  it('announces a registration through the outbox in the same transaction', async () => {
    const session = await register();
    const { rows } = await sql<{ envelope: { type: string; data: Record<string, unknown> } }>`
      select envelope from outbox where type = 'user.registered'
        and envelope->'data'->>'userId' = ${session.user.id}`.execute(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.envelope.data).toMatchObject({
      userId: session.user.id,
      email: session.user.email,
      provider: 'password',
      locale: 'ko',
    });
  });

  it('registers an account in the language of the page it signed up on, and mails it so', async () => {
    const email = `english-${Date.now()}@example.com`;
    const res = await post('/api/auth/register', {
      email,
      password: 'correct-horse-1',
      name: 'Alex',
      locale: 'en',
    });
    expect(res.statusCode).toBe(201);
    const session = res.json<Session & { user: { locale: string } }>();
    expect(session.user.locale).toBe('en');
    const { rows } = await sql<{
      type: string;
      locale: string;
    }>`select type, envelope->'data'->>'locale' as locale
      from outbox where envelope->'data'->>'userId' = ${session.user.id} order by type`.execute(db);
    expect(rows).toEqual([
      { type: 'user.registered', locale: 'en' },
      { type: 'user.verification_requested', locale: 'en' },
    ]);
    const odd = await post('/api/auth/register', {
      email: `x${email}`,
      password: 'correct-horse-1',
      name: 'X',
      locale: 'fr',
    });
    expect(odd.statusCode).toBe(400);
  });

  it('updates name and language of the signed-in user only, and tells the services that mail them', async () => {
    const session = await register();
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/users/me',
      headers: bearer(session.accessToken),
      payload: { name: '  Minji  ', locale: 'en' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: session.user.id, name: 'Minji', locale: 'en' });
    const { rows } = await sql<{ data: Record<string, unknown> }>`select envelope->'data' as data from outbox
      where type = 'user.updated' and envelope->'data'->>'userId' = ${session.user.id}`.execute(db);
    expect(rows.map((r) => r.data)).toEqual([
      { userId: session.user.id, email: session.user.email, name: 'Minji', locale: 'en' },
    ]);
    const bad = await app.inject({
      method: 'PATCH',
      url: '/api/users/me',
      headers: bearer(session.accessToken),
      payload: { locale: 'fr' },
    });
    expect(bad.statusCode).toBe(400);
    // A name is shown to people and printed in mails: nothing that hides text or turns it around.
    for (const [name, message] of [
      ['\u200b\u200b', 'must contain a letter or a digit'],
      ['\u202eniP', 'must not contain control or invisible formatting characters'],
      ['Min\u200bji', 'must not contain control or invisible formatting characters'],
      ['...', 'must contain a letter or a digit'],
    ] as const) {
      const refused = await app.inject({
        method: 'PATCH',
        url: '/api/users/me',
        headers: bearer(session.accessToken),
        payload: { name },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors).toContainEqual({ field: 'body.name', message });
    }
    // Joiners that scripts and emoji need stay allowed.
    const family = await app.inject({
      method: 'PATCH',
      url: '/api/users/me',
      headers: bearer(session.accessToken),
      payload: { name: 'Minji \u{1f468}\u200d\u{1f469}\u200d\u{1f467}' },
    });
    expect(family.statusCode).toBe(200);
    const anonymous = await app.inject({ method: 'PATCH', url: '/api/users/me', payload: { name: 'X' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('keeps the operator lookup for admins: a user token is refused', async () => {
    const accounts = await seedDemoUsers(db, service.hasher, {
      email: 'admin@tiketi.test',
      password: 'admin-password-1',
    });
    const admin = (
      await post('/api/auth/login', { email: 'admin@tiketi.test', password: 'admin-password-1' })
    ).json<Session>();
    expect(admin.user.role).toBe('admin');
    expect(accounts.map((a) => a.role)).toEqual(['admin', 'user']);
    const fan = await register();

    const refused = await app.inject({ url: '/api/users', headers: bearer(fan.accessToken) });
    expect(refused.statusCode).toBe(403);
    const refusedOne = await app.inject({
      url: `/api/users/${admin.user.id}`,
      headers: bearer(fan.accessToken),
    });
    expect(refusedOne.statusCode).toBe(403);

    const found = await app.inject({
      url: `/api/users?query=${encodeURIComponent(fan.user.email)}`,
      headers: bearer(admin.accessToken),
    });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ total: 1, items: [{ id: fan.user.id, email: fan.user.email }] });
    const one = await app.inject({ url: `/api/users/${fan.user.id}`, headers: bearer(admin.accessToken) });
    expect(one.json()).toEqual(fan.user);
    const wildcard = await app.inject({ url: '/api/users?query=%25', headers: bearer(admin.accessToken) });
    expect(wildcard.json()).toMatchObject({ total: 0 });
  });

  it('seeds the demo accounts once however often it runs', async () => {
    await seedDemoUsers(db, service.hasher, { email: 'boot@tiketi.test', password: 'boot-password-1' });
    await seedDemoUsers(db, service.hasher, { email: 'boot@tiketi.test', password: 'boot-password-1' });
    const rows = await db
      .selectFrom('users')
      .select(['email', 'role'])
      .where('email', 'in', ['boot@tiketi.test', 'fan@tiketi.local'])
      .orderBy('email')
      .execute();
    expect(rows).toEqual([
      { email: 'boot@tiketi.test', role: 'admin' },
      { email: 'fan@tiketi.local', role: 'user' },
    ]);
    const fan = await post('/api/auth/login', { email: 'fan@tiketi.local', password: 'tiketi-fan-2026' });
    expect(fan.statusCode).toBe(200);
    expect(fan.json<Session>().user.emailVerified).toBe(true);
  });
});

describe('user service: signing keys', () => {
  let service: TestUserService;
  beforeAll(async () => {
    service = await startTestUserService('user-keys');
  });
  afterAll(() => service.close());

  it('publishes the signing key at the JWKS path and its tokens verify with the kit', async () => {
    const jwks = await service.app.inject({ url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    const set = jwks.json<{ keys: { kid: string; kty: string; crv: string; d?: string }[] }>();
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(set.keys[0]).not.toHaveProperty('d');

    const session = (
      await service.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: await challengeHeader({}, 'register'),
        payload: { email: 'keys@example.com', password: 'correct-horse-1', name: 'Keys' },
      })
    ).json<Session>();
    const verified = await createAuth({ jwks: set }).verify(session.accessToken);
    expect(verified).toEqual({
      id: session.user.id,
      role: 'user',
      emailVerified: false,
      email: 'keys@example.com',
      // The session the token was issued to: what a sign-out ends.
      sessionId: expect.any(String),
    });
  });

  it('shares one generated key between instances and restarts', async () => {
    const before = await service.keys.current();
    const another = await databaseKeyStore(signingKeyRepository(service.db));
    expect((await another.current()).kid).toBe(before.kid);
  });

  it('publishes a rotated-in key next to the old one and signs with the newest', async () => {
    const repo = signingKeyRepository(service.db);
    const old = await service.keys.current();
    const fresh = await generateSigningKey();
    await repo.insert(fresh);
    const store = await databaseKeyStore(repo);
    expect((await store.current()).kid).toBe(fresh.kid);
    expect((await store.jwks()).keys.map((k) => k.kid).sort()).toEqual([old.kid, fresh.kid].sort());
    await repo.retire(old.kid);
    expect((await store.jwks()).keys.map((k) => k.kid)).toEqual([fresh.kid]);
  });

  it('takes keys from the environment: the first signs, all are published', async () => {
    const a = await generateSigningKey();
    const b = await generateSigningKey();
    const store = await envKeyStore(JSON.stringify([a.privateJwk, b.privateJwk]));
    expect((await store.current()).kid).toBe(a.kid);
    const published = await store.jwks();
    expect(published.keys.map((k) => k.kid)).toEqual([a.kid, b.kid]);
    expect(published.keys.every((k) => k.d === undefined)).toBe(true);
    await expect(envKeyStore('{"kty":"RSA"}')).rejects.toThrow(/JWT_PRIVATE_JWK/);
  });
});

describe('user service: session housekeeping', () => {
  let service: TestUserService;
  beforeAll(async () => {
    service = await startTestUserService('user-sessions');
  });
  afterAll(() => service.close());

  it('forgets sessions whose tokens expired long ago and keeps live ones', async () => {
    const register = async (email: string) =>
      service.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: await challengeHeader({}, 'register'),
        payload: { email, password: 'correct-horse-1', name: 'Old' },
      });
    const old = (await register('old@example.com')).json<Session>();
    const live = (await register('live@example.com')).json<Session>();
    await service.db
      .updateTable('refreshTokens')
      .set({ expiresAt: new Date(Date.now() - 3 * 86_400_000) })
      .where(
        'familyId',
        'in',
        service.db.selectFrom('refreshFamilies').select('id').where('userId', '=', old.user.id),
      )
      .execute();
    const removed = await sessionRepository(service.db).purgeExpired(new Date(Date.now() - 86_400_000));
    expect(removed).toBe(1);
    const refresh = (refreshToken: string) =>
      service.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
    expect((await refresh(old.refreshToken)).statusCode).toBe(401);
    expect((await refresh(live.refreshToken)).statusCode).toBe(200);
  });
});
