import { timingSafeEqual } from 'node:crypto';
import type { WebAuthError } from '@tiketi/contracts';
import type { Logger, Redis } from '@tiketi/kit';
import * as oidc from 'openid-client';
import type { Locale } from '../db/schema.ts';
import type { ExternalIdentity } from './auth.service.ts';
import { providerEmail } from './credentials.ts';
import { hashOpaqueToken, newOpaqueToken } from './tokens.ts';

export type GoogleLoginOptions = {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** The callback URL registered with the provider (public, through the gateway). */
  redirectUri: string;
  redis: Redis;
  stateTtlSeconds: number;
  logger: Logger;
};

/** A login that cannot finish; `code` tells the web app what to show. */
export class GoogleLoginError extends Error {
  override name = 'GoogleLoginError';
  readonly code: WebAuthError;
  constructor(code: WebAuthError, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** What a started login needs to finish; `browser` is the SHA-256 of the binding cookie's value. */
type Pending = { verifier: string; nonce: string; browser: string; locale?: Locale | undefined };

const stateKey = (state: string) => `oidc:state:${state}`;

/**
 * "Sign in with Google": OpenID Connect authorization-code flow with PKCE, state and nonce, against any
 * issuer (Google, or the local sandbox provider). What a login needs to finish lives in Redis for a few
 * minutes and is taken exactly once, so any instance can finish a login another started. A login finishes
 * only in the browser that started it: `start` answers a random binding for a cookie and keeps its hash
 * with the state, and `finish` wants the cookie back. Without it, a callback URL someone prepared with their
 * own account's code would sign any browser that opens it into their account (login CSRF).
 */
export function createGoogleLogin(options: GoogleLoginOptions) {
  let discovered: Promise<oidc.Configuration> | undefined;

  function configuration(): Promise<oidc.Configuration> {
    if (!discovered) {
      const issuer = new URL(options.issuerUrl);
      // Plain http is refused by openid-client; only a local issuer (the sandbox) is ever http.
      const execute = issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [];
      discovered = oidc
        .discovery(issuer, options.clientId, options.clientSecret, undefined, { execute, timeout: 5 })
        .catch((error: unknown) => {
          discovered = undefined; // try again on the next login
          throw new GoogleLoginError('provider_unavailable', 'The sign-in provider is not reachable.', error);
        });
    }
    return discovered;
  }

  return {
    redirectUri: options.redirectUri,

    /**
     * Starts a login: remembers its secrets and answers the provider URL to send the browser to, with the
     * binding the browser must keep (cookie) for as long as the login may take.
     */
    async start(locale?: Locale): Promise<{ url: URL; binding: string; ttlSeconds: number }> {
      const config = await configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const binding = newOpaqueToken();
      const pending: Pending = { verifier, nonce, browser: hashOpaqueToken(binding), locale };
      await options.redis.set(stateKey(state), JSON.stringify(pending), 'EX', options.stateTtlSeconds);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, binding, ttlSeconds: options.stateTtlSeconds };
    },

    /**
     * Finishes a login from the callback's query string and the browser's binding cookie: checks state and
     * binding, exchanges the code with the PKCE verifier, checks the ID token (issuer, audience, nonce,
     * expiry) and answers who signed in.
     */
    async finish(search: string, binding: string | undefined): Promise<ExternalIdentity> {
      const callback = new URL(options.redirectUri);
      callback.search = search;
      const state = callback.searchParams.get('state');
      const raw = state ? await options.redis.getdel(stateKey(state)) : null;
      if (!state || !raw) {
        throw new GoogleLoginError('invalid_state', 'The sign-in expired or did not start here; try again.');
      }
      const providerError = callback.searchParams.get('error');
      if (providerError) {
        const code = providerError === 'access_denied' ? 'access_denied' : 'provider_error';
        throw new GoogleLoginError(code, `The provider refused the sign-in (${providerError}).`);
      }
      const pending = JSON.parse(raw) as Pending;
      if (!binding || !sameHash(hashOpaqueToken(binding), pending.browser)) {
        throw new GoogleLoginError('invalid_state', 'The sign-in did not start in this browser; try again.');
      }
      const config = await configuration();
      let claims: oidc.IDToken | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: pending.verifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        options.logger.warn({ err: (error as Error).message }, 'OpenID code exchange failed');
        throw new GoogleLoginError('provider_error', 'The sign-in could not be completed.', error);
      }
      const email = typeof claims?.email === 'string' ? claims.email : undefined;
      if (!claims || !email || claims.email_verified !== true) {
        throw new GoogleLoginError('email_not_verified', 'The provider did not confirm an email address.');
      }
      const address = providerEmail(email);
      if (!address) {
        throw new GoogleLoginError(
          'email_not_usable',
          'The provider confirmed an address with characters an account here cannot have.',
        );
      }
      const name = typeof claims.name === 'string' ? claims.name : '';
      return { provider: 'google', subject: claims.sub, email: address, name, locale: pending.locale };
    },
  };
}

export type GoogleLogin = ReturnType<typeof createGoogleLogin>;

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
