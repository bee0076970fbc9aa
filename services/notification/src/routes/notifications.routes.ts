import { canonicalId } from '@tiketi/contracts';
import { type App, type Auth, isoDateTime, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { NotificationRepository } from '../db/notification.repository.ts';
import { NOTIFICATION_STATUSES } from '../db/schema.ts';

const notification = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  template: z.string(),
  userId: canonicalId().nullable(),
  recipient: z.string().nullable(),
  locale: z.enum(['ko', 'en']).nullable(),
  subject: z.string().nullable(),
  status: z.enum(NOTIFICATION_STATUSES),
  detail: z.string().nullable(),
  transport: z.string().nullable(),
  createdAt: isoDateTime(),
});

export function notificationRoutes(app: App, auth: Auth, notifications: NotificationRepository) {
  app.get(
    '/api/notifications',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Emails sent (admin), newest first, optionally for one user',
        querystring: z.object({ userId: canonicalId().optional(), ...pageQuery }),
        response: { 200: pageOf(notification) },
      },
    },
    async (req) => {
      const { userId, page, pageSize } = req.query;
      const result = await notifications.list({ userId, limit: pageSize, offset: (page - 1) * pageSize });
      return { ...result, page, pageSize };
    },
  );
}
