import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN } from '@tiketi/contracts';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { z } from 'zod';
import type { SigningKeyRepository, StoredKey } from '../db/signing-key.repository.ts';

export type SigningKey = { kid: string; privateKey: CryptoKey };

export type KeyStore = {
  /** The key that signs new access tokens. */
  current(): Promise<SigningKey>;
  /** Public keys every service verifies with (`/.well-known/jwks.json`). */
  jwks(): Promise<JSONWebKeySet>;
};

const privateJwk = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});

/** How long an instance keeps using the key it read before looking for a newer one (rotation). */
const REFRESH_MS = 60_000;

function publicPart(jwk: Record<string, unknown>): JWK {
  const { d: _private, ...rest } = jwk;
  return { ...rest, alg: ACCESS_TOKEN.algorithm, use: 'sig' } as JWK;
}

async function toSigningKey(jwk: Record<string, unknown>): Promise<SigningKey> {
  const key = await importJWK({ ...jwk, alg: ACCESS_TOKEN.algorithm } as JWK, ACCESS_TOKEN.algorithm);
  return { kid: String(jwk.kid), privateKey: key as CryptoKey };
}

/** A fresh Ed25519 key pair as JWKs, named with a new kid. */
export async function generateSigningKey(): Promise<StoredKey> {
  const pair = await generateKeyPair(ACCESS_TOKEN.algorithm, { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid },
  };
}

/**
 * Keys given by environment (`JWT_PRIVATE_JWK`: one private JWK or an array whose first entry signs): the
 * operator owns them and rotates by prepending a new key, keeping the old one until its tokens expire.
 */
export async function envKeyStore(json: string): Promise<KeyStore> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('JWT_PRIVATE_JWK is not valid JSON');
  }
  const list = z
    .array(privateJwk)
    .min(1)
    .safeParse(Array.isArray(parsed) ? parsed : [parsed]);
  if (!list.success) {
    throw new Error(
      'JWT_PRIVATE_JWK must be a private Ed25519 JWK (kty OKP, crv Ed25519, x, d, kid) or a list',
    );
  }
  const keys = list.data;
  const signing = await toSigningKey(keys[0] as Record<string, unknown>);
  const published: JSONWebKeySet = { keys: keys.map((k) => publicPart(k)) };
  return { current: async () => signing, jwks: async () => published };
}

/**
 * Keys kept in users_db: generated at first start, shared by every instance. The newest active key
 * signs; every active key is published, so a key inserted by rotation is verifiable everywhere at once
 * and an older one keeps verifying until it is retired.
 */
export async function databaseKeyStore(repo: SigningKeyRepository): Promise<KeyStore> {
  await repo.ensure(generateSigningKey);
  let cached: { key: SigningKey; at: number } | undefined;
  return {
    async current() {
      if (cached && Date.now() - cached.at < REFRESH_MS) return cached.key;
      const [newest] = await repo.active();
      const stored = newest ?? (await repo.ensure(generateSigningKey))[0];
      if (!stored) throw new Error('no signing key available');
      cached = { key: await toSigningKey(stored.privateJwk), at: Date.now() };
      return cached.key;
    },
    async jwks() {
      const active = await repo.active();
      return { keys: active.map((k) => publicPart(k.publicJwk)) };
    },
  };
}
