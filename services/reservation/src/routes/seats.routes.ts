import { canonicalId } from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import { z } from 'zod';
import type { SeatMapService } from '../domain/seat-map.service.ts';
import { seatMapResponse } from './schemas.ts';

export function seatRoutes(app: App, seatMap: SeatMapService, auth: Auth) {
  app.get(
    '/api/seats/event/:eventId',
    {
      schema: {
        summary: "An event's seat map: every seat with its status",
        params: z.object({ eventId: canonicalId() }),
        response: { 200: seatMapResponse },
      },
    },
    async (req) => {
      const seats = await seatMap.seats(req.params.eventId);
      const counts = { available: 0, held: 0, sold: 0 };
      for (const s of seats) counts[s.status]++;
      return { eventId: req.params.eventId, counts, seats };
    },
  );

  app.get(
    '/internal/events/:eventId/stats',
    {
      onRequest: auth.internal,
      schema: {
        hide: true,
        params: z.object({ eventId: canonicalId() }),
        response: { 200: z.object({ available: z.number(), held: z.number(), sold: z.number() }) },
      },
    },
    async (req) => seatMap.stats(req.params.eventId),
  );
}
