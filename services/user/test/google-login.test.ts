import type { AddressInfo } from 'node:net';
import { createAuth, sessionRevocations, sql } from '@tiketi/kit';
import { challengeHeader, eventually } from '@tiketi/kit/testing';
import { type OidcSandbox, startOidcSandbox } from '@tiketi/sandbox-oidc/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

const WEB = 'http://web.test';

describe('user service: sign in with Google (OpenID Connect against the sandbox provider)', () => {
  let sandbox: OidcSandbox;
  let service: TestUserService;
  let base: string;
  // The provider sends the browser to the public callback (the gateway's); the test plays the gateway
  // by delivering that request to the service.
  const publicCallback = 'http://gateway.test/api/auth/google/callback';
  beforeAll(async () => {
    sandbox = await startOidcSandbox({ port: 0 });
    service = await startTestUserService('user-google', {
      webOrigin: WEB,
      google: { issuerUrl: sandbox.issuerUrl, redirectUri: publicCallback },
    });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  });
  const throughGateway = (url: URL) => `${base}${url.pathname}${url.search}`;
  afterAll(async () => {
    await service.close();
    await sandbox.stop();
  });

  const manual = (url: string, cookie?: string) =>
    fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const locationOf = (res: Response) => {
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  };
  /** The binding cookie a start hands the browser, as the browser sends it back. */
  const bindingOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .find((line) => line.startsWith('tiketi_oidc='))
      ?.split(';')[0];

  /** Plays the browser: our start → provider (as `email`) → our callback → the web app's fragment. */
  async function googleLogin(email: string, extra: Record<string, string> = {}, startQuery = '') {
    const start = await manual(`${base}/api/auth/google${startQuery}`);
    const cookie = bindingOf(start);
    const authorize = locationOf(start);
    authorize.searchParams.set('login_hint', email);
    for (const [k, v] of Object.entries(extra)) authorize.searchParams.set(k, v);
    const callback = locationOf(await manual(authorize.href));
    expect(callback.href.startsWith(publicCallback)).toBe(true);
    const landing = locationOf(await manual(throughGateway(callback), cookie));
    return { authorize, callback, cookie, landing, fragment: new URLSearchParams(landing.hash.slice(1)) };
  }

  async function me(accessToken: string) {
    const res = await fetch(`${base}/api/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string; email: string; name: string; emailVerified: boolean };
  }

  it('sends the browser to the provider with PKCE, state and nonce', async () => {
    const authorize = locationOf(await manual(`${base}/api/auth/google`));
    expect(authorize.origin).toBe(sandbox.issuerUrl);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'tiketi-test',
      redirect_uri: publicCallback,
      code_challenge_method: 'S256',
      scope: 'openid email profile',
    });
    for (const param of ['code_challenge', 'state', 'nonce']) {
      expect(authorize.searchParams.get(param)?.length).toBeGreaterThanOrEqual(32);
    }
  });

  it('creates an account on the first Google login and finds the same one on the second', async () => {
    const first = await googleLogin('alice.kim@example.com');
    expect(first.landing.origin + first.landing.pathname).toBe(`${WEB}/auth/callback`);
    const accessToken = first.fragment.get('accessToken') ?? '';
    expect(first.fragment.get('refreshToken')).toBeTruthy();
    const alice = await me(accessToken);
    expect(alice).toMatchObject({ email: 'alice.kim@example.com', name: 'Alice Kim' });

    const second = await googleLogin('alice.kim@example.com');
    expect((await me(second.fragment.get('accessToken') ?? '')).id).toBe(alice.id);

    const accounts = await service.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'alice.kim@example.com')
      .execute();
    expect(accounts).toHaveLength(1);
    const { rows } = await sql<{ provider: string }>`select envelope->'data'->>'provider' as provider
      from outbox where envelope->'data'->>'userId' = ${alice.id}`.execute(service.db);
    expect(rows).toEqual([{ provider: 'google' }]);

    const refreshed = await fetch(`${base}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: second.fragment.get('refreshToken') }),
    });
    expect(refreshed.status).toBe(200);
  });

  const registerWithPassword = async (email: string, password: string) => {
    const res = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await challengeHeader({}, 'register')) },
      body: JSON.stringify({ email, password, name: 'Password User' }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { user: { id: string }; accessToken: string; refreshToken: string };
  };
  const post = (url: string, payload: object) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  it('makes a new account speak the language the fan signed in with', async () => {
    const english = await googleLogin('brian.lee@example.com', {}, '?locale=en');
    const brian = (await me(english.fragment.get('accessToken') ?? '')) as { locale?: string; id: string };
    expect(brian.locale).toBe('en');
    const { rows } = await sql<{ locale: string }>`select envelope->'data'->>'locale' as locale
      from outbox where type = 'user.registered' and envelope->'data'->>'userId' = ${brian.id}`.execute(
      service.db,
    );
    expect(rows).toEqual([{ locale: 'en' }]);
    // An existing account keeps its own; an unknown language is the default.
    const again = await googleLogin('brian.lee@example.com', {}, '?locale=ko');
    expect(((await me(again.fragment.get('accessToken') ?? '')) as { locale?: string }).locale).toBe('en');
    const odd = await googleLogin('chris.park@example.com', {}, '?locale=fr');
    expect(((await me(odd.fragment.get('accessToken') ?? '')) as { locale?: string }).locale).toBe('ko');
  });

  it('links a Google login to the existing account with the same verified email', async () => {
    const bob = (await registerWithPassword('bob@example.com', 'correct-horse-1')).user;
    await service.verifyEmail(bob.id);
    const login = await googleLogin('Bob@Example.com');
    expect((await me(login.fragment.get('accessToken') ?? '')).id).toBe(bob.id);
    const identities = await service.db
      .selectFrom('userIdentities')
      .select(['userId', 'provider'])
      .where('userId', '=', bob.id)
      .execute();
    expect(identities).toEqual([{ userId: bob.id, provider: 'google' }]);
  });

  it("refuses a provider address that only folds into an account's address, and links nothing", async () => {
    const smith = (await registerWithPassword('smith@example.com', 'correct-horse-2')).user;
    await service.verifyEmail(smith.id);
    // Look-alikes of "smith@" that Unicode folding (NFKC) turns into it: the long s, a fullwidth s, a circled
    // s. Each is another mailbox, which the provider proved, not Smith's.
    for (const email of ['ſmith@example.com', 'ｓmith@example.com', 'ⓢmith@example.com']) {
      const login = await googleLogin(email);
      expect(login.fragment.get('error')).toBe('email_not_usable');
      expect(login.fragment.get('accessToken')).toBeNull();
    }
    const identities = await service.db
      .selectFrom('userIdentities')
      .select('userId')
      .where('userId', '=', smith.id)
      .execute();
    expect(identities).toHaveLength(0);
  });

  it('drops an unverified password account holding the address, its password and sessions with it', async () => {
    const planted = await registerWithPassword('erin@example.com', 'attacker-chose-this');
    const login = await googleLogin('erin@example.com');
    const erin = await me(login.fragment.get('accessToken') ?? '');
    expect(erin).toMatchObject({ email: 'erin@example.com', emailVerified: true });
    expect(erin.id).not.toBe(planted.user.id);
    const password = await post('/api/auth/login', {
      email: 'erin@example.com',
      password: 'attacker-chose-this',
    });
    expect(password.status).toBe(401);
    expect((await post('/api/auth/refresh', { refreshToken: planted.refreshToken })).status).toBe(401);
    // Its access tokens end with it, at every token check, within seconds.
    const elsewhere = createAuth({ jwks: service.jwks, revocations: sessionRevocations(service.redis) });
    await eventually(
      () =>
        elsewhere.verify(planted.accessToken).then(
          () => Promise.reject(new Error('the dropped account’s access token still works')),
          (error: { status?: number }) => expect(error.status).toBe(401),
        ),
      10_000,
      100,
    );
    const rows = await service.db
      .selectFrom('users')
      .select(['id', 'passwordHash'])
      .where('email', '=', 'erin@example.com')
      .execute();
    expect(rows).toEqual([{ id: erin.id, passwordHash: null }]);
  });

  it('binds a login to the browser that started it with a short-lived HttpOnly SameSite cookie', async () => {
    const start = await manual(`${base}/api/auth/google`);
    const cookie = start.headers.getSetCookie().find((line) => line.startsWith('tiketi_oidc=')) ?? '';
    expect(cookie).toMatch(/^tiketi_oidc=[A-Za-z0-9_-]{43}; /);
    expect(cookie.split('; ').slice(1)).toEqual([
      'Path=/api/auth/google',
      'Max-Age=600',
      'HttpOnly',
      'SameSite=Lax',
    ]);
    const authorize = locationOf(start);
    authorize.searchParams.set('login_hint', 'mallory@example.com');
    const prepared = locationOf(await manual(authorize.href));
    const elsewhere = locationOf(await manual(throughGateway(prepared)));
    expect(elsewhere.hash).toBe('#error=invalid_state');
    const other = await googleLogin('frank@example.com');
    const withOtherCookie = locationOf(await manual(throughGateway(prepared), other.cookie));
    expect(withOtherCookie.hash).toBe('#error=invalid_state');
    const rows = await service.db.selectFrom('users').select('id').where('email', '=', 'mallory@example.com');
    expect(await rows.execute()).toHaveLength(0);
  });

  it('refuses a callback whose state was already used or never issued', async () => {
    const login = await googleLogin('carol@example.com');
    expect(login.fragment.get('accessToken')).toBeTruthy();
    const replay = locationOf(await manual(throughGateway(login.callback), login.cookie));
    expect(replay.hash).toBe('#error=invalid_state');
    const forged = locationOf(await manual(`${base}/api/auth/google/callback?code=abc&state=made-up`));
    expect(forged.hash).toBe('#error=invalid_state');
  });

  it('refuses an identity whose email the provider has not verified', async () => {
    const login = await googleLogin('dave@example.com', { sandbox_email_verified: 'false' });
    expect(login.fragment.get('error')).toBe('email_not_verified');
    expect(login.fragment.get('accessToken')).toBeNull();
    const rows = await service.db.selectFrom('users').select('id').where('email', '=', 'dave@example.com');
    expect(await rows.execute()).toHaveLength(0);
  });

  it('passes a refusal at the provider on to the web app', async () => {
    const authorize = locationOf(await manual(`${base}/api/auth/google`));
    const state = authorize.searchParams.get('state') ?? '';
    const landing = locationOf(
      await manual(`${base}/api/auth/google/callback?error=access_denied&state=${state}`),
    );
    expect(landing.hash).toBe('#error=access_denied');
  });
});

describe('user service: Google login while the provider is down', () => {
  let service: TestUserService;
  beforeAll(async () => {
    service = await startTestUserService('user-google-down', { webOrigin: WEB });
  });
  afterAll(() => service.close());

  it('sends the browser back to the web app with provider_unavailable', async () => {
    const res = await service.app.inject({ url: '/api/auth/google' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${WEB}/auth/callback#error=provider_unavailable`);
  });
});
