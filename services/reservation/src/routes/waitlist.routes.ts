import { canonicalId, waitlistJoinRequest, waitlistStatus } from '@tiketi/contracts';
import { type App, type Auth, callerOf, problemResponses } from '@tiketi/kit';
import { z } from 'zod';
import type { WaitlistService } from '../domain/waitlist.service.ts';

const params = z.object({ eventId: canonicalId() });

export function waitlistRoutes(app: App, service: WaitlistService, auth: Auth) {
  app.post(
    '/api/waitlist/:eventId',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Join the waiting list of a sold-out event (201; 200 with the entry already there)',
        params,
        body: waitlistJoinRequest,
        response: {
          200: waitlistStatus,
          201: waitlistStatus,
          ...problemResponses({
            403: 'EMAIL_NOT_VERIFIED, or STAFF_CANNOT_BUY: a door-staff account',
            404: 'NOT_FOUND: no such event here',
            409: 'WAITLIST_NOT_SOLD_OUT (choose seats instead), PER_USER_LIMIT, or the sale is not open (EVENT_NOT_ON_SALE, SALE_NOT_OPEN, SALE_CLOSED)',
            422: 'UNKNOWN_TIER: the tier is not one of this event',
          }),
        },
      },
    },
    async (req, reply) => {
      const { entry, created } = await service.join(callerOf(req), req.params.eventId, req.body);
      return reply.code(created ? 201 : 200).send({ entry });
    },
  );

  app.get(
    '/api/waitlist/:eventId',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My place on the waiting list (entry null when I am not on it)',
        params,
        response: { 200: waitlistStatus },
      },
    },
    async (req) => ({ entry: await service.status(callerOf(req).id, req.params.eventId) }),
  );

  app.delete(
    '/api/waitlist/:eventId',
    {
      onRequest: auth.user,
      schema: {
        summary: 'Leave the waiting list; an offer in hand goes to the next fan',
        params,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await service.leave(callerOf(req), req.params.eventId);
      return reply.code(204).send(null);
    },
  );
}
