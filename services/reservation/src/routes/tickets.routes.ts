import {
  canonicalId,
  checkInRequest,
  checkInResponse,
  eventsAtDoorResponse,
  staffEventsRequest,
  staffEventsResponse,
  ticketDocuments,
  ticketDto,
  ticketWithQrDto,
} from '@tiketi/contracts';
import { type App, type Auth, callerOf, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { TicketService } from '../domain/ticket.service.ts';
import { idParams } from './schemas.ts';

export function ticketRoutes(app: App, service: TicketService, auth: Auth) {
  app.get(
    '/api/tickets',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My tickets, newest first (`eventId`: of that event only)',
        querystring: z.object({ eventId: canonicalId().optional(), ...pageQuery }),
        response: { 200: pageOf(ticketDto) },
      },
    },
    async (req) => {
      const { page, pageSize, eventId } = req.query;
      const result = await service.list(callerOf(req), {
        limit: pageSize,
        offset: (page - 1) * pageSize,
        eventId,
      });
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
        response: { 200: ticketWithQrDto },
      },
    },
    async (req) => service.get(callerOf(req), req.params.id),
  );

  app.get(
    '/api/tickets/:id/pdf',
    {
      onRequest: auth.user,
      schema: {
        summary:
          'One of my tickets as a PDF (application/pdf): QR, short code, event, seat, time (KST), venue, order',
        params: idParams,
        produces: ['application/pdf'],
        // Documents the body as a PDF; a Buffer goes out as it is, not through the JSON serializer.
        response: {
          200: z
            .custom<Buffer>((value) => Buffer.isBuffer(value))
            .meta({ type: 'string', format: 'binary', description: 'The ticket, one A6 page' }),
        },
      },
    },
    async (req, reply) => {
      const { ticket, pdf } = await service.pdf(callerOf(req), req.params.id);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="tiketi-${ticket.code}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf);
    },
  );

  app.post(
    '/api/tickets/check-in',
    {
      // Door staff at the events they are assigned to, operators at every door.
      onRequest: auth.staff,
      schema: {
        summary: 'Check a ticket in at the door (once), by its QR payload or its short code and event',
        body: checkInRequest,
        response: { 200: checkInResponse },
      },
    },
    async (req) => {
      const ticket = await service.checkIn(callerOf(req), req.body);
      return {
        ticketId: ticket.id,
        eventId: ticket.eventId,
        seatLabel: ticket.seatLabel,
        code: ticket.code,
        entrySection: ticket.entrySection,
        entryNumber: ticket.entryNumber,
        status: 'USED' as const,
        usedAt: (ticket.usedAt ?? new Date()).toISOString(),
      };
    },
  );

  app.get(
    '/api/tickets/check-in/events',
    {
      onRequest: auth.staff,
      schema: {
        summary: 'The events the signed-in door staff is assigned to',
        response: { 200: eventsAtDoorResponse },
      },
    },
    async (req) => ({ items: await service.eventsAtDoor(callerOf(req)) }),
  );

  const staffParams = z.object({ userId: canonicalId({ error: 'must be a user id (UUID)' }) });

  app.get(
    '/api/tickets/staff/:userId/events',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'The events a door-staff account may check tickets in for (operators)',
        params: staffParams,
        response: { 200: staffEventsResponse },
      },
    },
    async (req) => service.staffEvents(req.params.userId),
  );

  app.put(
    '/api/tickets/staff/:userId/events',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Set the events a door-staff account may check tickets in for (operators)',
        description:
          'Replaces the account’s events, all or nothing: 404 EVENT_NOT_FOUND for ids of no published event, ' +
          '409 EVENT_CLOSED (with `eventIds`) for a cancelled or past concert the account did not have yet.',
        params: staffParams,
        body: staffEventsRequest,
        response: { 200: staffEventsResponse },
      },
    },
    async (req) => service.assignStaff(req.params.userId, req.body.eventIds),
  );

  // The confirmation mail's QR images and PDF (notification service); the gateway never routes /internal.
  app.get(
    '/internal/reservations/:id/ticket-documents',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: idParams, response: { 200: ticketDocuments } },
    },
    async (req) => {
      const { tickets, pdf } = await service.documentsOfReservation(req.params.id);
      return {
        reservationId: req.params.id,
        tickets: tickets.map((t) => ({
          id: t.id,
          seatLabel: t.seatLabel,
          entrySection: t.entrySection,
          entryNumber: t.entryNumber,
          code: t.code,
          qr: t.qr,
        })),
        pdf: pdf.toString('base64'),
      };
    },
  );
}
