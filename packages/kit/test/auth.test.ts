import { KeyObject, randomUUID, sign } from 'node:crypto';
import { ACCESS_TOKEN, type Role } from '@tiketi/contracts';
import { exportJWK, exportSPKI, generateKeyPair, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attestToken, callerOf, createAuth } from '../src/auth.ts';
import { type App, createServer } from '../src/server.ts';
import { createTestTokens, type TestTokens, testLogger } from '../src/testing/index.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('kit auth: access-token verification every service relies on', () => {
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  let publicJwk: JWK;
  let jwks: JSONWebKeySet;
  let auth: ReturnType<typeof createAuth>;
  beforeAll(async () => {
    ({ privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }));
    publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    jwks = { keys: [publicJwk] };
    auth = createAuth({ jwks });
  });
  const userId = randomUUID();

  function token(
    overrides: { issuer?: string; audience?: string; expiresIn?: string; role?: string } = {},
  ): Promise<string> {
    return new SignJWT({ role: overrides.role ?? 'user', email: 'fan@example.com' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setIssuer(overrides.issuer ?? ACCESS_TOKEN.issuer)
      .setAudience(overrides.audience ?? ACCESS_TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(overrides.expiresIn ?? '5m')
      .sign(privateKey);
  }

  const refused = async (jwt: string) => {
    const error = await auth.verify(jwt).then(
      () => undefined,
      (e: { status?: number; code?: string; message: string }) => e,
    );
    expect(error, 'the token was accepted').toBeDefined();
    return error as { status: number; code: string; message: string };
  };

  it('accepts a well-formed token and reads the caller from it', async () => {
    expect(await auth.verify(await token())).toEqual({
      id: userId,
      role: 'user',
      email: 'fan@example.com',
      emailVerified: false,
    });
  });

  it('counts an address as verified only when the token says email_verified: true', async () => {
    const tokens = await createTestTokens();
    const check = createAuth({ jwks: tokens.jwks, rememberTokens: 0 });
    const verified = await check.verify(await tokens.sign({ id: userId }));
    expect(verified.emailVerified).toBe(true);
    const unverified = await check.verify(await tokens.sign({ id: userId, emailVerified: false }));
    expect(unverified.emailVerified).toBe(false);
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = b64({
      role: 'admin',
      sub: userId,
      iss: ACCESS_TOKEN.issuer,
      aud: ACCESS_TOKEN.audience,
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    const error = await refused(`${header}.${forged}.${signature}`);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('refuses an expired token and says so', async () => {
    const error = await refused(await token({ expiresIn: '10s ago' }));
    expect(error).toMatchObject({ status: 401, message: 'The access token has expired.' });
  });

  it('remembers a verified token no longer than it is valid, and never vouches for an altered copy', async () => {
    const jwt = await token({ expiresIn: '2s' });
    expect(await auth.verify(jwt)).toMatchObject({ id: userId, role: 'user' });
    expect(await auth.verify(jwt)).toMatchObject({ id: userId, role: 'user' });
    const [header, payload] = jwt.split('.');
    const altered = `${header}.${payload}.${'A'.repeat(86)}`;
    expect(await refused(altered)).toMatchObject({ status: 401 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await refused(jwt)).toMatchObject({ status: 401, message: 'The access token has expired.' });
  });

  it('refuses a token from another issuer or for another audience', async () => {
    expect(await refused(await token({ issuer: 'https://evil.example' }))).toMatchObject({ status: 401 });
    expect(await refused(await token({ audience: 'another-app' }))).toMatchObject({ status: 401 });
  });

  it('refuses an unsigned token (alg none)', async () => {
    const claims = {
      sub: userId,
      role: 'admin',
      iss: ACCESS_TOKEN.issuer,
      aud: ACCESS_TOKEN.audience,
      exp: Math.floor(Date.now() / 1000) + 300,
    };
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64({ alg, typ: 'JWT', kid: 'k1' })}.${b64(claims)}.`;
      expect(await refused(unsigned)).toMatchObject({ status: 401 });
    }
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const secrets = [
      new TextEncoder().encode(await exportSPKI(publicKey)),
      Buffer.from(publicJwk.x ?? '', 'base64url'),
      new TextEncoder().encode(JSON.stringify(publicJwk)),
    ];
    for (const secret of secrets) {
      const confused = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(ACCESS_TOKEN.issuer)
        .setAudience(ACCESS_TOKEN.audience)
        .setSubject(userId)
        .setExpirationTime('5m')
        .sign(secret);
      expect(await refused(confused)).toMatchObject({ status: 401 });
    }
  });

  it('refuses a token signed by a key that is not in the key set', async () => {
    const other = await createTestTokens();
    expect(await refused(await other.sign({ id: userId }))).toMatchObject({ status: 401 });
  });

  it('refuses a token not valid yet, one without an expiry, and one with a critical header it cannot read', async () => {
    const signed = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ role: 'user', sub: userId, ...claims })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', ...header })
        .setIssuer(ACCESS_TOKEN.issuer)
        .setAudience(ACCESS_TOKEN.audience)
        .sign(privateKey);
    const inFiveMinutes = Math.floor(Date.now() / 1000) + 300;
    expect(await refused(await signed({}, { nbf: inFiveMinutes, exp: inFiveMinutes + 300 }))).toMatchObject({
      status: 401,
    });
    expect(await refused(await signed({}, {}))).toMatchObject({ status: 401 });
    // jose signs no header it could not read itself: signed here by hand.
    const header = { alg: 'EdDSA', kid: 'k1', crit: ['tiketi-unknown'], 'tiketi-unknown': true };
    const claims = { role: 'user', sub: userId, iss: ACCESS_TOKEN.issuer, aud: ACCESS_TOKEN.audience };
    const input = `${b64(header)}.${b64({ ...claims, exp: inFiveMinutes })}`;
    const critical = `${input}.${sign(null, Buffer.from(input), KeyObject.from(privateKey)).toString('base64url')}`;
    expect(await refused(critical)).toMatchObject({ status: 401 });
    // The same claims with none of that are taken: what was refused was what the cases changed.
    expect((await auth.verify(await signed({}, { exp: inFiveMinutes }))).id).toBe(userId);
  });

  it('refuses a token whose role or subject is not one we issue', async () => {
    expect(await refused(await token({ role: 'superuser' }))).toMatchObject({ status: 401 });
  });

  it("takes the gateway's word for the token it checked, and for no other token", async () => {
    // The gateway checks every token with the user service's keys; a service that holds the attestation
    // key skips the signature check (an Ed25519 check per new token, per process) for a token vouched for.
    // Here the service cannot check the signature itself (its key set is empty), so only the word counts.
    const key = 'kit-auth-attestation-key-0123456789abcdef';
    const service = createAuth({ jwks: { keys: [] }, attestationKey: key, rememberTokens: 0 });
    const jwt = await token();
    expect(await service.verify(jwt, undefined, attestToken(key, jwt))).toMatchObject({ id: userId });

    const refusedBy = (candidate: string, attestation?: string) =>
      service.verify(candidate, undefined, attestation).then(
        () => undefined,
        (e: { status?: number; message: string }) => e,
      );
    // Without the word, with a wrong one, with one made under another key, or with the word for another
    // token: the signature is checked, and this service cannot check it.
    expect(await refusedBy(jwt)).toMatchObject({ status: 401 });
    expect(await refusedBy(jwt, 'forged')).toMatchObject({ status: 401 });
    expect(await refusedBy(jwt, attestToken('another-key-0123456789abcdef0123', jwt))).toMatchObject({
      status: 401,
    });
    const other = await token({ role: 'admin' });
    expect(await refusedBy(other, attestToken(key, jwt))).toMatchObject({ status: 401 });
    // A word given while the token was valid vouches for nothing once it has expired.
    const expired = await token({ expiresIn: '-1s' });
    expect(await refusedBy(expired, attestToken(key, expired))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/expired/),
    });
    // A service without the key never takes the word.
    const keyless = createAuth({ jwks: { keys: [] }, rememberTokens: 0 });
    expect(
      await keyless.verify(jwt, undefined, attestToken(key, jwt)).then(
        () => 'accepted',
        () => 'refused',
      ),
    ).toBe('refused');
  });
});

describe('kit auth: route guards', () => {
  let tokens: TestTokens;
  let auth: ReturnType<typeof createAuth>;
  let app: App;
  const strict = { body: z.object({ count: z.number().int() }) };
  beforeAll(async () => {
    tokens = await createTestTokens();
    auth = createAuth({ jwks: tokens.jwks, internalToken: 'internal-secret' });
    ({ app } = await createServer({ name: 'auth-test', logger: testLogger() }));
    app.get('/mine', { onRequest: auth.user }, async (req) => ({ id: callerOf(req).id }));
    app.get('/operators', { onRequest: auth.admin }, async () => ({ ok: true }));
    app.get('/internal/thing', { onRequest: auth.internal }, async () => ({ ok: true }));
    app.get('/door', { onRequest: auth.staff }, async () => ({ ok: true }));
    app.get('/anyone', { onRequest: auth.optional }, async (req) => ({ id: req.user?.id ?? null }));
    app.post('/mine', { onRequest: auth.user, schema: strict }, async () => ({ ok: true }));
    app.post('/operators', { onRequest: auth.admin, schema: strict }, async () => ({ ok: true }));
    app.post('/internal/thing', { onRequest: auth.internal, schema: strict }, async () => ({ ok: true }));
    app.post('/anyone', { onRequest: auth.optional, schema: strict }, async () => ({ ok: true }));
  });
  afterAll(() => app.close());

  const userId = randomUUID();
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });
  const bearer = async (role: Role) => ({
    authorization: `Bearer ${await tokens.sign({ id: userId, role })}`,
  });

  it('lets a signed-in user through to a user route and names the caller', async () => {
    const res = await get('/mine', await bearer('user'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: userId });
    expect((await get('/mine')).statusCode).toBe(401);
    expect((await get('/mine', { authorization: 'Basic abc' })).statusCode).toBe(401);
  });

  it('refuses a user token on an admin route and accepts an admin token', async () => {
    const refused = await get('/operators', await bearer('user'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await get('/operators', await bearer('admin'))).statusCode).toBe(200);
  });

  it('keeps admin routes from door staff, and the door routes for staff and admins', async () => {
    const refused = await get('/operators', await bearer('staff'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await get('/door', await bearer('staff'))).statusCode).toBe(200);
    expect((await get('/door', await bearer('admin'))).statusCode).toBe(200);
    expect((await get('/door', await bearer('user'))).statusCode).toBe(403);
    expect((await get('/door')).statusCode).toBe(401);
  });

  it('keeps internal routes for callers holding the internal token', async () => {
    expect((await get('/internal/thing', await bearer('admin'))).statusCode).toBe(403);
    expect((await get('/internal/thing', { 'x-internal-token': 'internal-secret' })).statusCode).toBe(200);
  });

  it('lets anonymous callers through optional routes but still refuses a bad token there', async () => {
    expect((await get('/anyone')).json()).toEqual({ id: null });
    expect((await get('/anyone', await bearer('user'))).json()).toEqual({ id: userId });
    expect((await get('/anyone', { authorization: 'Bearer not.a.token' })).statusCode).toBe(401);
  });

  it('decides who may call before it looks at the body, so a refused caller never sees a field error', async () => {
    const post = async (url: string, headers: Record<string, string> = {}) => {
      const res = await app.inject({ method: 'POST', url, headers, payload: { count: 'many' } });
      return { status: res.statusCode, code: (res.json() as { code: string }).code };
    };
    const invalid = { status: 400, code: 'VALIDATION_FAILED' };
    expect(await post('/mine')).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(await post('/mine', await bearer('user'))).toEqual(invalid);
    expect(await post('/operators')).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(await post('/operators', await bearer('user'))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await post('/operators', await bearer('admin'))).toEqual(invalid);
    expect(await post('/internal/thing', await bearer('admin'))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await post('/internal/thing', { 'x-internal-token': 'internal-secret' })).toEqual(invalid);
    expect(await post('/anyone', { authorization: 'Bearer not.a.token' })).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(await post('/anyone')).toEqual(invalid);
  });
});
