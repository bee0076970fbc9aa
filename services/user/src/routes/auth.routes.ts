import { WEB_AUTH_CALLBACK } from '@tiketi/contracts';
import type { App, ChallengeGuard } from '@tiketi/kit';
import { z } from 'zod';
import type { AuthService } from '../domain/auth.service.ts';
import { type GoogleLogin, GoogleLoginError } from '../domain/google-login.ts';
import { displayName, email, password, sessionResponse } from './schemas.ts';

const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) });

export function authRoutes(
  app: App,
  deps: {
    auth: AuthService;
    google: GoogleLogin;
    webOrigin: string;
    /** The bot defence's check of the register challenge. */
    registerGuard: ChallengeGuard;
  },
) {
  const { auth, google } = deps;

  app.post(
    '/api/auth/register',
    {
      preHandler: deps.registerGuard,
      schema: {
        summary: 'Create an account with email and password',
        body: z.object({ email, password, name: displayName }),
        response: { 201: sessionResponse },
      },
    },
    async (req, reply) => reply.code(201).send(await auth.register(req.body)),
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
    async (req) => auth.login(req.body),
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
    async (req) => auth.refresh(req.body.refreshToken),
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
    { schema: { summary: 'Start "Sign in with Google" (redirects to the provider)' } },
    async (req, reply) => {
      try {
        return reply.redirect((await google.start()).href, 302);
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
      try {
        const identity = await google.finish(search);
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
