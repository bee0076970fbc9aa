import { z } from 'zod';
import { canonicalId } from './ids.ts';

export const userRole = z.enum(['user', 'admin', 'staff']);
export const userLocale = z.enum(['ko', 'en']);
export type UserLocale = z.infer<typeof userLocale>;

/** A user as the user service answers it (`GET /api/users/me`, auth responses, admin lookups). */
export const publicUser = z.object({
  id: canonicalId(),
  email: z.email(),
  name: z.string(),
  role: userRole,
  locale: userLocale,
  /**
   * Whether the owner proved the address (the verification mail's link, or Google). Until then the account
   * can sign in but not hold seats (403 `EMAIL_NOT_VERIFIED`).
   */
  emailVerified: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type PublicUser = z.infer<typeof publicUser>;

/** What register, login, refresh and the Google callback hand the client. */
export const authSession = z.object({
  user: publicUser,
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int().positive(),
});
export type AuthSession = z.infer<typeof authSession>;

/**
 * Where the Google login ends in the web app: `${WEB_ORIGIN}/auth/callback#accessToken=…&refreshToken=…`
 * on success, `#error=<code>` on failure. The fragment never reaches a server log.
 */
export const WEB_AUTH_CALLBACK = {
  path: '/auth/callback',
  errors: [
    'invalid_state',
    'access_denied',
    'provider_error',
    'provider_unavailable',
    'email_not_verified',
    'email_not_usable',
  ],
} as const;
export type WebAuthError = (typeof WEB_AUTH_CALLBACK.errors)[number];

/**
 * Where a verification mail's link leads: `${WEB_ORIGIN}/verify-email?token=…`; the page hands the token to
 * `POST /api/auth/verify-email` `{token}`.
 */
export const WEB_VERIFY_EMAIL = { path: '/verify-email', tokenParam: 'token' } as const;

/** A token from a link the user service mailed: 256 random bits, base64url. */
const mailedToken = (link: string) =>
  z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: `must be the token from the ${link} link` });

/** `POST /api/auth/verify-email` `{token}`. */
export const verifyEmailRequest = z.object({ token: mailedToken('verification') });

/**
 * Where a password-reset mail's link leads: `${WEB_ORIGIN}/reset-password?token=…`; the page asks for the new
 * password and sends both to `POST /api/auth/password/reset`.
 */
export const WEB_RESET_PASSWORD = { path: '/reset-password', tokenParam: 'token' } as const;

/**
 * `POST /api/auth/password/forgot` `{email}` answers 202 whether or not an account has the address; the
 * account's owner gets a link that works once, for PASSWORD_RESET_TTL_MINUTES.
 */
export const PASSWORD_RESET_TTL_MINUTES = 60;

/**
 * `POST /api/auth/password/reset` `{token, password}` sets the new password and answers 200 with a new
 * session, as a login does. Every other session of the account ends. A used link answers 409
 * `RESET_TOKEN_USED`, an expired one 410 `RESET_TOKEN_EXPIRED`, any other token 400 `RESET_TOKEN_INVALID`.
 * `POST /api/auth/password/reset/check` `{token}` answers 204 while the token can still set a password, else
 * the same refusal, and uses nothing up: the page the link opens asks it before the fan types a password.
 */
export const resetPasswordToken = mailedToken('password reset');

/**
 * `POST /api/users/:id/password-reset` (operators) → 202: the address the reset link went to; 429 when one
 * went out to the account within the last minute.
 */
export const passwordResetSent = z.object({ sentTo: z.string() });

/**
 * `GET /internal/users/:id` on the user service (internal token; 404 for no account): who to write to and
 * in which language, and the account's role. The notification service falls back to it for users it has
 * not seen in `user.registered`; the reservation service assigns doors only to a `staff` account.
 */
export const internalUser = z.object({
  id: canonicalId(),
  email: z.email(),
  name: z.string(),
  locale: userLocale,
  role: userRole,
});
export type InternalUser = z.infer<typeof internalUser>;
export const internalUserPath = (userId: string) => `/internal/users/${userId}`;

/**
 * `POST /internal/users/lookup {ids}` (internal token): several users at once, for the operator's exports;
 * ids of no account are left out of `items`.
 */
export const INTERNAL_USER_LOOKUP_MAX = 1000;
export const internalUserLookupRequest = z.strictObject({
  ids: z.array(canonicalId()).min(1).max(INTERNAL_USER_LOOKUP_MAX),
});
export const internalUserLookup = z.object({ items: z.array(internalUser) });
