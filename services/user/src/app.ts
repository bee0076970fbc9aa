import { PASSWORD_RESET_TTL_MINUTES } from '@tiketi/contracts';
import {
  challengeGuard,
  createAuth,
  createChallenges,
  createServiceServer,
  type Kysely,
  type Logger,
  type Metrics,
  type Redis,
  type ServiceDeps,
  sessionRevocations,
} from '@tiketi/kit';
import type { JSONWebKeySet } from 'jose';
import { createReservationClient } from './clients/reservation.client.ts';
import { emailTokenRepository } from './db/email-token.repository.ts';
import type { DB } from './db/schema.ts';
import { sessionRepository } from './db/session.repository.ts';
import { userRepository } from './db/user.repository.ts';
import { createAccountDeletion } from './domain/account-deletion.ts';
import { createAuthService } from './domain/auth.service.ts';
import type { PasswordHasher } from './domain/credentials.ts';
import { createEmailVerification } from './domain/email-verification.ts';
import { createGoogleLogin } from './domain/google-login.ts';
import { createPasswords } from './domain/passwords.ts';
import { sessionCleanup } from './domain/session-cleanup.ts';
import { sessionEndRetry, sessionEnds } from './domain/session-ends.ts';
import type { KeyStore } from './domain/signing-keys.ts';
import { createTokenSigner } from './domain/tokens.ts';
import { createUserService } from './domain/user.service.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { jwksRoutes } from './routes/jwks.routes.ts';
import { type LoginLimitSettings, loginLimits } from './routes/login-limit.ts';
import { userRoutes } from './routes/users.routes.ts';

export type UserDeps = ServiceDeps & {
  db: Kysely<DB>;
  redis: Redis;
  keys: KeyStore;
  hasher: PasswordHasher;
  /** Where access tokens are verified from: the JWKS URL, or a key set given directly (tests). */
  jwks: string | JSONWebKeySet;
  /** The shared secret other services send on `/internal/*` calls. */
  internalToken: string;
  settings: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlDays: number;
    webOrigin: string;
    emailVerification: { tokenTtlHours: number; resendIntervalSeconds: number };
    passwordReset: { requestIntervalSeconds: number };
    /** Asked whether an account to be deleted still holds seats or tickets to come. */
    reservationServiceUrl: string;
    loginLimits?: LoginLimitSettings;
    google: {
      issuerUrl: string;
      clientId: string;
      clientSecret: string;
      redirectUri: string;
      stateTtlSeconds: number;
    };
    /** Checks the bot-defence challenge solved before registering. */
    challenge: { hmacKey: string; ttlSeconds: number };
  };
};

export const defaultLoginLimits: LoginLimitSettings = {
  perAccount: 5,
  accountWindowMs: 900_000,
  perIp: 60,
  windowMs: 60_000,
};

/** Builds the user service from its dependencies; opens nothing itself. */
export async function buildApp(deps: UserDeps) {
  const { app } = await createServiceServer('user', deps, { outbox: deps.db });
  const users = userRepository(deps.db);
  const revocations = sessionRevocations(deps.redis, { logger: deps.logger });
  const tokens = emailTokenRepository(deps.db);
  const sessions = sessionRepository(deps.db);
  const signer = createTokenSigner(deps.keys, deps.settings.accessTokenTtlSeconds);
  const verification = createEmailVerification({
    db: deps.db,
    users,
    tokens,
    redis: deps.redis,
    ...deps.settings.emailVerification,
  });
  const tokenCheck = createAuth({ jwks: deps.jwks, internalToken: deps.internalToken, revocations });
  const ends = sessionEnds({
    db: deps.db,
    sessions,
    revocations,
    accessTtlSeconds: signer.accessTtlSeconds,
    logger: deps.logger,
  });
  const auth = createAuthService({
    db: deps.db,
    users,
    sessions,
    hasher: deps.hasher,
    signer,
    verification,
    refreshTtlDays: deps.settings.refreshTokenTtlDays,
    ends,
  });
  const passwords = createPasswords({
    db: deps.db,
    users,
    tokens,
    ends,
    hasher: deps.hasher,
    redis: deps.redis,
    logger: deps.logger,
    tokenTtlMinutes: PASSWORD_RESET_TTL_MINUTES,
    ...deps.settings.passwordReset,
  });
  const google = createGoogleLogin({ ...deps.settings.google, redis: deps.redis, logger: deps.logger });
  const challenges = createChallenges({ ...deps.settings.challenge, redis: deps.redis });
  await loginLimits(
    app,
    deps.redis,
    deps.settings.loginLimits ?? defaultLoginLimits,
    challengeGuard(challenges, 'login'),
  );
  jwksRoutes(app, deps.keys);
  authRoutes(app, {
    auth,
    google,
    verification,
    passwords,
    tokenCheck,
    webOrigin: deps.settings.webOrigin,
    registerGuard: challengeGuard(challenges, 'register'),
  });
  const deletion = createAccountDeletion({
    db: deps.db,
    users,
    ends,
    hasher: deps.hasher,
    reservations: createReservationClient({
      baseUrl: deps.settings.reservationServiceUrl,
      internalToken: deps.internalToken,
    }),
  });
  userRoutes(app, {
    auth: tokenCheck,
    users: createUserService(deps.db, users),
    accounts: auth,
    deletion,
    passwords,
  });
  return app;
}

/**
 * The user service's background work, on every instance: forgetting expired sessions and mailed links, and
 * telling Redis of ended sessions an outage kept it from hearing about.
 */
export function userJobs(deps: {
  db: Kysely<DB>;
  redis: Redis;
  logger: Logger;
  metrics?: Metrics;
  accessTokenTtlSeconds: number;
  /** How often ended sessions not yet in Redis are told again (default 5 s). */
  retryMs?: number;
}) {
  const sessions = sessionRepository(deps.db);
  const cleanup = sessionCleanup(
    { sessions, tokens: emailTokenRepository(deps.db) },
    { logger: deps.logger, metrics: deps.metrics },
  );
  const ends = sessionEnds({
    db: deps.db,
    sessions,
    revocations: sessionRevocations(deps.redis, { logger: deps.logger }),
    accessTtlSeconds: deps.accessTokenTtlSeconds,
    logger: deps.logger,
  });
  const retry = sessionEndRetry(ends, {
    logger: deps.logger,
    metrics: deps.metrics,
    intervalMs: deps.retryMs,
  });
  return {
    start(): void {
      cleanup.start();
      retry.start();
    },
    /** Waits for the passes under way: the pool must not close under them. */
    async stop(): Promise<void> {
      await Promise.all([cleanup.stop(), retry.stop()]);
    },
  };
}
