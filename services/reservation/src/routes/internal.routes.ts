import {
  confirmReservationRequest,
  confirmReservationResponse,
  extendHoldRequest,
  extendHoldResponse,
  internalReservation,
  internalUserCommitments,
} from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import type { ReservationLifecycle } from '../domain/reservation-lifecycle.ts';
import type { ReservationQueries } from '../domain/reservation-queries.ts';
import { idParams, userIdParams } from './schemas.ts';

/** The payment service's view of reservations (contracts in @tiketi/contracts reservation.ts). */
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
    async (req) => lifecycle.confirm(req.params.id, req.body.paymentId),
  );

  app.get(
    '/internal/users/:userId/commitments',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: userIdParams, response: { 200: internalUserCommitments } },
    },
    async (req) => queries.commitmentsOf(req.params.userId),
  );
}
