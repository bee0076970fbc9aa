import { canonicalId } from '@tiketi/contracts';
import { type App, type Auth, callerOf, isoDateTime, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { TicketService } from '../domain/ticket.service.ts';
import { idParams, ticketView } from './schemas.ts';

export function ticketRoutes(app: App, service: TicketService, auth: Auth) {
  app.get(
    '/api/tickets',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My tickets',
        querystring: z.object(pageQuery),
        response: { 200: pageOf(ticketView) },
      },
    },
    async (req) => {
      const { page, pageSize } = req.query;
      const result = await service.list(callerOf(req), { limit: pageSize, offset: (page - 1) * pageSize });
      return { ...result, page, pageSize };
    },
  );

  app.get(
    '/api/tickets/:id',
    {
      onRequest: auth.user,
      schema: {
        summary: 'One of my tickets, with its signed QR payload',
        params: idParams,
        response: { 200: ticketView.extend({ qr: z.string() }) },
      },
    },
    async (req) => service.get(callerOf(req), req.params.id),
  );

  app.post(
    '/api/tickets/check-in',
    {
      // Staff at the door act with the admin role.
      onRequest: auth.admin,
      schema: {
        summary: 'Check a ticket in at the door (once)',
        body: z.object({ qr: z.string().min(1).max(1000), eventId: canonicalId().optional() }),
        response: {
          200: z.object({
            ticketId: canonicalId(),
            eventId: canonicalId(),
            seatLabel: z.string(),
            status: z.literal('USED'),
            usedAt: isoDateTime(),
          }),
        },
      },
    },
    async (req) => {
      const ticket = await service.checkIn(callerOf(req), req.body.qr, req.body.eventId);
      return {
        ticketId: ticket.id,
        eventId: ticket.eventId,
        seatLabel: ticket.seatLabel,
        status: 'USED' as const,
        usedAt: ticket.usedAt ?? new Date(),
      };
    },
  );
}
