import { type App, isoDateTime, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { eventRepository } from '../db/event.repository.ts';

const eventStatus = z.enum(['draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled']);
const eventSummary = z.object({
  id: z.uuid(),
  title: z.string(),
  startsAt: isoDateTime(),
  status: eventStatus,
});

export function eventRoutes(app: App, events: ReturnType<typeof eventRepository>) {
  app.get(
    '/api/events',
    {
      schema: {
        summary: 'List public events',
        querystring: z.object({
          status: eventStatus.optional(),
          ...pageQuery,
        }),
        response: {
          200: pageOf(eventSummary),
        },
      },
    },
    async (req) => {
      const { page, pageSize, status } = req.query;
      const result = await events.list({ status, limit: pageSize, offset: (page - 1) * pageSize });
      return { ...result, page, pageSize };
    },
  );
}
