import { canonicalId } from '@tiketi/contracts';
import type { HttpClient, Logger } from '@tiketi/kit';
import { z } from 'zod';
import type { EventProjectionRepository } from '../db/event-projection.repository.ts';

/** The part of the event service's `GET /api/events/:id` analytics reads; the artist in either shape. */
const fetchedEvent = z.object({
  id: canonicalId(),
  title: z.string().optional(),
  status: z.string().optional(),
  artistId: canonicalId().optional(),
  artist: z.object({ id: canonicalId() }).partial().optional(),
  saleOpensAt: z.iso.datetime({ offset: true }).optional(),
  saleClosesAt: z.iso.datetime({ offset: true }).optional(),
});

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * Which artist an event belongs to, for attributing views. Reads the projection kept from
 * `event.published`; an event not seen yet (published before analytics ran) is fetched once from the
 * event service and remembered. A lookup that fails leaves the view unattributed rather than refusing it.
 */
export function eventDirectory(deps: {
  projection: EventProjectionRepository;
  events: HttpClient;
  logger: Logger;
  now: () => Date;
}) {
  const cache = new Map<string, { artistId: string | undefined; until: number }>();

  async function fetchArtist(eventId: string): Promise<string | undefined> {
    try {
      const res = await deps.events.get<unknown>(`/api/events/${eventId}`, { timeoutMs: 1000 });
      if (res.status !== 200) return undefined;
      const parsed = fetchedEvent.safeParse(res.body);
      if (!parsed.success) return undefined;
      const e = parsed.data;
      const artistId = e.artist?.id ?? e.artistId;
      if (!artistId) return undefined;
      await deps.projection.fill({
        eventId,
        artistId,
        title: e.title ?? null,
        status: e.status ?? null,
        saleOpensAt: e.saleOpensAt ? new Date(e.saleOpensAt) : null,
        saleClosesAt: e.saleClosesAt ? new Date(e.saleClosesAt) : null,
        // Older than any message, so that a later event.updated still applies.
        sourceTime: new Date(0),
      });
      return artistId;
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message, eventId }, 'event lookup failed');
      return undefined;
    }
  }

  return {
    async artistOf(eventId: string): Promise<string | undefined> {
      const now = deps.now().getTime();
      const cached = cache.get(eventId);
      if (cached && cached.until > now) return cached.artistId;
      const known = await deps.projection.find(eventId);
      const artistId = known?.artistId ?? (await fetchArtist(eventId));
      if (cache.size >= CACHE_MAX) cache.clear();
      // An unknown artist is cached briefly too, so a burst of views does not hammer the event service.
      cache.set(eventId, { artistId, until: now + CACHE_TTL_MS });
      return artistId;
    },
  };
}

export type EventDirectory = ReturnType<typeof eventDirectory>;
