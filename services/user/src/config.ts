import { challengeConfigShape, env, internalTokenShape, serviceConfigShape } from '@tiketi/kit';
import { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  PORT: env.port(4001),
  DATABASE_NAME: env.string('users_db'),
  /**
   * Signing key(s) for access tokens as a private Ed25519 JWK with a `kid`, or a JSON array of them: the
   * first signs, the others stay published while tokens they signed expire (key rotation). When unset,
   * the service generates a key at first start and keeps it in its database, shared by every instance.
   */
  JWT_PRIVATE_JWK: env.optionalString(),
  ACCESS_TOKEN_TTL_SECONDS: env.int(900),
  REFRESH_TOKEN_TTL_DAYS: env.int(30),
  /** argon2id cost (OWASP's minimum profile by default: 19 MiB, 2 passes). */
  ARGON2_MEMORY_KIB: env.int(19_456),
  ARGON2_TIME_COST: env.int(2),
  /** Any OpenID Connect issuer: the local sandbox by default, https://accounts.google.com in production. */
  GOOGLE_ISSUER_URL: env.url('http://127.0.0.1:4100'),
  GOOGLE_CLIENT_ID: env.string('tiketi-local'),
  /** Issued by the provider (Google's are 35 characters). */
  GOOGLE_CLIENT_SECRET: env.secret('tiketi-local-secret', { minLength: 20 }),
  /** The public callback URL, through the gateway: the one registered with the provider. */
  GOOGLE_REDIRECT_URI: env.url('http://localhost:3001/api/auth/google/callback'),
  /** How long a started Google login may take before its state, nonce and PKCE verifier are forgotten. */
  OIDC_STATE_TTL_SECONDS: env.int(600),
  WEB_ORIGIN: env.url('http://localhost:3000'),
  /** Asked, before an account is deleted, whether it still holds seats or tickets to come. */
  RESERVATION_SERVICE_URL: env.serviceUrl('reservation'),
  /** How long the link in a verification mail works. */
  EMAIL_VERIFICATION_TTL_HOURS: env.int(24),
  /** The least time between two verification mails asked for by one account. */
  EMAIL_VERIFICATION_RESEND_SECONDS: env.int(60),
  /**
   * The least time between two password-reset mails to one account; a request within it is answered as
   * usual and sends nothing. (The link itself works for PASSWORD_RESET_TTL_MINUTES, a fixed 60.)
   */
  PASSWORD_RESET_INTERVAL_SECONDS: env.int(60),
  /**
   * Password sign-ins per account in each LOGIN_ACCOUNT_WINDOW_MS (past it, a sign-in needs a solved
   * challenge; a successful one starts the count over), and per client address in each
   * LOGIN_RATE_WINDOW_MS (past it, 429; sized for the fans behind one carrier-NAT or venue address).
   * Counted in Redis by the service itself, so they hold however it is reached (the gateway has its own
   * per-IP limit).
   */
  LOGIN_RATE_LIMIT_PER_ACCOUNT: env.int(5),
  LOGIN_ACCOUNT_WINDOW_MS: env.int(900_000),
  LOGIN_RATE_LIMIT_PER_IP: env.int(60),
  LOGIN_RATE_WINDOW_MS: env.int(60_000),
  SEED_DEMO: env.bool(false),
  ADMIN_EMAIL: z.email().default('admin@tiketi.local'),
  /** The seeded admin's password (SEED_DEMO); the default is printed by `npm start` for the demo. */
  ADMIN_PASSWORD: env.secret('tiketi-admin-2026', { minLength: 16 }),
  /** Registering needs a solved challenge, issued by the queue service with the same key. */
  ...challengeConfigShape,
};

export type UserConfig = z.output<z.ZodObject<typeof configShape>>;
