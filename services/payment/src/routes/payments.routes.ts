import {
  adminRefundRequest,
  canonicalId,
  paymentCancelRequest,
  paymentDto,
  paymentStatus,
  type TossCheckoutRules,
  tossCheckoutRules,
  tossConfirmRequest,
  tossPaymentRequest,
  tossPaymentRequestResponse,
} from '@tiketi/contracts';
import {
  type App,
  type Auth,
  callerOf,
  HttpProblem,
  idempotencyKeyHeaders,
  isoDateTime,
  pageOf,
  pageQuery,
} from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CheckoutService } from '../domain/checkout.service.ts';
import type { IdempotentRequests } from '../domain/idempotency.ts';
import type { PaymentsService } from '../domain/payments.service.ts';
import { EVENT_CANCELLED, EVENT_CANCELLED_REASON } from '../domain/settlement.ts';

const params = z.object({ id: canonicalId() });
const krw = z.number().int();
const revenue = z.object({
  payments: krw,
  grossAmount: krw,
  refunds: krw,
  refundedAmount: krw,
  netAmount: krw,
});
const requestAnswer = tossPaymentRequestResponse.extend({ holdExpiresAt: isoDateTime() });

export function paymentRoutes(
  app: App,
  auth: Auth,
  checkout: CheckoutService,
  payments: PaymentsService,
  idempotent: IdempotentRequests,
  rules: TossCheckoutRules,
) {
  /** The request as its Idempotency-Key sees it: who sent it, to which route, with what. */
  const keyed = <S extends z.ZodType>(req: FastifyRequest, status: number, answer: S) => ({
    callerId: callerOf(req).id,
    key: (req.headers as { 'idempotency-key'?: string })['idempotency-key'],
    what: [req.routeOptions.url, req.params, req.body],
    status,
    answer,
  });

  app.get(
    '/api/payments/toss/rules',
    {
      onRequest: auth.user,
      schema: {
        summary: 'What opening the Toss checkout does to the seat hold, and the refund deadline',
        response: { 200: tossCheckoutRules },
      },
    },
    async () => rules,
  );

  app.post(
    '/api/payments/toss/request',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Open a Toss checkout for a held reservation (the amount must be the reservation’s)',
        headers: idempotencyKeyHeaders,
        body: tossPaymentRequest,
        response: { 201: requestAnswer },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await idempotent.once(keyed(req, 201, requestAnswer), () =>
            checkout.request(callerOf(req), req.body),
          ),
        ),
  );

  app.post(
    '/api/payments/toss/confirm',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Approve the payment Toss sent the customer back with (idempotent)',
        body: tossConfirmRequest,
        response: { 200: paymentDto },
      },
    },
    async (req) => {
      const p = await checkout.confirm(callerOf(req), req.body);
      const dto = await payments.view(p);
      const cancelledEvent =
        p.status === 'FAILED'
          ? p.failureCode === EVENT_CANCELLED
          : p.status === 'REFUNDED' && dto.refunds.some((r) => r.reason.startsWith(EVENT_CANCELLED_REASON));
      if (cancelledEvent) {
        throw new HttpProblem(
          409,
          EVENT_CANCELLED,
          p.status === 'REFUNDED'
            ? 'The event was cancelled; the full amount was refunded.'
            : 'The event was cancelled; nothing was charged.',
          { extra: { paymentId: p.id, orderId: p.orderId } },
        );
      }
      if (p.status === 'REFUNDED' && dto.refunds.some((r) => r.lateApproval)) {
        throw new HttpProblem(
          409,
          'HOLD_EXPIRED_REFUNDED',
          'The seat hold ended before the payment went through; the full amount was refunded.',
          { extra: { paymentId: p.id, orderId: p.orderId } },
        );
      }
      if (p.status === 'FAILED' || p.status === 'EXPIRED') {
        throw new HttpProblem(
          p.status === 'EXPIRED' ? 409 : 422,
          p.status === 'EXPIRED' ? 'PAYMENT_EXPIRED' : 'PAYMENT_REJECTED',
          p.failureMessage ?? 'The payment did not go through.',
          { extra: { paymentId: p.id, orderId: p.orderId, failureCode: p.failureCode } },
        );
      }
      if (p.status === 'PENDING' || p.status === 'IN_PROGRESS') {
        throw new HttpProblem(
          503,
          'PAYMENT_PENDING',
          'The payment is still being settled; ask again shortly.',
          {
            headers: { 'retry-after': '5' },
          },
        );
      }
      return dto;
    },
  );

  app.post(
    '/api/payments/toss/webhook',
    {
      schema: {
        summary: 'Toss PAYMENT_STATUS_CHANGED (verified by fetching the payment from Toss)',
        body: z.looseObject({}),
        response: { 200: z.object({ result: z.enum(['applied', 'ignored']) }) },
      },
    },
    async (req) => ({ result: await checkout.webhook(req.body) }),
  );

  app.get(
    '/api/payments',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My payments; admins search everyone’s',
        querystring: z.object({
          userId: canonicalId().optional(),
          eventId: canonicalId().optional(),
          reservationId: canonicalId().optional(),
          orderId: z.string().min(1).max(64).optional(),
          status: paymentStatus.optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(paymentDto) },
      },
    },
    async (req) => {
      const { page, pageSize, ...filter } = req.query;
      return payments.list(callerOf(req), filter, { page, pageSize });
    },
  );

  app.get(
    '/api/payments/:id',
    {
      onRequest: auth.user,
      schema: { summary: 'One payment (its buyer or an admin)', params, response: { 200: paymentDto } },
    },
    async (req) => payments.get(callerOf(req), req.params.id),
  );

  app.post(
    '/api/payments/:id/cancel',
    {
      onRequest: auth.user,
      schema: {
        summary: 'The buyer cancels all or some seats before the deadline and is refunded',
        params,
        headers: idempotencyKeyHeaders,
        body: paymentCancelRequest,
        response: { 200: paymentDto },
      },
    },
    async (req) =>
      idempotent.once(keyed(req, 200, paymentDto), (requestId) =>
        payments.cancel(callerOf(req), req.params.id, req.body, requestId),
      ),
  );

  app.post(
    '/api/payments/:id/refund',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Refund everything left, some seats or an amount (admin)',
        params,
        headers: idempotencyKeyHeaders,
        body: adminRefundRequest,
        response: { 200: paymentDto },
      },
    },
    async (req) =>
      idempotent.once(keyed(req, 200, paymentDto), (requestId) =>
        payments.refund(callerOf(req), req.params.id, req.body, requestId),
      ),
  );

  app.get(
    '/api/payments/events/:eventId/revenue',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Money taken and refunded for one event (admin)',
        params: z.object({ eventId: canonicalId() }),
        response: { 200: revenue },
      },
    },
    async (req) => payments.revenue(req.params.eventId),
  );
}
