import {
  canonicalId,
  entryOrder,
  MAX_STANDING_CAPACITY,
  venueDto,
  venueLayoutDto,
  venueSummaryDto,
} from '@tiketi/contracts';
import { type App, type Auth, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { VenuesService } from '../domain/venues.service.ts';

const params = z.object({ id: canonicalId() });
const label = z.string().trim().min(1).max(20);
const seat = z.object({
  number: z.number().int().positive().max(10_000),
  x: z.number().finite(),
  y: z.number().finite(),
  tierKey: label,
  label: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .optional()
    .describe(
      "Default <section>-<row>-<number>. Unique within the venue, and not of a standing place's form " +
        "(<standing area>-P<n>), which is kept for the areas' places",
    ),
});
const row = z.object({
  label,
  seats: z.array(seat).min(1).max(1000).optional(),
  seatCount: z.number().int().positive().max(1000).optional(),
  tierKey: label.optional(),
});
const standing = z.object({
  capacity: z.number().int().positive().max(MAX_STANDING_CAPACITY),
  tierKey: label,
  entryOrder: entryOrder.default('arrival'),
});
/** Rows of seats, or a standing area sold by count (`standing`): one of the two. */
const sections = z
  .array(
    z.object({ name: label, rows: z.array(row).min(1).max(500).optional(), standing: standing.optional() }),
  )
  .min(1)
  .max(100);
const venueBody = z.object({
  name: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  address: z.string().trim().max(300).default(''),
  sections,
});
const venuePatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  city: z.string().trim().min(1).max(100).optional(),
  address: z.string().trim().max(300).optional(),
});

export function venueRoutes(app: App, auth: Auth, venues: VenuesService) {
  app.get(
    '/api/venues',
    {
      schema: {
        summary: 'List venues by name, searched by name, city or address',
        querystring: z.object({
          q: z.string().trim().min(1).max(100).optional(),
          city: z.string().trim().min(1).max(100).optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(venueSummaryDto) },
      },
    },
    async (req) => venues.list(req.query),
  );

  app.get(
    '/api/venues/:id',
    { schema: { summary: 'One venue with its sections', params, response: { 200: venueDto } } },
    async (req) => venues.get(req.params.id),
  );

  app.get(
    '/api/venues/:id/layout',
    { schema: { summary: 'The seat map of a venue', params, response: { 200: venueLayoutDto } } },
    async (req, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return venues.layout(req.params.id);
    },
  );

  app.post(
    '/api/venues',
    {
      onRequest: auth.admin,
      // A stadium layout listed seat by seat is larger than the default body limit.
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Create a venue with its seat layout (admin)',
        body: venueBody,
        response: { 201: venueDto },
      },
    },
    async (req, reply) => reply.code(201).send(await venues.create(req.body)),
  );

  app.patch(
    '/api/venues/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Rename or re-address a venue; its layout is fixed (admin)',
        params,
        body: venuePatch,
        response: { 200: venueDto },
      },
    },
    async (req) => venues.update(req.params.id, req.body),
  );

  app.put(
    '/api/venues/:id/layout',
    {
      onRequest: auth.admin,
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Replace the seat layout of a venue no event uses (admin); 409 VENUE_IN_USE otherwise',
        params,
        body: z.object({ sections }),
        response: { 200: venueDto },
      },
    },
    async (req) => venues.replaceLayout(req.params.id, req.body.sections),
  );

  app.delete(
    '/api/venues/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Delete a venue no event uses (admin); 409 VENUE_IN_USE otherwise',
        params,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await venues.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );
}
