import { createHash, randomBytes } from 'node:crypto';
import { ACCESS_TOKEN, type Role } from '@tiketi/contracts';
import { SignJWT } from 'jose';
import type { KeyStore } from './signing-keys.ts';

export type TokenSigner = {
  readonly accessTtlSeconds: number;
  /** `sessionId` is the refresh family: ending it ends the access tokens issued to it. */
  sign(user: { id: string; role: Role; email: string }, sessionId: string): Promise<string>;
};

/** Access tokens: EdDSA JWTs carrying who the caller is and their role, checked by every service. */
export function createTokenSigner(keys: KeyStore, accessTtlSeconds: number): TokenSigner {
  return {
    accessTtlSeconds,
    async sign(user, sessionId) {
      const key = await keys.current();
      return new SignJWT({ role: user.role, email: user.email, sid: sessionId })
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

/** Refresh tokens are opaque: 256 random bits, stored only as their SHA-256. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
