import type { OutboxRelay } from '@tiketi/kit';
import { openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { buildApp, type UserDeps } from './app.ts';
import type { DB } from './db/schema.ts';
import { signingKeyRepository } from './db/signing-key.repository.ts';
import { createPasswordHasher } from './domain/credentials.ts';
import { databaseKeyStore } from './domain/signing-keys.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

/**
 * The real user service on its own test database and Redis prefix, for this service's tests and for
 * tests of other parts that need real accounts and tokens (the gateway's). Cheap argon2 cost: tests
 * check behaviour, not hardness.
 */
export async function startTestUserService(
  label: string,
  options: {
    google?: Partial<UserDeps['settings']['google']>;
    webOrigin?: string;
    loginLimits?: UserDeps['settings']['loginLimits'];
    /** Connect to the test's own exchange; the outbox relay is then made but not started. */
    bus?: boolean;
  } = {},
) {
  const config = testConfig(label);
  const infra = await openTestInfra<
    { service: 'user'; database: { name: string; migrations: string }; redis: true; bus: boolean },
    DB
  >(
    { service: 'user', database: { name: 'users_db', migrations }, redis: true, bus: options.bus ?? false },
    config,
  );
  const keys = await databaseKeyStore(signingKeyRepository(infra.db));
  const hasher = await createPasswordHasher({ memoryKiB: 4096, timeCost: 1 });
  const jwks = await keys.jwks();
  const app = await buildApp({
    db: infra.db,
    redis: infra.redis,
    logger: testLogger(),
    readiness: infra.readiness,
    keys,
    hasher,
    jwks,
    internalToken: config.INTERNAL_TOKEN,
    settings: {
      accessTokenTtlSeconds: 900,
      refreshTokenTtlDays: 30,
      webOrigin: options.webOrigin ?? 'http://web.test',
      // Other parts' tests sign in as often as they need; login-limit.test.ts sets the limits it proves.
      loginLimits: options.loginLimits ?? { perAccount: 1_000_000, perIp: 1_000_000, windowMs: 60_000 },
      google: {
        issuerUrl: 'http://127.0.0.1:9',
        clientId: 'tiketi-test',
        clientSecret: 'tiketi-test-secret',
        redirectUri: 'http://127.0.0.1:9/api/auth/google/callback',
        stateTtlSeconds: 600,
        ...options.google,
      },
    },
  });
  return {
    app,
    db: infra.db,
    redis: infra.redis,
    keys,
    hasher,
    jwks,
    config,
    /** With `bus`: publishes the outbox when the test calls `runOnce`. */
    relay: infra.relay as OutboxRelay<DB> | undefined,
    async close() {
      await app.close();
      await infra.cleanup();
    },
  };
}
