import { canonicalId, queueLeft, queueStats, queueStatus } from '@tiketi/contracts';
import { type App, type Auth, type ChallengeGuard, callerOf } from '@tiketi/kit';
import { z } from 'zod';
import type { QueueNotifier } from '../domain/admission-loop.ts';
import type { WaitingRoom } from '../domain/waiting-room.ts';

const params = z.object({ eventId: canonicalId() });

/** `joinGuard`: the bot defence's check of the join challenge; `notifier`: the room's sockets. */
export function queueRoutes(
  app: App,
  auth: Auth,
  room: WaitingRoom,
  joinGuard: ChallengeGuard,
  notifier: QueueNotifier,
) {
  app.post(
    '/api/queue/:eventId/join',
    {
      onRequest: auth.user,
      preHandler: joinGuard,
      schema: {
        summary: 'Take a place in the waiting room (joining again returns the same place)',
        params,
        response: { 200: queueStatus, 201: queueStatus },
      },
    },
    async (req, reply) => {
      const { status, created } = await room.join(req.params.eventId, callerOf(req).id);
      return reply.code(created ? 201 : 200).send(status);
    },
  );

  app.get(
    '/api/queue/:eventId/status',
    {
      onRequest: auth.user,
      schema: {
        summary: 'My place in the waiting room, for clients that poll (a poll keeps the place)',
        params,
        response: { 200: queueStatus },
      },
    },
    async (req) => room.status(req.params.eventId, callerOf(req).id),
  );

  app.delete(
    '/api/queue/:eventId',
    {
      onRequest: auth.user,
      schema: {
        summary:
          'Leave the waiting room: give the shopping slot to the next fan, or give up the place in line',
        description:
          'An admitted fan done shopping frees their slot at once (their admission token stops working); a ' +
          'waiting fan leaves the line. 409 HOLD_IN_PROGRESS while a hold of theirs is live.',
        params,
        response: { 200: queueLeft },
      },
    },
    async (req) => room.leave(req.params.eventId, callerOf(req).id, notifier),
  );

  app.get(
    '/internal/queue/:eventId/stats',
    {
      onRequest: auth.internal,
      schema: {
        summary: 'One waiting room now: line, active shoppers, now serving, admission rate, settings',
        params,
        response: { 200: queueStats },
      },
    },
    async (req) => room.stats(req.params.eventId),
  );
}
