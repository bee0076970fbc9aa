import { trackRequest, trackResponse } from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import type { TrackingService } from '../domain/tracking.ts';

export function trackRoutes(app: App, auth: Auth, tracking: TrackingService) {
  app.post(
    '/api/analytics/track',
    {
      onRequest: auth.optional,
      bodyLimit: 8192,
      schema: {
        summary: 'Record a client event (page view, event view, seat map view…)',
        body: trackRequest,
        response: { 202: trackResponse },
      },
    },
    async (req, reply) => {
      const result = await tracking.track(req.body, { user: req.user, ip: req.ip });
      return reply.code(202).send(result);
    },
  );
}
