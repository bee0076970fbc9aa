import {
  applyVoucherRequest,
  canonicalId,
  holdResponse,
  reservationDto,
  reservationStatus,
} from '@tiketi/contracts';
import { type App, type Auth, type AuthUser, callerOf, pageOf, pageQuery } from '@tiketi/kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HoldService } from '../domain/holds.ts';
import type { ReservationLifecycle } from '../domain/reservation-lifecycle.ts';
import type { ReservationQueries } from '../domain/reservation-queries.ts';
import type { VoucherService } from '../domain/voucher.service.ts';
import { idParams } from './schemas.ts';

export function reservationRoutes(
  app: App,
  services: {
    holds: HoldService;
    queries: ReservationQueries;
    lifecycle: ReservationLifecycle;
    vouchers: VoucherService;
    /** Refuses an account that tried too many voucher codes lately (`voucherAttemptLimit`). */
    voucherLimit: (req: FastifyRequest) => Promise<void>;
  },
  auth: Auth,
) {
  const { holds, queries, lifecycle, vouchers, voucherLimit } = services;
  /** Makes a change to one of the caller's reservations, then answers it as it now stands. */
  const changed = async (
    caller: AuthUser,
    id: string,
    change: (caller: AuthUser, id: string) => Promise<unknown>,
  ) => {
    await change(caller, id);
    return queries.get(caller, id);
  };
  app.post(
    '/api/reservations',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Hold seats, and places of standing areas by count, for 5 minutes (all or none)',
        description:
          'Refusals include 409 SEATS_TAKEN, PER_USER_LIMIT, and SEATS_LEFT_FOR_OTHERS (with `seatIds`, ' +
          '`limit`, `minutes` and Retry-After) for seats whose holds by this account ended unpaid, lapsed or ' +
          'given back, twice within the last hour: a seat taken only to be let go and taken again is kept ' +
          'from every other fan.',
        headers: z.looseObject({
          'idempotency-key': z.string().min(1).max(255).optional(),
          'x-queue-token': z.string().min(1).max(4096).optional(),
        }),
        body: z
          .object({
            eventId: canonicalId(),
            seatIds: z.array(canonicalId()).max(50).default([]),
            /** Places in standing areas, by count: the server picks which. */
            standing: z
              .array(
                z.object({
                  section: z.string().trim().min(1).max(20),
                  quantity: z.number().int().positive().max(50),
                }),
              )
              .max(10)
              .optional()
              .describe(
                'Places in standing areas by count; the server picks free places. Entry numbers are given when the order is confirmed.',
              ),
          })
          .refine((b) => b.seatIds.length > 0 || (b.standing?.length ?? 0) > 0, {
            message: 'name seats (seatIds) or places in a standing area (standing)',
            path: ['seatIds'],
          }),
        response: {
          201: holdResponse,
        },
      },
    },
    async (req, reply) => {
      const { answer } = await holds.hold(callerOf(req), {
        ...req.body,
        queueToken: req.headers['x-queue-token'],
        idempotencyKey: req.headers['idempotency-key'],
      });
      return reply.code(201).send(answer);
    },
  );

  app.get(
    '/api/reservations',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My reservations (an admin may search everyone’s)',
        querystring: z.object({
          userId: canonicalId().optional(),
          eventId: canonicalId().optional(),
          status: reservationStatus.optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(reservationDto) },
      },
    },
    async (req) => {
      const { page, pageSize, ...filter } = req.query;
      const result = await queries.list(callerOf(req), filter, {
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      return { ...result, page, pageSize };
    },
  );

  app.get(
    '/api/reservations/:id',
    {
      onRequest: auth.user,
      schema: { summary: 'One of my reservations', params: idParams, response: { 200: reservationDto } },
    },
    async (req) => queries.get(callerOf(req), req.params.id),
  );

  app.delete(
    '/api/reservations/:id',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Give a held reservation back',
        params: idParams,
        response: { 200: reservationDto },
      },
    },
    async (req) => changed(callerOf(req), req.params.id, (caller, id) => lifecycle.cancel(caller, id)),
  );

  app.put(
    '/api/reservations/:id/voucher',
    {
      onRequest: auth.user,
      preHandler: voucherLimit,
      schema: {
        summary: 'Use a voucher code on a held reservation (replaces the one it had)',
        description:
          'The server computes the discount and the new amount, which the payment must match. Refusals: ' +
          '422 VOUCHER_UNKNOWN, VOUCHER_NOT_YET_VALID, VOUCHER_EXPIRED, VOUCHER_USED_UP, ' +
          'VOUCHER_NOT_FOR_TIER; 409 VOUCHER_LOCKED once the payment has started, ' +
          'RESERVATION_NOT_PENDING when the hold is over; 429 VOUCHER_ATTEMPTS when the account tried ' +
          'too many codes lately (10 every 10 minutes by default, right or wrong), with Retry-After.',
        params: idParams,
        body: applyVoucherRequest,
        response: { 200: reservationDto },
      },
    },
    async (req) =>
      changed(callerOf(req), req.params.id, (caller, id) => vouchers.apply(caller, id, req.body.code)),
  );

  app.delete(
    '/api/reservations/:id/voucher',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Take the voucher off a held reservation (its use is given back)',
        params: idParams,
        response: { 200: reservationDto },
      },
    },
    async (req) => changed(callerOf(req), req.params.id, (caller, id) => vouchers.remove(caller, id)),
  );
}
