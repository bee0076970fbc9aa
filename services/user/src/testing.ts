import { randomUUID } from 'node:crypto';
import { challengeConfigShape, loadConfig, type OutboxRelay, sql } from '@tiketi/kit';
import { challengeHeader, DEVELOPMENT_ENV, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { buildApp, type UserDeps, userJobs } from './app.ts';
import type { DB } from './db/schema.ts';
import { signingKeyRepository } from './db/signing-key.repository.ts';
import { createPasswordHasher } from './domain/credentials.ts';
import { databaseKeyStore } from './domain/signing-keys.ts';
import { seedDemoUsers } from './seed.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;
const ACCESS_TOKEN_TTL_SECONDS = 900;

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
    /** A running reservation service, asked before an account is deleted. */
    reservationUrl?: string;
    /** Where the service reaches Redis (a proxy the test can cut), instead of the test's Redis. */
    redisUrl?: string;
  } = {},
) {
  const config = testConfig(label);
  const challengeConfig = loadConfig(challengeConfigShape, { ...process.env, ...DEVELOPMENT_ENV });
  const infra = await openTestInfra<
    { service: 'user'; database: { name: string; migrations: string }; redis: true; bus: boolean },
    DB
  >(
    { service: 'user', database: { name: 'users_db', migrations }, redis: true, bus: options.bus ?? false },
    { ...config, REDIS_URL: options.redisUrl ?? config.REDIS_URL },
  );
  const keys = await databaseKeyStore(signingKeyRepository(infra.db));
  const hasher = await createPasswordHasher({ memoryKiB: 4096, timeCost: 1 });
  const jwks = await keys.jwks();
  const logger = testLogger();
  const app = await buildApp({
    db: infra.db,
    redis: infra.redis,
    logger,
    readiness: infra.readiness,
    keys,
    hasher,
    jwks,
    internalToken: config.INTERNAL_TOKEN,
    settings: {
      accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: 30,
      webOrigin: options.webOrigin ?? 'http://web.test',
      emailVerification: { tokenTtlHours: 24, resendIntervalSeconds: 60 },
      passwordReset: { requestIntervalSeconds: 60 },
      // No reservation service unless the test starts one: a deletion that gets that far is refused (503).
      reservationServiceUrl: options.reservationUrl ?? 'http://127.0.0.1:9',
      // Other parts' tests sign in as often as they need; login-limit.test.ts sets the limits it proves.
      loginLimits: options.loginLimits ?? {
        perAccount: 1_000_000,
        accountWindowMs: 60_000,
        perIp: 1_000_000,
        windowMs: 60_000,
      },
      google: {
        issuerUrl: 'http://127.0.0.1:9',
        clientId: 'tiketi-test',
        clientSecret: 'tiketi-test-secret',
        redirectUri: 'http://127.0.0.1:9/api/auth/google/callback',
        stateTtlSeconds: 600,
        ...options.google,
      },
      challenge: {
        hmacKey: challengeConfig.CHALLENGE_HMAC_KEY,
        ttlSeconds: challengeConfig.CHALLENGE_TTL_SECONDS,
      },
    },
  });
  // The background work main starts, ended sessions told again quickly.
  const jobs = userJobs({
    db: infra.db,
    redis: infra.redis,
    logger,
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    retryMs: 200,
  });
  jobs.start();
  /**
   * The token of the newest mail of `type` announced for a user: the outbox holds it (it is relayed to the
   * notification service from there), the user service only its hash. Undefined when none was announced.
   */
  async function announcedToken(
    type: 'user.verification_requested' | 'user.password_reset_requested',
    userId: string,
  ): Promise<string | undefined> {
    const { rows } = await sql<{ token: string }>`select envelope->'data'->>'token' as token from outbox
      where type = ${type} and envelope->'data'->>'userId' = ${userId}
      order by created_at desc limit 1`.execute(infra.db);
    return rows[0]?.token;
  }

  async function verificationToken(userId: string): Promise<string> {
    const token = await announcedToken('user.verification_requested', userId);
    if (!token) throw new Error(`no verification mail was announced for user ${userId}`);
    return token;
  }

  /** A POST as the web app sends it: with a solved bot-defence challenge when it registers. */
  const post = async (url: string, payload: object) =>
    app.inject({
      method: 'POST',
      url,
      payload,
      headers: url === '/api/auth/register' ? await challengeHeader({}, 'register') : {},
    });

  const operator = { email: `ops-${label}@tiketi.test`, password: 'operator-password-1' };
  let operatorSession: Promise<{ id: string; accessToken: string }> | undefined;
  /** The operator's id and access token: the demo operator seeded once, then signed in. */
  function signInOperator() {
    operatorSession ??= (async () => {
      await seedDemoUsers(infra.db, hasher, operator);
      const res = await post('/api/auth/login', operator);
      if (res.statusCode !== 200) throw new Error(`operator login: ${res.statusCode} ${res.body}`);
      const body = res.json() as { user: { id: string }; accessToken: string };
      return { id: body.user.id, accessToken: body.accessToken };
    })();
    return operatorSession;
  }

  return {
    app,
    post,
    verificationToken,
    /**
     * The id of a new account with the role, made as the platform makes it: a fan registers, door staff are
     * made by an operator (POST /api/users/staff); `admin` is the seeded operator's own account.
     */
    async account(role: 'user' | 'staff' | 'admin'): Promise<string> {
      if (role === 'admin') return (await signInOperator()).id;
      const email = `${role}-${randomUUID()}@example.com`;
      const password = `pw-${randomUUID()}`;
      const res =
        role === 'user'
          ? await post('/api/auth/register', { email, password, name: 'Fan' })
          : await app.inject({
              method: 'POST',
              url: '/api/users/staff',
              headers: { authorization: `Bearer ${(await signInOperator()).accessToken}` },
              payload: { email, password, name: 'Door staff' },
            });
      if (res.statusCode !== 201) throw new Error(`${role} account: ${res.statusCode} ${res.body}`);
      const body = res.json() as { id: string } | { user: { id: string } };
      return 'user' in body ? body.user.id : body.id;
    },
    /** The token of the newest password-reset mail announced for a user, if any. */
    resetToken: (userId: string) => announcedToken('user.password_reset_requested', userId),
    /**
     * Proves a user's address through the real endpoint, as the link in their mail does (opened where
     * `accessToken` is signed in, when given). Tokens signed before still say unverified: sign in or refresh
     * for ones that say verified.
     */
    async verifyEmail(userId: string, accessToken?: string): Promise<void> {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/verify-email',
        ...(accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : {}),
        payload: { token: await verificationToken(userId) },
      });
      if (res.statusCode !== 200) throw new Error(`verify-email: ${res.statusCode} ${res.body}`);
    },
    db: infra.db,
    redis: infra.redis,
    keys,
    hasher,
    jwks,
    config,
    /** With `bus`: publishes the outbox when the test calls `runOnce`. */
    relay: infra.relay as OutboxRelay<DB> | undefined,
    async close() {
      await jobs.stop();
      await app.close();
      await infra.cleanup();
    },
  };
}

export type TestUserService = Awaited<ReturnType<typeof startTestUserService>>;
