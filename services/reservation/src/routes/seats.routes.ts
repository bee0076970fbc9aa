import {
  adminSeatCounts,
  canonicalId,
  seatAvailabilityDto,
  seatLayoutDto,
  seatMapDto,
} from '@tiketi/contracts';
import { type App, type Auth, problemResponses, sendEncoded } from '@tiketi/kit';
import { z } from 'zod';
import type { SeatMapService } from '../domain/seat-map.service.ts';

/** A layout version never changes: browsers and CDNs keep it for good. */
const LAYOUT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/**
 * Shared copies (the gateway's, a CDN's) may serve the availability for a second; a browser asks again
 * after that with its ETag and is answered 304 while nothing changed.
 */
const AVAILABILITY_CACHE_CONTROL = 'public, max-age=1';
/** The whole map stays current for every caller, as it always was; its ETag spares the body when unchanged. */
const FULL_MAP_CACHE_CONTROL = 'no-cache';

const NO_EVENT = 'NOT_FOUND: no such event on sale here (unknown, or still a draft)';
/** Known here before its seats (its publication is still being applied): never an empty map. */
const NOT_READY =
  "SEAT_MAP_NOT_READY: the event's seats are still being set up; ask again after Retry-After seconds";

export function seatRoutes(app: App, seatMap: SeatMapService, auth: Auth) {
  app.get(
    '/api/seats/event/:eventId',
    {
      schema: {
        summary:
          "An event's seat map: every seat with its status (the layout and availability routes are lighter)",
        params: z.object({ eventId: canonicalId() }),
        response: { 200: seatMapDto, ...problemResponses({ 404: NO_EVENT, 503: NOT_READY }) },
      },
    },
    async (req, reply) => {
      const body = await seatMap.fullMap(req.params.eventId);
      return sendEncoded(req, reply, body, { cacheControl: FULL_MAP_CACHE_CONTROL });
    },
  );

  app.get(
    '/api/seats/event/:eventId/layout/:version',
    {
      schema: {
        summary: "An event's seat layout of one version: immutable, compressed when asked for",
        params: z.object({ eventId: canonicalId(), version: z.string().regex(/^[\w-]{1,64}$/) }),
        response: {
          200: seatLayoutDto,
          304: z.null().describe('Not modified: the copy whose ETag was sent is current'),
          ...problemResponses({
            404: `${NO_EVENT}; or SEAT_LAYOUT_NOT_FOUND: not the event's current layout version`,
            503: NOT_READY,
          }),
        },
      },
    },
    async (req, reply) => {
      const body = await seatMap.layout(req.params.eventId, req.params.version);
      return sendEncoded(req, reply, body, { cacheControl: LAYOUT_CACHE_CONTROL });
    },
  );

  app.get(
    '/api/seats/event/:eventId/availability',
    {
      schema: {
        summary:
          "Every seat's status as runs per section, with the layout version: ETag, compressed when asked for",
        params: z.object({ eventId: canonicalId() }),
        response: {
          200: seatAvailabilityDto,
          304: z.null().describe('Not modified: no seat changed since the ETag that was sent'),
          ...problemResponses({ 404: NO_EVENT, 503: NOT_READY }),
        },
      },
    },
    async (req, reply) => {
      const body = await seatMap.availability(req.params.eventId);
      return sendEncoded(req, reply, body, { cacheControl: AVAILABILITY_CACHE_CONTROL });
    },
  );

  app.get(
    '/internal/events/:eventId/stats',
    {
      onRequest: auth.internal,
      schema: {
        hide: true,
        params: z.object({ eventId: canonicalId() }),
        response: { 200: adminSeatCounts },
      },
    },
    async (req) => seatMap.stats(req.params.eventId),
  );
}
