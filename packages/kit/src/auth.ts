import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ACCESS_TOKEN,
  ADMISSION_TOKEN,
  canonicalId,
  INTERNAL_TOKEN_HEADER,
  type Role,
  userRole,
} from '@tiketi/contracts';
import type { FastifyRequest } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { HttpProblem, problems } from './errors.ts';
import { CACHE_LIMITS, memoryCache } from './memory-cache.ts';
import type { SessionRevocations } from './revocations.ts';

/**
 * The caller as the access token describes them. `emailVerified` is the `email_verified` claim: a token
 * without it (or signed before the owner proved the address) counts as unverified.
 */
export type AuthUser = {
  id: string;
  role: Role;
  email: string | undefined;
  emailVerified?: boolean;
  /** The session (refresh family) the token was issued to, when it names one: what a sign-out ends. */
  sessionId?: string;
};

declare module 'fastify' {
  interface FastifyRequest {
    user?: AuthUser;
  }
}

const claims = z.object({
  sub: canonicalId(),
  role: userRole,
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  /** The session (refresh family) the token was issued to; ended sessions are in `revocations`. */
  sid: z.string().optional(),
});

export type AuthOptions = {
  /** The user service's JWKS URL, or a key set given directly (tests). */
  jwks: string | JSONWebKeySet;
  issuer?: string;
  audience?: string;
  /** The shared secret other services send on `/internal/*` calls. */
  internalToken?: string;
  /** Tokens whose verification is remembered (`CACHE_LIMITS.verifiedTokens`; 0 verifies every request afresh). */
  rememberTokens?: number;
  /** Sessions ended before their tokens expire (sign-out, a copied refresh token): their tokens are refused. */
  revocations?: SessionRevocations;
  /**
   * TOKEN_ATTESTATION_KEY: a token the gateway vouches for (`TOKEN_ATTESTATION_HEADER`) is taken without
   * checking its signature again. Without it every token's signature is checked here.
   */
  attestationKey?: string;
};

/**
 * The gateway's word, on a request it passes on, that it checked the caller's access token (signature,
 * issuer, audience, expiry) and the session: an HMAC of the whole token under TOKEN_ATTESTATION_KEY. A
 * service holding the key then spares itself the token's Ed25519 check, the largest single cost of a
 * waiting-room join, where every token is new. The word names the token, so it vouches for no other; a
 * client's own value is replaced by the gateway, and a wrong one only means the signature is checked.
 */
export const TOKEN_ATTESTATION_HEADER = 'x-token-attestation';

/** The gateway's attestation of `token` under `key` (see TOKEN_ATTESTATION_HEADER). */
export function attestToken(key: string, token: string): string {
  return createHmac('sha256', key).update(token).digest('base64url');
}

/**
 * When an access token expires (ms since the epoch), read without checking it: for a token `verify` took
 * already, whose use outlasts the request that brought it (a waiting-room socket).
 */
export function tokenExpiresAt(token: string): number {
  return (decodeJwt(token).exp ?? 0) * 1000;
}

/** What a service whose `buildApp` reads its whole config is handed for its token check besides it. */
export type ConfiguredAuthDeps = {
  /** The user service's key set; defaults to config.JWKS_URL (tests pass keys directly). */
  jwks?: AuthOptions['jwks'];
  /** Sessions ended before their tokens expire (the service's Redis); main.ts always passes it. */
  revocations?: AuthOptions['revocations'];
};

/** The token check of a service from its config (JWKS_URL, INTERNAL_TOKEN) and what `deps` hands over. */
export function configuredAuth(
  config: { JWKS_URL: string; INTERNAL_TOKEN: string; TOKEN_ATTESTATION_KEY?: string },
  deps: ConfiguredAuthDeps,
): Auth {
  return createAuth({
    jwks: deps.jwks ?? config.JWKS_URL,
    internalToken: config.INTERNAL_TOKEN,
    revocations: deps.revocations,
    attestationKey: config.TOKEN_ATTESTATION_KEY,
  });
}

type Verified = { user: AuthUser; sessionId: string | undefined; until: number };

/**
 * Access-token verification every service does for itself: signature from the user service's JWKS,
 * algorithm pinned, issuer, audience and expiry checked. Routes say what they need with `auth.user`,
 * `auth.admin`, `auth.internal` or `auth.optional` as their `onRequest` hook; handlers read the caller with
 * `callerOf(req)`. The hook is onRequest, not preHandler, because Fastify validates the body, params and
 * query before preHandler: a guard there would answer an unauthorised caller's bad input with a 400 that
 * describes the route's schema instead of the 401 or 403 it is owed.
 */
export function createAuth(options: AuthOptions) {
  const keys: JWTVerifyGetKey =
    typeof options.jwks === 'string'
      ? createRemoteJWKSet(new URL(options.jwks), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
      : createLocalJWKSet(options.jwks);
  const issuer = options.issuer ?? ACCESS_TOKEN.issuer;
  const audience = options.audience ?? ACCESS_TOKEN.audience;
  // Keyed by the whole token (a forged or altered token is another key), kept until the token's expiry
  // at most: see CACHE_LIMITS.verifiedTokens for why and how long.
  const remembered = memoryCache<Verified>({
    ...CACHE_LIMITS.verifiedTokens,
    max: options.rememberTokens ?? CACHE_LIMITS.verifiedTokens.max,
  });

  async function verify(
    token: string,
    alongside?: (user: AuthUser) => Promise<unknown>,
    attestation?: string,
  ): Promise<AuthUser> {
    const { user, sessionId } = await verified(token, attestation);
    // Looked up on every request, remembered or not: a sign-out must not wait for the cache.
    const [revoked, other] = await Promise.allSettled([
      sessionId ? options.revocations?.isRevoked(sessionId) : false,
      alongside?.(user),
    ]);
    // An ended session is refused as such, whatever the work alongside answered.
    if (revoked.status === 'rejected') throw revoked.reason;
    if (revoked.value) throw problems.sessionEnded();
    if (other.status === 'rejected') throw other.reason;
    return user;
  }

  async function verified(token: string, attestation: string | undefined): Promise<Verified> {
    const known = remembered.get(token);
    if (known) return known;
    const fresh = vouchedFor(token, attestation) ?? (await verifySignature(token));
    remembered.set(token, fresh, fresh.until - Date.now());
    return fresh;
  }

  /** The token as the gateway checked it, when its attestation holds (the expiry is read again). */
  function vouchedFor(token: string, attestation: string | undefined): Verified | undefined {
    const key = options.attestationKey;
    if (!key || !attestation || !sameSecret(attestation, attestToken(key, token))) return undefined;
    let fresh: Verified;
    try {
      fresh = fromPayload(decodeJwt(token));
    } catch {
      return undefined; // not what the gateway passes on: the full check says what is wrong with it
    }
    if (fresh.until <= Date.now()) throw problems.unauthorized('The access token has expired.');
    return fresh;
  }

  function fromPayload(payload: JWTPayload): Verified {
    const parsed = claims.parse(payload);
    return {
      user: {
        id: parsed.sub,
        role: parsed.role,
        email: parsed.email,
        emailVerified: parsed.email_verified === true,
        ...(parsed.sid ? { sessionId: parsed.sid } : {}),
      },
      sessionId: parsed.sid,
      until: (payload.exp ?? 0) * 1000,
    };
  }

  async function verifySignature(token: string): Promise<Verified> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: [ACCESS_TOKEN.algorithm],
        requiredClaims: ['exp', 'sub'],
      });
      return fromPayload(payload);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw problems.unauthorized('The access token has expired.');
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') {
        throw problems.unavailable('Token keys are not available right now.', error);
      }
      throw problems.unauthorized('The access token is not valid.');
    }
  }

  async function authenticate(
    req: FastifyRequest,
    alongside?: (user: AuthUser) => Promise<unknown>,
  ): Promise<AuthUser | undefined> {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const token = bearerToken(header);
    if (!token) throw problems.unauthorized('Use "Authorization: Bearer <access token>".');
    const attestation = req.headers[TOKEN_ATTESTATION_HEADER];
    req.user = await verify(token, alongside, typeof attestation === 'string' ? attestation : undefined);
    return req.user;
  }

  /** The signed-in caller, or 401. */
  async function signedIn(
    req: FastifyRequest,
    alongside?: (user: AuthUser) => Promise<unknown>,
  ): Promise<AuthUser> {
    const user = await authenticate(req, alongside);
    if (!user) throw problems.unauthorized();
    return user;
  }

  return {
    verify,
    /** onRequest: a signed-in caller is required. */
    user: async (req: FastifyRequest) => {
      await signedIn(req);
    },
    /** onRequest: a signed-in admin is required. */
    admin: async (req: FastifyRequest) => {
      if ((await signedIn(req)).role !== 'admin') throw problems.forbidden('This needs the admin role.');
    },
    /** onRequest: door staff or an admin; which events staff may act on is the route's own rule. */
    staff: async (req: FastifyRequest) => {
      const { role } = await signedIn(req);
      if (role !== 'admin' && role !== 'staff')
        throw problems.forbidden('This needs the staff or admin role.');
    },
    /** onRequest: a call from another Tiketi service (internal token), never from outside. */
    internal: async (req: FastifyRequest) => {
      const given = req.headers[INTERNAL_TOKEN_HEADER];
      const expected = options.internalToken;
      if (!expected || typeof given !== 'string' || !sameSecret(given, expected)) {
        throw problems.forbidden('Internal route.');
      }
    },
    /** onRequest: identifies the caller when a token is sent, lets anonymous callers through. */
    optional: async (req: FastifyRequest) => {
      await authenticate(req, undefined);
    },
    /**
     * The check of `user` (`required`) or `optional`, with `alongside(caller)` run once the token's
     * signature holds and at the same time as the look-up of ended sessions: the gateway counts the
     * caller's rate limit there, so both Redis commands leave in one write and come back in one read
     * instead of one round trip after the other. `req.user` is set only once both have answered; an
     * ended session is refused (401) even when `alongside` failed, and `alongside` never runs for a bad
     * token. Resolves to the caller, or undefined for an anonymous one when not required.
     */
    checkWith: async (
      req: FastifyRequest,
      required: boolean,
      alongside: (user: AuthUser) => Promise<unknown>,
    ): Promise<AuthUser | undefined> => (required ? signedIn(req, alongside) : authenticate(req, alongside)),
  };
}

export type Auth = ReturnType<typeof createAuth>;

/** The token of an `Authorization: Bearer <token>` header; undefined for none or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const [scheme, token] = header?.split(' ') ?? [];
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/** Compares secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Headers for calling another service's `/internal/*` routes. */
export function internalHeaders(token: string): Record<string, string> {
  return { [INTERNAL_TOKEN_HEADER]: token };
}

/** The caller of a route guarded by `auth.user` or `auth.admin`. */
export function callerOf(req: FastifyRequest): AuthUser {
  if (!req.user) throw problems.unauthorized();
  return req.user;
}

/** True when the caller may act on something owned by `ownerId`. */
export function mayAccess(caller: AuthUser, ownerId: string): boolean {
  return caller.role === 'admin' || caller.id === ownerId;
}

export type AdmissionClaims = { userId: string; eventId: string; expiresAt: Date };

/**
 * The admission secret as a Web Crypto key, imported once per secret: jose imports raw bytes afresh on every
 * call, which cost more than the HMAC itself (a status of an admitted fan signs a token, a hold under a
 * waiting room checks one).
 */
const secretKeys = new Map<string, Promise<CryptoKey>>();
function secretKey(secret: string): Promise<CryptoKey> {
  let key = secretKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    // A refused import is not kept: the next call tries again.
    key.catch(() => secretKeys.delete(secret));
    secretKeys.set(secret, key);
  }
  return key;
}

/** Signs a waiting-room admission for one user and one event (queue service). */
export async function signAdmissionToken(
  secret: string,
  userId: string,
  eventId: string,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ [ADMISSION_TOKEN.eventClaim]: eventId })
    .setProtectedHeader({ alg: ADMISSION_TOKEN.algorithm })
    .setIssuer(ADMISSION_TOKEN.issuer)
    .setAudience(ADMISSION_TOKEN.audience)
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(await secretKey(secret));
}

/** Verifies an admission token for this user and this event (reservation service); throws 403 otherwise. */
export async function verifyAdmissionToken(
  secret: string,
  token: string | undefined,
  userId: string,
  eventId: string,
): Promise<AdmissionClaims> {
  if (!token) {
    throw new HttpProblem(
      403,
      'QUEUE_ADMISSION_REQUIRED',
      'This event has a waiting room: join the queue and wait for admission.',
    );
  }
  try {
    const { payload } = await jwtVerify(token, await secretKey(secret), {
      issuer: ADMISSION_TOKEN.issuer,
      audience: ADMISSION_TOKEN.audience,
      algorithms: [ADMISSION_TOKEN.algorithm],
      requiredClaims: ['exp', 'sub'],
    });
    if (payload.sub !== userId || payload[ADMISSION_TOKEN.eventClaim] !== eventId) {
      throw new Error('token is for another user or event');
    }
    return { userId, eventId, expiresAt: new Date((payload.exp ?? 0) * 1000) };
  } catch {
    throw new HttpProblem(
      403,
      'QUEUE_ADMISSION_INVALID',
      'The queue admission token is expired, forged or not for this user and event.',
    );
  }
}
