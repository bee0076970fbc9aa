import {
  canonicalId,
  challengeDifficulty,
  eventDetailDto,
  eventSort,
  eventStatus,
  eventSummaryDto,
  MIN_PAYMENT_KRW,
  waitlistOfferMinutes,
} from '@tiketi/contracts';
import { type App, type Auth, type AuthUser, isoDateTime, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import { MAX_PRICE_KRW } from '../domain/event-rules.ts';
import type { EventsService } from '../domain/events.service.ts';

const params = z.object({ id: canonicalId() });
/**
 * An instant, or a day: a date alone is that day in Seoul, where the concerts are (and as the web app shows
 * their dates), not in UTC, which would move a show before 09:00 KST to the day before.
 */
const dateOrTime = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((text) => new Date(text.length === 10 ? `${text}T00:00:00+09:00` : text));
const waitingRoom = z.object({
  enabled: z.boolean(),
  admissionRatePerMinute: z.number().int().positive().max(1_000_000),
  maxActiveShoppers: z.number().int().positive().max(1_000_000),
  /** Base difficulty of the join challenge (ALTCHA maxnumber); null: the platform's default. */
  challengeMaxNumber: challengeDifficulty.nullable().optional(),
});
const priceTier = z.object({
  key: z.string().trim().min(1).max(20),
  name: z.string().trim().min(1).max(60),
  // A seat priced under what an online payment can be could be held and never paid for.
  price: z
    .number()
    .int()
    .min(MIN_PAYMENT_KRW, `must be at least ${MIN_PAYMENT_KRW} KRW, the least an online payment can be`)
    .max(MAX_PRICE_KRW),
});
const eventFields = {
  artistId: canonicalId(),
  venueId: canonicalId(),
  title: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  startsAt: isoDateTime(),
  saleOpensAt: isoDateTime(),
  saleClosesAt: isoDateTime(),
  perUserLimit: z.number().int().min(1).max(10),
  /** How long a waiting-list offer holds its seats for the fan (30 when not given). */
  waitlistOfferMinutes: waitlistOfferMinutes.optional(),
  waitingRoom: waitingRoom.optional(),
  priceTiers: z.array(priceTier).min(1).max(20),
};
const eventBody = z.object(eventFields);
const eventPatch = z.object(eventFields).partial();

export function eventRoutes(app: App, auth: Auth, events: EventsService, publicCacheSeconds: number) {
  // What anyone but an admin sees is the same for everyone, so shared caches (the gateway's copies) may
  // keep it briefly; an admin's view has drafts in it and must never be kept.
  const cacheControl = (caller: AuthUser | undefined) =>
    caller?.role === 'admin' || publicCacheSeconds <= 0
      ? 'private, no-store'
      : `public, max-age=${publicCacheSeconds}`;

  app.get(
    '/api/events',
    {
      onRequest: auth.optional,
      schema: {
        summary: 'List events (admins also see drafts)',
        querystring: z.object({
          artistId: canonicalId().optional(),
          from: dateOrTime.optional(),
          to: dateOrTime.optional(),
          status: eventStatus.optional(),
          q: z.string().trim().min(1).max(100).optional(),
          sort: eventSort.default('date'),
          ...pageQuery,
        }),
        response: { 200: pageOf(eventSummaryDto) },
      },
    },
    async (req, reply) => {
      const page = await events.list(req.query, req.user);
      reply.header('cache-control', cacheControl(req.user));
      return page;
    },
  );

  app.get(
    '/api/events/:id',
    {
      onRequest: auth.optional,
      schema: {
        summary: 'One event with artist, venue, price tiers and poster',
        params,
        response: { 200: eventDetailDto },
      },
    },
    async (req, reply) => {
      const event = await events.get(req.params.id, req.user);
      reply.header('cache-control', cacheControl(req.user));
      return event;
    },
  );

  app.post(
    '/api/events',
    {
      onRequest: auth.admin,
      schema: { summary: 'Create a draft event (admin)', body: eventBody, response: { 201: eventDetailDto } },
    },
    async (req, reply) => reply.code(201).send(await events.create(req.body)),
  );

  app.patch(
    '/api/events/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Change an event; a published one keeps its artist, venue and prices (admin)',
        params,
        body: eventPatch,
        response: { 200: eventDetailDto },
      },
    },
    async (req) => events.update(req.params.id, req.body),
  );

  app.post(
    '/api/events/:id/publish',
    {
      onRequest: auth.admin,
      schema: { summary: 'Publish a draft event (admin)', params, response: { 200: eventDetailDto } },
    },
    async (req) => events.publish(req.params.id),
  );

  app.post(
    '/api/events/:id/cancel',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Cancel an event (admin)',
        params,
        body: z.object({ reason: z.string().trim().min(1).max(500) }),
        response: { 200: eventDetailDto },
      },
    },
    async (req) => events.cancel(req.params.id, req.body.reason),
  );

  app.put(
    '/api/events/:id/poster',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Attach an uploaded image as the poster, or detach it with null (admin)',
        params,
        body: z.object({ mediaId: canonicalId().nullable() }),
        response: { 200: eventDetailDto },
      },
    },
    async (req) => events.setPoster(req.params.id, req.body.mediaId),
  );
}
