import { openServiceInfra, runService, serviceDeps } from '@tiketi/kit';
import { buildApp, userJobs } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';
import { signingKeyRepository } from './db/signing-key.repository.ts';
import { createPasswordHasher } from './domain/credentials.ts';
import { databaseKeyStore, envKeyStore } from './domain/signing-keys.ts';
import { seedDemoUsers } from './seed.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('user', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('user', migrations, config, logger);
  const keys = config.JWT_PRIVATE_JWK
    ? await envKeyStore(config.JWT_PRIVATE_JWK)
    : await databaseKeyStore(signingKeyRepository(infra.db));
  const hasher = await createPasswordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
  });
  if (config.SEED_DEMO) {
    const accounts = await seedDemoUsers(infra.db, hasher, {
      email: config.ADMIN_EMAIL,
      password: config.ADMIN_PASSWORD,
    });
    // Printed once on purpose: these are the demo's well-known sign-ins, printed so anyone can try it, not secrets.
    logger.info(
      `demo accounts: ${accounts.map((a) => `${a.role} ${a.email} / ${a.password}`).join('  ·  ')}`,
    );
  }
  const app = await buildApp({
    ...serviceDeps(config, infra, logger),
    db: infra.db,
    redis: infra.redis,
    keys,
    hasher,
    // Verified like in every other service, from the published key set: a key another instance rotates
    // in is fetched when a token names it.
    jwks: config.JWKS_URL,
    internalToken: config.INTERNAL_TOKEN,
    settings: {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
      webOrigin: config.WEB_ORIGIN,
      emailVerification: {
        tokenTtlHours: config.EMAIL_VERIFICATION_TTL_HOURS,
        resendIntervalSeconds: config.EMAIL_VERIFICATION_RESEND_SECONDS,
      },
      passwordReset: { requestIntervalSeconds: config.PASSWORD_RESET_INTERVAL_SECONDS },
      reservationServiceUrl: config.RESERVATION_SERVICE_URL,
      loginLimits: {
        perAccount: config.LOGIN_RATE_LIMIT_PER_ACCOUNT,
        accountWindowMs: config.LOGIN_ACCOUNT_WINDOW_MS,
        perIp: config.LOGIN_RATE_LIMIT_PER_IP,
        windowMs: config.LOGIN_RATE_WINDOW_MS,
      },
      google: {
        issuerUrl: config.GOOGLE_ISSUER_URL,
        clientId: config.GOOGLE_CLIENT_ID,
        clientSecret: config.GOOGLE_CLIENT_SECRET,
        redirectUri: config.GOOGLE_REDIRECT_URI,
        stateTtlSeconds: config.OIDC_STATE_TTL_SECONDS,
      },
      challenge: { hmacKey: config.CHALLENGE_HMAC_KEY, ttlSeconds: config.CHALLENGE_TTL_SECONDS },
    },
  });
  const jobs = userJobs({
    db: infra.db,
    redis: infra.redis,
    logger,
    metrics: infra.metrics,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  return {
    app,
    infra,
    async start() {
      jobs.start();
    },
    stop: jobs.stop,
  };
});
