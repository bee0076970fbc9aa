import { canonicalId, notificationDto } from '@tiketi/contracts';
import { type App, type Auth, callerOf, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { NotificationRepository } from '../db/notification.repository.ts';
import type { NotificationsTable } from '../db/schema.ts';
import { type Notifier, SEND_AGAIN_TEMPLATES } from '../domain/notifier.ts';

type Row = Omit<NotificationsTable, 'createdAt' | 'source'> & { createdAt: Date; source: unknown };

/** A mail as operators see it: what it was written from stays inside the service. */
function toDto({ source, providerMessageId: _, requestedBy: __, ...n }: Row) {
  return {
    ...n,
    canSendAgain:
      source !== null &&
      n.againOf === null &&
      SEND_AGAIN_TEMPLATES.has(n.template) &&
      (n.status === 'sent' || n.status === 'unconfirmed'),
    createdAt: n.createdAt.toISOString(),
  };
}

export function notificationRoutes(
  app: App,
  auth: Auth,
  notifications: NotificationRepository,
  notifier: Pick<Notifier, 'sendAgain'>,
) {
  app.get(
    '/api/notifications',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Emails sent (admin), newest first, optionally for one user',
        querystring: z.object({ userId: canonicalId().optional(), ...pageQuery }),
        response: { 200: pageOf(notificationDto) },
      },
    },
    async (req) => {
      const { userId, page, pageSize } = req.query;
      const result = await notifications.list({ userId, limit: pageSize, offset: (page - 1) * pageSize });
      return { ...result, items: result.items.map(toDto), page, pageSize };
    },
  );

  app.post(
    '/api/notifications/:id/send-again',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Sends an email again (admin): a new mail, written from what the first was written from',
        description:
          'For a fan who says a mail never came, or a mail whose send was left unconfirmed. Answers the new ' +
          'mail; 409 CANNOT_SEND_AGAIN when this one may not be sent again (one-time links, a copy, a mail ' +
          'still being sent or never sent, an account that no longer exists), and with `reason` when what it ' +
          'says no longer holds: `tickets_void` (the order has no valid ticket any more) or `offer_over` (a ' +
          'waiting-list offer that was paid, given up or lapsed).',
        params: z.object({ id: canonicalId() }),
        response: { 201: notificationDto },
      },
    },
    async (req, reply) => {
      const id = await notifier.sendAgain(req.params.id, callerOf(req).id);
      const sent = await notifications.findById(id);
      if (!sent) throw new Error(`the mail ${id} sent again is not on record`);
      return reply.code(201).send(toDto(sent));
    },
  );
}
