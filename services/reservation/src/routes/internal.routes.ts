import {
  confirmReservationRequest,
  confirmReservationResponse,
  extendHoldRequest,
  extendHoldResponse,
  internalReservation,
  internalUserCommitments,
  internalUserEventHolds,
} from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import type { ReservationLifecycle } from '../domain/reservation-lifecycle.ts';
import type { ReservationQueries } from '../domain/reservation-queries.ts';
import { idParams, userEventParams, userIdParams } from './schemas.ts';

/**
 * The payment service's view of reservations, the user service's and the waiting room's questions about a
 * user (contracts in @tiketi/contracts reservation.ts).
 */
export function internalRoutes(
  app: App,
  services: { queries: ReservationQueries; lifecycle: ReservationLifecycle },
  auth: Auth,
) {
  const { queries, lifecycle } = services;
  app.get(
    '/internal/reservations/:id',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: idParams, response: { 200: internalReservation } },
    },
    async (req) => {
      const r = await queries.internalView(req.params.id);
      return { ...r, expiresAt: r.expiresAt.toISOString() };
    },
  );

  app.post(
    '/internal/reservations/:id/extend',
    {
      onRequest: auth.internal,
      schema: {
        hide: true,
        params: idParams,
        body: extendHoldRequest,
        response: { 200: extendHoldResponse },
      },
    },
    async (req) => {
      const { expiresAt } = await lifecycle.extend(req.params.id, req.body.seconds, req.body.amount);
      return { expiresAt: expiresAt.toISOString() };
    },
  );

  app.post(
    '/internal/reservations/:id/confirm',
    {
      onRequest: auth.internal,
      schema: {
        hide: true,
        params: idParams,
        body: confirmReservationRequest,
        response: { 200: confirmReservationResponse },
      },
    },
    async (req) => lifecycle.confirm(req.params.id, req.body.paymentId, req.body.orderId),
  );

  app.get(
    '/internal/users/:userId/commitments',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: userIdParams, response: { 200: internalUserCommitments } },
    },
    async (req) => queries.commitmentsOf(req.params.userId),
  );

  app.get(
    '/internal/users/:userId/events/:eventId/holds',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: userEventParams, response: { 200: internalUserEventHolds } },
    },
    async (req) => queries.holdsIn(req.params.userId, req.params.eventId),
  );
}
