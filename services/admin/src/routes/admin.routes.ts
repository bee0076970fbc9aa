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
  canonicalId,
  voucherDto,
  voucherInput,
  voucherList,
  voucherUpdate,
} from '@tiketi/contracts';
import { type App, type Auth, idempotencyKeyHeaders, problems, type RouteHandlerOf } from '@tiketi/kit';
import contentDisposition from 'content-disposition';
import { z } from 'zod';
import type { Caller } from '../clients/upstreams.ts';
import type { ExportsService } from '../domain/exports.service.ts';
import type { OperationsService } from '../domain/operations.service.ts';
import type { OverviewService } from '../domain/overview.service.ts';

const idParams = z.object({ id: canonicalId() });

/** What an operator's view says of itself: what it shows, what it reads from path or query, what it answers. */
type ViewSchema = {
  summary: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  response: { 200: z.ZodType };
};

/** The operator's token, already verified as an admin's, to pass on to upstreams that check it too. */
function callerOf(req: { headers: { authorization?: string | undefined } }): Caller {
  const authorization = req.headers.authorization;
  if (!authorization) throw problems.unauthorized();
  return { authorization };
}

export function adminRoutes(
  app: App,
  auth: Auth,
  services: { overview: OverviewService; operations: OperationsService; exports: ExportsService },
) {
  const { overview, operations, exports } = services;

  /** A read-only operator view: admins only, answered from upstreams that check the operator's token too. */
  function view<S extends ViewSchema>(
    url: string,
    schema: S,
    answer: (caller: Caller, req: Parameters<RouteHandlerOf<S>>[0]) => ReturnType<RouteHandlerOf<S>>,
  ) {
    app.get(url, { onRequest: auth.admin, schema }, (req) => answer(callerOf(req), req));
  }

  view(
    '/api/admin/dashboard',
    {
      summary: "Today's sales and traffic with every on-sale event's seats and waiting room",
      response: { 200: adminDashboard },
    },
    (caller) => overview.dashboard(caller),
  );

  view(
    '/api/admin/events/:id/sales',
    {
      summary:
        "One event's seats sold, held and available, its revenue and refunds, and its sales report " +
        '(by tier and day, holds running, check-ins, vouchers)',
      params: idParams,
      response: { 200: adminEventSales },
    },
    (caller, req) => overview.eventSales(caller, req.params.id),
  );

  /** A CSV download of one event, named after the event and what it lists. */
  function csv(
    list: 'orders' | 'attendees',
    summary: string,
    build: (caller: Caller, eventId: string) => Promise<string>,
  ) {
    app.get(
      `/api/admin/events/:id/${list}.csv`,
      {
        onRequest: auth.admin,
        schema: {
          summary,
          description:
            'text/csv; charset=utf-8, UTF-8 with a byte-order mark and CRLF lines (Excel opens Hangul ' +
            'correctly); a cell starting with = + - @, a tab or a carriage return gets a leading apostrophe.',
          params: idParams,
          produces: ['text/csv'],
          // Documents the body; a string sent as text/csv goes out as it is, not through the JSON serializer.
          response: { 200: z.string().describe('CSV, UTF-8 with a byte-order mark') },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req);
        const [body, name] = await exports.inTurn(() =>
          Promise.all([build(caller, req.params.id), exports.fileName(caller, req.params.id, list)]),
        );
        // The concert's title may be Hangul: it goes as `filename*` (RFC 6266), the id's name as the fallback.
        const fallback = `${list}-${req.params.id}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', contentDisposition(name ?? fallback, { fallback }))
          .header('cache-control', 'private, no-store')
          .send(body);
      },
    );
  }

  csv('orders', "One event's paid orders as CSV (buyer, seats, voucher, amounts, refunds)", (caller, id) =>
    exports.orders(caller, id),
  );
  csv('attendees', "One event's tickets as CSV (seat, tier, buyer, check-in time)", (_caller, id) =>
    exports.attendees(id),
  );

  view(
    '/api/admin/events/:id/vouchers',
    { summary: "One event's vouchers with their uses", params: idParams, response: { 200: voucherList } },
    (_caller, req) => operations.vouchers(req.params.id),
  );

  app.post(
    '/api/admin/events/:id/vouchers',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Make a voucher code for an event (amount or percent off, tiers, uses, validity window)',
        description:
          'Kept by the reservation service. 409 VOUCHER_CODE_TAKEN for a code the event already has, ' +
          '422 UNKNOWN_TIERS for tiers not of the event, 404 for an event not published, 409 EVENT_CLOSED ' +
          'for one cancelled or over.',
        params: idParams,
        body: voucherInput,
        response: { 201: voucherDto },
      },
    },
    async (req, reply) => reply.code(201).send(await operations.createVoucher(req.params.id, req.body)),
  );

  app.put(
    '/api/admin/vouchers/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: "Change a voucher's terms for the uses to come, or disable it (active: false)",
        description:
          'The code stays; reservations that took the voucher keep their discount. 409 VOUCHER_USES_TAKEN ' +
          'for maxUses below the uses taken, 422 UNKNOWN_TIERS for tiers not of its event, 404 for no voucher.',
        params: idParams,
        body: voucherUpdate,
        response: { 200: voucherDto },
      },
    },
    async (req) => operations.updateVoucher(req.params.id, req.body),
  );

  view(
    '/api/admin/queue/:eventId',
    {
      summary: "One event's waiting room: people in line, admitted shoppers, seats left",
      params: z.object({ eventId: canonicalId() }),
      response: { 200: adminQueueState },
    },
    (caller, req) => overview.queueState(caller, req.params.eventId),
  );

  view(
    '/api/admin/users',
    { summary: 'Find users by email or name', querystring: adminUserQuery, response: { 200: adminUserPage } },
    (caller, req) => operations.searchUsers(caller, req.query),
  );

  view(
    '/api/admin/users/:id',
    {
      summary: 'One user with their latest reservations and payments',
      params: idParams,
      response: { 200: adminUserDetail },
    },
    (caller, req) => operations.user(caller, req.params.id),
  );

  view(
    '/api/admin/reservations',
    {
      summary: 'Search reservations by user, event and status',
      querystring: adminReservationQuery,
      response: { 200: adminReservationPage },
    },
    (caller, req) => operations.searchReservations(caller, req.query),
  );

  view(
    '/api/admin/payments',
    {
      summary: 'Search payments by user, event, reservation, order and status',
      querystring: adminPaymentQuery,
      response: { 200: adminPaymentPage },
    },
    (caller, req) => operations.searchPayments(caller, req.query),
  );

  app.post(
    '/api/admin/payments/:id/refund',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Refund a payment in full, by amount or by seats (through the payment service)',
        params: idParams,
        headers: idempotencyKeyHeaders,
        body: adminRefundRequest,
        response: { 200: adminPayment },
      },
    },
    async (req) => operations.refund(callerOf(req), req.params.id, req.body, req.headers['idempotency-key']),
  );
}
