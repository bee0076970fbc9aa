import { canonicalId, notificationDto } from '@tiketi/contracts';
import { type App, type Auth, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { NotificationRepository } from '../db/notification.repository.ts';

export function notificationRoutes(app: App, auth: Auth, notifications: NotificationRepository) {
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
      const items = result.items.map((n) => ({ ...n, createdAt: n.createdAt.toISOString() }));
      return { ...result, items, page, pageSize };
    },
  );
}
