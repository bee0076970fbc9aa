import {
  adminDashboard,
  adminEventSales,
  adminPayment,
  adminPaymentPage,
  adminPaymentQuery,
  adminQueueState,
  adminRefundRequest,
  adminReservationPage,
  adminReservationQuery,
  adminUserDetail,
  adminUserPage,
  adminUserQuery,
} from '@tiketi/contracts';
import { type App, type Auth, problems } from '@tiketi/kit';
import { z } from 'zod';
import type { Caller } from '../clients/upstreams.ts';
import type { OperationsService } from '../domain/operations.service.ts';
import type { OverviewService } from '../domain/overview.service.ts';

const idParams = z.object({ id: z.uuid() });

/** The operator's token, already verified as an admin's, to pass on to upstreams that check it too. */
function callerOf(req: { headers: { authorization?: string | undefined } }): Caller {
  const authorization = req.headers.authorization;
  if (!authorization) throw problems.unauthorized();
  return { authorization };
}

export function adminRoutes(
  app: App,
  auth: Auth,
  services: { overview: OverviewService; operations: OperationsService },
) {
  const { overview, operations } = services;

  app.get(
    '/api/admin/dashboard',
    {
      preHandler: auth.admin,
      schema: {
        summary: "Today's sales and traffic with every on-sale event's seats and waiting room",
        response: { 200: adminDashboard },
      },
    },
    async (req) => overview.dashboard(callerOf(req)),
  );

  app.get(
    '/api/admin/events/:id/sales',
    {
      preHandler: auth.admin,
      schema: {
        summary: "One event's seats sold, held and available, its revenue and refunds",
        params: idParams,
        response: { 200: adminEventSales },
      },
    },
    async (req) => overview.eventSales(callerOf(req), req.params.id),
  );

  app.get(
    '/api/admin/queue/:eventId',
    {
      preHandler: auth.admin,
      schema: {
        summary: "One event's waiting room: people in line, admitted shoppers, seats left",
        params: z.object({ eventId: z.uuid() }),
        response: { 200: adminQueueState },
      },
    },
    async (req) => overview.queueState(callerOf(req), req.params.eventId),
  );

  app.get(
    '/api/admin/users',
    {
      preHandler: auth.admin,
      schema: {
        summary: 'Find users by email or name',
        querystring: adminUserQuery,
        response: { 200: adminUserPage },
      },
    },
    async (req) => operations.searchUsers(callerOf(req), req.query),
  );

  app.get(
    '/api/admin/users/:id',
    {
      preHandler: auth.admin,
      schema: {
        summary: 'One user with their latest reservations and payments',
        params: idParams,
        response: { 200: adminUserDetail },
      },
    },
    async (req) => operations.user(callerOf(req), req.params.id),
  );

  app.get(
    '/api/admin/reservations',
    {
      preHandler: auth.admin,
      schema: {
        summary: 'Search reservations by user, event and status',
        querystring: adminReservationQuery,
        response: { 200: adminReservationPage },
      },
    },
    async (req) => operations.searchReservations(callerOf(req), req.query),
  );

  app.get(
    '/api/admin/payments',
    {
      preHandler: auth.admin,
      schema: {
        summary: 'Search payments by user, event, reservation, order and status',
        querystring: adminPaymentQuery,
        response: { 200: adminPaymentPage },
      },
    },
    async (req) => operations.searchPayments(callerOf(req), req.query),
  );

  app.post(
    '/api/admin/payments/:id/refund',
    {
      preHandler: auth.admin,
      schema: {
        summary: 'Refund a payment in full, by amount or by seats (through the payment service)',
        params: idParams,
        headers: z.looseObject({ 'idempotency-key': z.string().min(1).max(300).optional() }),
        body: adminRefundRequest,
        response: { 200: adminPayment },
      },
    },
    async (req) => operations.refund(callerOf(req), req.params.id, req.body, req.headers['idempotency-key']),
  );
}
