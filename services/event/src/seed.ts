import { demoMedia, imageUrls, MEDIA_PUBLIC_PREFIX, SEOUL_OFFSET_MS } from '@tiketi/contracts';
import { createLogger, type Kysely, type Redis } from '@tiketi/kit';
import { v5 as uuidv5 } from 'uuid';
import { catalogueCache } from './db/catalogue.cache.ts';
import { eventRepository } from './db/event.repository.ts';
import type { DB } from './db/schema.ts';
import { venueRepository } from './db/venue.repository.ts';
import { eventsService } from './domain/events.service.ts';
import { type LayoutSectionInput, planLayout } from './domain/layout.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Namespace of the demo's derived ids: the same label always gives the same seat id. */
const DEMO_NAMESPACE = '5b0c8f4e-3d7a-4c1e-9f2b-7a6d5e4c3b2a';

const artists = {
  iu: { id: '01936b2a-0000-7000-8000-00000000a001', name: 'IU', genre: 'K-pop' },
  newJeans: { id: '01936b2a-0000-7000-8000-00000000a002', name: 'NewJeans', genre: 'K-pop' },
  jannabi: { id: '01936b2a-0000-7000-8000-00000000a003', name: 'Jannabi', genre: 'Indie rock' },
  akmu: { id: '01936b2a-0000-7000-8000-00000000a004', name: 'AKMU', genre: 'K-pop' },
};

const rowsOf = (rows: number, seats: number, tierKey: string) =>
  Array.from({ length: rows }, (_, r) => ({ label: String(r + 1), seatCount: seats, tierKey }));

const venues = {
  kspo: {
    id: '01936b2a-0000-7000-8000-00000000b001',
    name: 'KSPO Dome',
    city: 'Seoul',
    address: '424 Olympic-ro, Songpa-gu',
    // 6 sections × 10 rows × 20 seats = 1,200 seats.
    sections: ['A', 'B', 'C', 'D', 'E', 'F'].map((name, i) => ({
      name,
      rows: rowsOf(10, 20, i < 2 ? 'VIP' : i < 4 ? 'R' : 'S'),
    })),
  },
  blueSquare: {
    id: '01936b2a-0000-7000-8000-00000000b002',
    name: 'Blue Square Mastercard Hall',
    city: 'Seoul',
    address: '294 Itaewon-ro, Yongsan-gu',
    // 3 sections × 5 rows × 20 seats = 300 seats.
    sections: ['A', 'B', 'C'].map((name, i) => ({ name, rows: rowsOf(5, 20, i === 0 ? 'R' : 'S') })),
  },
  rollingHall: {
    id: '01936b2a-0000-7000-8000-00000000b003',
    name: 'Rolling Hall',
    city: 'Seoul',
    address: '35 Eoulmadang-ro, Mapo-gu',
    sections: ['A', 'B'].map((name) => ({ name, rows: rowsOf(5, 20, 'GA') })),
  },
} satisfies Record<
  string,
  { id: string; name: string; city: string; address: string; sections: LayoutSectionInput[] }
>;

/**
 * `days` from `now`, at `hour`:`minute` on Seoul's clock: a concert starts at 19:30, a sale opens at 20:00,
 * as real ones do, whenever the seed first ran.
 */
function seoulClock(now: Date, days: number, hour: number, minute = 0): Date {
  const wall = new Date(now.getTime() + days * DAY + SEOUL_OFFSET_MS);
  wall.setUTCHours(hour, minute, 0, 0);
  return new Date(wall.getTime() - SEOUL_OFFSET_MS);
}

function demoEvents(now: Date) {
  const at = (ms: number) => new Date(now.getTime() + ms);
  const evening = (days: number) => seoulClock(now, days, 19, 30);
  // An opening on the hour; a sale already open opened at the last hour past, a day or an hour ago.
  const opening = (days: number) => seoulClock(now, days, 20);
  const openedAgo = (ms: number) => new Date(Math.floor(at(-ms).getTime() / HOUR) * HOUR);
  const poster = (mediaId: string) => ({ mediaId, urls: imageUrls(MEDIA_PUBLIC_PREFIX, mediaId) });
  return [
    {
      id: '01936b2a-0000-7000-8000-000000000001',
      artistId: artists.iu.id,
      venueId: venues.kspo.id,
      title: 'IU — The Golden Hour',
      description: 'IU returns to KSPO Dome. A ticket drop with a waiting room: 1,200 seats.',
      startsAt: evening(30),
      saleOpensAt: openedAgo(HOUR),
      saleClosesAt: evening(29),
      perUserLimit: 4,
      waitingRoom: { enabled: true, admissionRatePerMinute: 300, maxActiveShoppers: 200 },
      priceTiers: [
        { key: 'VIP', name: 'VIP', price: 165_000 },
        { key: 'R', name: 'R', price: 143_000 },
        { key: 'S', name: 'S', price: 121_000 },
      ],
      poster: poster(demoMedia.posterIu),
    },
    {
      id: '01936b2a-0000-7000-8000-000000000002',
      artistId: artists.newJeans.id,
      venueId: venues.blueSquare.id,
      title: 'NewJeans — Bunnies Camp',
      description: 'A fan meeting on sale now, no waiting room.',
      startsAt: evening(45),
      saleOpensAt: openedAgo(DAY),
      saleClosesAt: evening(44),
      perUserLimit: 2,
      waitingRoom: { enabled: false, admissionRatePerMinute: 600, maxActiveShoppers: 1000 },
      priceTiers: [
        { key: 'R', name: 'R', price: 132_000 },
        { key: 'S', name: 'S', price: 110_000 },
      ],
      poster: poster(demoMedia.posterNewJeans),
    },
    {
      id: '01936b2a-0000-7000-8000-000000000003',
      artistId: artists.jannabi.id,
      venueId: venues.rollingHall.id,
      title: 'Jannabi — Summer Tour',
      description: 'Sale opens in a week.',
      startsAt: evening(60),
      saleOpensAt: opening(7),
      saleClosesAt: evening(59),
      perUserLimit: 4,
      waitingRoom: { enabled: true, admissionRatePerMinute: 120, maxActiveShoppers: 50 },
      priceTiers: [{ key: 'GA', name: 'General admission', price: 88_000 }],
      poster: poster(demoMedia.posterJannabi),
    },
    {
      id: '01936b2a-0000-7000-8000-000000000004',
      artistId: artists.akmu.id,
      venueId: venues.blueSquare.id,
      title: 'AKMU — Next Episode',
      description: 'Sale opens in two weeks.',
      startsAt: evening(75),
      saleOpensAt: opening(14),
      saleClosesAt: evening(74),
      perUserLimit: 4,
      waitingRoom: { enabled: false, admissionRatePerMinute: 600, maxActiveShoppers: 1000 },
      priceTiers: [
        { key: 'R', name: 'R', price: 99_000 },
        { key: 'S', name: 'S', price: 77_000 },
      ],
      poster: poster(demoMedia.posterAkmu),
    },
  ];
}

/**
 * Demo catalogue for `npm start`: artists, venues with full seat layouts and published events, each
 * announced with `event.published` through the outbox so the reservation service builds its inventory.
 * Fixed ids make it idempotent; sale windows are relative to the first run. Answers the titles it seeded.
 */
export async function seedDemo(
  db: Kysely<DB>,
  options: { now?: Date; redis?: Redis | undefined } = {},
): Promise<string[]> {
  const now = options.now ?? new Date();
  const logger = createLogger('event-seed', 'silent');
  const cache = catalogueCache(options.redis, logger);
  const venueRepo = venueRepository(db);
  const events = eventsService({
    db,
    events: eventRepository(db),
    venues: venueRepo,
    cache,
    media: undefined,
    now: () => now,
  });

  await db
    .insertInto('artists')
    .values(Object.values(artists))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  for (const { id, sections, ...venue } of Object.values(venues)) {
    const layout = planLayout(
      sections,
      (label) => uuidv5(`${id}:seat:${label}`, DEMO_NAMESPACE),
      (name) => uuidv5(`${id}:section:${name}`, DEMO_NAMESPACE),
    );
    await venueRepo.create(id, venue, layout, { ifMissing: true });
  }

  const seeded: string[] = [];
  for (const { id, poster, ...input } of demoEvents(now)) {
    let row = await db.selectFrom('events').select(['status']).where('id', '=', id).executeTakeFirst();
    if (!row) {
      await events.create(input, id);
      await db
        .updateTable('events')
        .set({ poster: JSON.stringify(poster) })
        .where('id', '=', id)
        .execute();
      row = { status: 'draft' };
    }
    // A start that stopped between create and publish finishes here.
    if (row.status === 'draft') {
      await events.publish(id);
      seeded.push(input.title);
    }
  }
  await cache.invalidate();
  return seeded;
}
