import {
  canonicalId,
  internalUser,
  internalUserLookup,
  internalUserLookupRequest,
  passwordResetSent,
  userLocale,
  userRole,
} from '@tiketi/contracts';
import { type App, type Auth, callerOf, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { AccountDeletion } from '../domain/account-deletion.ts';
import type { AuthService } from '../domain/auth.service.ts';
import type { Passwords } from '../domain/passwords.ts';
import type { UserService } from '../domain/user.service.ts';
import { displayName, email, password, toUser, userResponse } from './schemas.ts';

export function userRoutes(
  app: App,
  deps: {
    auth: Auth;
    users: UserService;
    accounts: AuthService;
    deletion: AccountDeletion;
    passwords: Pick<Passwords, 'requestFor'>;
  },
) {
  const { auth, users, accounts, deletion, passwords } = deps;

  app.get(
    '/api/users/me',
    { onRequest: auth.user, schema: { summary: 'The signed-in user', response: { 200: userResponse } } },
    async (req) => toUser(await users.get(callerOf(req).id)),
  );

  app.patch(
    '/api/users/me',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Change your name or language',
        body: z
          .object({ name: displayName.optional(), locale: userLocale.optional() })
          .refine((b) => b.name !== undefined || b.locale !== undefined, {
            error: 'give name or locale',
          }),
        response: { 200: userResponse },
      },
    },
    async (req) => toUser(await users.update(callerOf(req).id, req.body)),
  );

  app.delete(
    '/api/users/me',
    {
      onRequest: auth.user,
      schema: {
        summary:
          'Delete your account, giving your password (or, without one, your email address); refused while it holds seats or tickets to come',
        body: z.object({
          password: z.string().min(1).max(1024).optional(),
          email: z.string().max(254).optional(),
        }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await deletion.delete(callerOf(req).id, req.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/users',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Find users by email or name (operators)',
        querystring: z.object({
          query: z.string().max(200).optional(),
          role: userRole.optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(userResponse) },
      },
    },
    async (req) => {
      const { query, role, page, pageSize } = req.query;
      const result = await users.search({ query, role, page, pageSize });
      return { items: result.items.map(toUser), total: result.total, page, pageSize };
    },
  );

  app.post(
    '/api/users/staff',
    {
      onRequest: auth.admin,
      schema: {
        summary:
          'Create a door-staff account (operators); assign its events with PUT /api/tickets/staff/:id/events',
        body: z.object({ email, password, name: displayName }),
        response: { 201: userResponse },
      },
    },
    async (req, reply) => reply.code(201).send(toUser(await accounts.createStaff(req.body))),
  );

  app.get(
    '/api/users/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'One user (operators)',
        params: z.object({ id: canonicalId({ error: 'must be a user id (UUID)' }) }),
        response: { 200: userResponse },
      },
    },
    async (req) => toUser(await users.get(req.params.id)),
  );

  app.post(
    '/api/users/:id/password-reset',
    {
      onRequest: auth.admin,
      schema: {
        summary:
          'Mail the user a link to set a new password (operators; 429 when one went out within the last minute)',
        params: z.object({ id: canonicalId({ error: 'must be a user id (UUID)' }) }),
        response: { 202: passwordResetSent },
      },
    },
    async (req, reply) => reply.code(202).send(await passwords.requestFor(req.params.id)),
  );

  // For other services only (the notification service's recipients, the reservation service's door
  // staff); the gateway never routes /internal.
  app.get(
    '/internal/users/:id',
    {
      onRequest: auth.internal,
      schema: {
        hide: true,
        params: z.object({ id: canonicalId({ error: 'must be a user id (UUID)' }) }),
        response: { 200: internalUser },
      },
    },
    async (req) => {
      const user = await users.get(req.params.id);
      return { id: user.id, email: user.email, name: user.name, locale: user.locale, role: user.role };
    },
  );

  app.post(
    '/internal/users/lookup',
    {
      onRequest: auth.internal,
      schema: { hide: true, body: internalUserLookupRequest, response: { 200: internalUserLookup } },
    },
    async (req) => ({ items: await users.many(req.body.ids) }),
  );
}
