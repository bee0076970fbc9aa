import {
  createAuth,
  createServer,
  type Kysely,
  type Logger,
  type ReadinessCheck,
  type Redis,
  type ServerSettings,
} from '@tiketi/kit';
import type { JSONWebKeySet } from 'jose';
import type { DB } from './db/schema.ts';
import { sessionRepository } from './db/session.repository.ts';
import { userRepository } from './db/user.repository.ts';
import { createAuthService } from './domain/auth.service.ts';
import type { PasswordHasher } from './domain/credentials.ts';
import { createGoogleLogin } from './domain/google-login.ts';
import type { KeyStore } from './domain/signing-keys.ts';
import { createTokenSigner } from './domain/tokens.ts';
import { createUserService } from './domain/user.service.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { jwksRoutes } from './routes/jwks.routes.ts';
import { type LoginLimitSettings, loginLimits } from './routes/login-limit.ts';
import { userRoutes } from './routes/users.routes.ts';

export type UserDeps = {
  /** Timeouts, trusted proxies and the operations endpoints (`serverSettings(config)` in main). */
  server?: ServerSettings;
  db: Kysely<DB>;
  redis: Redis;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
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
    loginLimits?: LoginLimitSettings;
    google: {
      issuerUrl: string;
      clientId: string;
      clientSecret: string;
      redirectUri: string;
      stateTtlSeconds: number;
    };
  };
};

export const defaultLoginLimits: LoginLimitSettings = { perAccount: 10, perIp: 30, windowMs: 60_000 };

/** Builds the user service from its dependencies; opens nothing itself. */
export async function buildApp(deps: UserDeps) {
  const { app } = await createServer({
    name: 'user',
    logger: deps.logger,
    readiness: deps.readiness,
    outbox: deps.db,
    ...deps.server,
  });
  const users = userRepository(deps.db);
  const auth = createAuthService({
    db: deps.db,
    users,
    sessions: sessionRepository(deps.db),
    hasher: deps.hasher,
    signer: createTokenSigner(deps.keys, deps.settings.accessTokenTtlSeconds),
    refreshTtlDays: deps.settings.refreshTokenTtlDays,
  });
  const google = createGoogleLogin({ ...deps.settings.google, redis: deps.redis, logger: deps.logger });
  await loginLimits(app, deps.redis, deps.settings.loginLimits ?? defaultLoginLimits);
  jwksRoutes(app, deps.keys);
  authRoutes(app, { auth, google, webOrigin: deps.settings.webOrigin });
  userRoutes(app, {
    auth: createAuth({ jwks: deps.jwks, internalToken: deps.internalToken }),
    users: createUserService(users),
  });
  return app;
}
