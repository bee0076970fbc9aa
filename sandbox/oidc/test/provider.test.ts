import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcSandbox, sandboxSubject, startOidcSandbox } from '../src/provider.ts';

describe('sandbox OpenID provider', () => {
  let sandbox: OidcSandbox;
  beforeAll(async () => {
    sandbox = await startOidcSandbox({
      port: 0,
      defaultUser: { email: 'demo@tiketi.test', name: 'Demo' },
    });
  });
  afterAll(() => sandbox.stop());

  /** One authorization-code round trip with PKCE, as a client would make it. */
  async function signIn(params: Record<string, string> = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${sandbox.issuerUrl}/authorize`);
    const query = {
      response_type: 'code',
      client_id: 'oidc-test',
      redirect_uri: 'http://app.test/callback',
      scope: 'openid email profile',
      state: 'st',
      nonce: 'n-123',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [k, v] of Object.entries(query)) authorize.searchParams.set(k, v);
    const redirect = await fetch(authorize, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const exchange = () =>
      fetch(`${sandbox.issuerUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          client_id: 'oidc-test',
          redirect_uri: 'http://app.test/callback',
        }),
      });
    const res = await exchange();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id_token: string };
    return { claims: decodeJwt(body.id_token), exchange };
  }

  it('publishes discovery under the issuer URL it was given', async () => {
    const res = await fetch(`${sandbox.issuerUrl}/.well-known/openid-configuration`);
    expect(await res.json()).toMatchObject({
      issuer: sandbox.issuerUrl,
      authorization_endpoint: `${sandbox.issuerUrl}/authorize`,
      code_challenge_methods_supported: expect.arrayContaining(['S256']),
    });
  });

  it('signs in the demo user when the request names nobody', async () => {
    const { claims } = await signIn();
    expect(claims).toMatchObject({
      sub: sandboxSubject('demo@tiketi.test'),
      email: 'demo@tiketi.test',
      email_verified: true,
      name: 'Demo',
      nonce: 'n-123',
      aud: 'oidc-test',
    });
  });

  it('signs in whoever login_hint names, with one stable subject per email', async () => {
    const first = await signIn({ login_hint: 'Jiwoo.Park@Example.com' });
    const second = await signIn({ login_hint: 'jiwoo.park@example.com' });
    expect(first.claims).toMatchObject({ email: 'jiwoo.park@example.com', name: 'Jiwoo Park' });
    expect(second.claims.sub).toBe(first.claims.sub);
    const unverified = await signIn({ login_hint: 'x@example.com', sandbox_email_verified: 'false' });
    expect(unverified.claims.email_verified).toBe(false);
  });

  it('treats an authorization code as single-use for the identity it carries', async () => {
    const { exchange } = await signIn({ login_hint: 'once@example.com' });
    const again = await exchange();
    expect(again.status).not.toBe(200);
  });
});
