import { resetPasswordToken, userLocale, verifyEmailRequest, WEB_AUTH_CALLBACK } from '@tiketi/contracts';
import { type App, type Auth, type ChallengeGuard, callerOf } from '@tiketi/kit';
import { z } from 'zod';
import type { AuthService } from '../domain/auth.service.ts';
import { assertPasswordAllowed, normaliseEmail } from '../domain/credentials.ts';
import type { EmailVerification } from '../domain/email-verification.ts';
import { type GoogleLogin, GoogleLoginError } from '../domain/google-login.ts';
import type { Passwords } from '../domain/passwords.ts';
import { displayName, email, password, sessionResponse, toSession, toUser, userResponse } from './schemas.ts';

const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) });
/** The token from a password-reset mail, which the reset and its check both take. */
const resetTokenBody = z.object({ token: resetPasswordToken });

/** The cookie that binds a Google sign-in to the browser that started it (login CSRF). */
const LOGIN_COOKIE = 'tiketi_oidc';

/**
 * The binding cookie: HttpOnly (no script reads it) and SameSite=Lax (sent on the provider's top-level
 * redirect back, never on a cross-site subrequest), scoped to the Google paths and gone once the login can no
 * longer finish; Secure wherever the callback is https.
 */
function loginCookie(redirectUri: string, value: string, maxAgeSeconds: number): string {
  const callback = new URL(redirectUri);
  return [
    `${LOGIN_COOKIE}=${value}`,
    `Path=${callback.pathname.replace(/\/callback$/, '')}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(callback.protocol === 'https:' ? ['Secure'] : []),
  ].join('; ');
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function authRoutes(
  app: App,
  deps: {
    auth: AuthService;
    google: GoogleLogin;
    verification: EmailVerification;
    passwords: Passwords;
    /** Access-token check, for the routes a signed-in caller uses. */
    tokenCheck: Auth;
    webOrigin: string;
    /** The bot defence's check of the register challenge. */
    registerGuard: ChallengeGuard;
  },
) {
  const { auth, google, verification, passwords, tokenCheck } = deps;

  app.post(
    '/api/auth/register',
    {
      // Every rule of the input before the challenge, so that a typo does not spend a solution.
      preHandler: [
        async (req: { body: { email: string; password: string } }) =>
          assertPasswordAllowed(req.body.password, normaliseEmail(req.body.email)),
        deps.registerGuard,
      ],
      schema: {
        summary: 'Create an account with email and password',
        // The language of the page signed up on: the account's mails speak it from the first.
        body: z.object({ email, password, name: displayName, locale: userLocale.optional() }),
        response: { 201: sessionResponse },
      },
    },
    async (req, reply) => reply.code(201).send(toSession(await auth.register(req.body))),
  );

  app.post(
    '/api/auth/login',
    {
      schema: {
        summary: 'Sign in with email and password',
        body: z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) }),
        response: { 200: sessionResponse },
      },
    },
    async (req) => toSession(await auth.login(req.body)),
  );

  app.post(
    '/api/auth/refresh',
    {
      schema: {
        summary: 'Trade a refresh token for a new pair (the old one stops working)',
        body: refreshBody,
        response: { 200: sessionResponse },
      },
    },
    async (req) => toSession(await auth.refresh(req.body.refreshToken)),
  );

  app.post(
    '/api/auth/verify-email',
    {
      // A caller signed in here is known: the link of a contested registration works for its registrant.
      onRequest: tokenCheck.optional,
      schema: {
        summary: 'Prove an email address with the token from the verification mail (refresh for a new pair)',
        body: verifyEmailRequest,
        response: { 200: z.object({ user: userResponse }) },
      },
    },
    async (req) => ({ user: toUser(await verification.verify(req.body.token, req.user?.id)) }),
  );

  app.post(
    '/api/auth/verify-email/resend',
    {
      onRequest: tokenCheck.user,
      schema: {
        summary: 'Mail the signed-in account a new verification link (once a minute at most)',
        response: { 202: z.null() },
      },
    },
    async (req, reply) => {
      await verification.resend(callerOf(req).id);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/api/auth/password/forgot',
    {
      schema: {
        summary:
          'Mail the account with this address a link to set a new password (202 whether or not one has it)',
        body: z.object({ email }),
        response: { 202: z.null() },
      },
    },
    async (req, reply) => {
      passwords.request(req.body.email);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/api/auth/password/reset/check',
    {
      schema: {
        summary:
          'Whether the token from the reset mail can still set a password (204), else the reset’s refusal; uses nothing up',
        body: resetTokenBody,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await passwords.check(req.body.token);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/auth/password/reset',
    {
      schema: {
        summary:
          'Set a new password with the token from the reset mail; ends every other session, starts a new one',
        body: resetTokenBody.extend({ password }),
        response: { 200: sessionResponse },
      },
    },
    async (req) => {
      const user = await passwords.redeem(req.body.token, req.body.password);
      return toSession(await auth.startSession(user));
    },
  );

  app.post(
    '/api/auth/password/change',
    {
      onRequest: tokenCheck.user,
      schema: {
        summary: 'Change the password, giving the current one; ends every session, this one gets a new pair',
        body: z.object({ currentPassword: z.string().min(1).max(1024), password }),
        response: { 200: sessionResponse },
      },
    },
    async (req) => {
      const { currentPassword, password: next } = req.body;
      const user = await passwords.change(callerOf(req).id, currentPassword, next);
      return toSession(await auth.startSession(user));
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        summary: 'End the session a refresh token belongs to',
        body: refreshBody,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await auth.logout(req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  const webCallback = (fragment: Record<string, string>) =>
    `${deps.webOrigin.replace(/\/$/, '')}${WEB_AUTH_CALLBACK.path}#${new URLSearchParams(fragment)}`;

  app.get(
    '/api/auth/google',
    {
      schema: {
        summary: 'Start "Sign in with Google" (redirects to the provider)',
        // A new account speaks the language of the page; anything else is the default.
        querystring: z.object({ locale: z.string().optional() }),
      },
    },
    async (req, reply) => {
      try {
        const wanted = userLocale.safeParse(req.query.locale);
        const { url, binding, ttlSeconds } = await google.start(wanted.success ? wanted.data : undefined);
        reply.header('set-cookie', loginCookie(google.redirectUri, binding, ttlSeconds));
        reply.header('cache-control', 'no-store');
        return reply.redirect(url.href, 302);
      } catch (error) {
        if (!(error instanceof GoogleLoginError)) throw error;
        req.log.warn({ err: error.cause ?? error, code: error.code }, error.message);
        return reply.redirect(webCallback({ error: error.code }), 302);
      }
    },
  );

  app.get(
    '/api/auth/google/callback',
    {
      schema: {
        summary: 'Where the provider sends the browser back; redirects to the web app with tokens',
        querystring: z.object({
          code: z.string().optional(),
          state: z.string().optional(),
          error: z.string().optional(),
        }),
      },
    },
    async (req, reply) => {
      const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      reply.header('set-cookie', loginCookie(google.redirectUri, '', 0));
      try {
        const identity = await google.finish(search, cookieOf(req.headers.cookie, LOGIN_COOKIE));
        const { session } = await auth.signInWithIdentity(identity);
        reply.header('cache-control', 'no-store');
        return reply.redirect(
          webCallback({ accessToken: session.accessToken, refreshToken: session.refreshToken }),
          302,
        );
      } catch (error) {
        if (!(error instanceof GoogleLoginError)) throw error;
        req.log.warn({ code: error.code }, error.message);
        return reply.redirect(webCallback({ error: error.code }), 302);
      }
    },
  );
}
