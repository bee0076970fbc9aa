import type { Bus, Kysely, Logger } from '@tiketi/kit';
import type { ArtistRepository } from '../db/artist.repository.ts';
import type { CatalogueCache } from '../db/catalogue.cache.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { DB } from '../db/schema.ts';

/**
 * The reservation service's word on whether an event on sale has seats left (`sale.availability_changed`)
 * makes lists and pages say "sold out", or "on sale" again; a word older than the one taken changes nothing.
 *
 * The catalogue keeps copies of image links (posters, artist images). When the media service deletes an
 * image, every copy is dropped in one transaction, so no page goes on pointing at files that are gone; a
 * redelivered event finds nothing left to change.
 */
export async function startConsumers(deps: {
  bus: Bus;
  db: Kysely<DB>;
  artists: ArtistRepository;
  events: EventRepository;
  cache: CatalogueCache;
  logger: Logger;
}) {
  const { bus, db, artists, events, cache, logger } = deps;
  await bus.consume({
    name: 'availability',
    events: ['sale.availability_changed'],
    db,
    handler: async (event, trx) => {
      const { eventId, soldOut, at } = event.data;
      return { eventId, soldOut, changed: await events.recordSoldOut(trx, eventId, soldOut, new Date(at)) };
    },
    afterCommit: async (_event, result) => {
      if (!result.changed) return;
      logger.info(result, result.soldOut ? 'event sold out' : 'event has seats again');
      await cache.invalidate();
    },
  });
  await bus.consume({
    name: 'media',
    events: ['media.deleted'],
    db,
    handler: async (event, trx) => {
      const { mediaId } = event.data;
      const artistIds = await artists.detachImage(trx, mediaId);
      const eventIds = await events.detachPoster(trx, mediaId);
      return { mediaId, artistIds, eventIds };
    },
    afterCommit: async (_event, detached) => {
      if (detached.artistIds.length + detached.eventIds.length === 0) return;
      logger.info(detached, 'deleted image detached from the catalogue');
      await cache.invalidate();
    },
  });
}
