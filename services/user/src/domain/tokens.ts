import { createHash, randomBytes } from 'node:crypto';
import { ACCESS_TOKEN, type Role } from '@tiketi/contracts';
import { SignJWT } from 'jose';
import type { KeyStore } from './signing-keys.ts';

export type TokenSigner = {
  readonly accessTtlSeconds: number;
  /** `sessionId` is the refresh family: ending it ends the access tokens issued to it. */
  sign(
    user: { id: string; role: Role; email: string; emailVerifiedAt: Date | null },
    sessionId: string,
  ): Promise<string>;
};

/**
 * Access tokens: EdDSA JWTs carrying who the caller is, their role and whether they proved their email
 * address (`email_verified`, read by the reservation service before a hold), checked by every service.
 * A token says what was true when it was signed: verifying the address takes a fresh pair (refresh).
 */
export function createTokenSigner(keys: KeyStore, accessTtlSeconds: number): TokenSigner {
  return {
    accessTtlSeconds,
    async sign(user, sessionId) {
      const key = await keys.current();
      return new SignJWT({
        role: user.role,
        email: user.email,
        email_verified: user.emailVerifiedAt !== null,
        sid: sessionId,
      })
        .setProtectedHeader({ alg: ACCESS_TOKEN.algorithm, kid: key.kid, typ: 'JWT' })
        .setIssuer(ACCESS_TOKEN.issuer)
        .setAudience(ACCESS_TOKEN.audience)
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(`${accessTtlSeconds}s`)
        .sign(key.privateKey);
    },
  };
}

/** Refresh and email-verification tokens are opaque: 256 random bits, stored only as their SHA-256. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const newRefreshToken = newOpaqueToken;
export const hashRefreshToken = hashOpaqueToken;
