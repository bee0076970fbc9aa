import {
  type EventDetailDto,
  type EventSummaryDto,
  type ImageRef,
  isClosedStatus,
  WAITLIST_OFFER_MINUTES_DEFAULT,
} from '@tiketi/contracts';
import { type AuthUser, type Kysely, problems, publishInTransaction, type Transaction } from '@tiketi/kit';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { MediaResolver } from '../clients/media.client.ts';
import type { CatalogueCache } from '../db/catalogue.cache.ts';
import type { EventRepository, EventRow, EventSort } from '../db/event.repository.ts';
import type { DB, EventStatus } from '../db/schema.ts';
import type { VenueRepository } from '../db/venue.repository.ts';
import { resolver } from './artists.service.ts';
import {
  type EventDraft,
  effectiveStatus,
  type TierInput,
  validateEvent,
  validatePublishable,
  validateReschedule,
  type WaitingRoom,
} from './event-rules.ts';

/** A waiting room as an operator sends it: without a challenge difficulty, the one it had stays. */
type WaitingRoomInput = Omit<WaitingRoom, 'challengeMaxNumber'> & { challengeMaxNumber?: number | null };

export type EventInput = Omit<EventDraft, 'description' | 'waitingRoom' | 'waitlistOfferMinutes'> & {
  description?: string;
  waitlistOfferMinutes?: number;
  waitingRoom?: WaitingRoomInput;
};
export type EventPatch = Partial<EventInput>;

export type EventListQuery = {
  artistId?: string;
  from?: Date;
  to?: Date;
  status?: EventStatus;
  q?: string;
  sort: EventSort;
  page: number;
  pageSize: number;
};

export const DEFAULT_WAITING_ROOM: WaitingRoom = {
  enabled: false,
  admissionRatePerMinute: 600,
  maxActiveShoppers: 1000,
  challengeMaxNumber: null,
};

/** Fields fixed once the reservation service has built its inventory from `event.published`. */
const LOCKED_AFTER_PUBLISH = ['artistId', 'venueId', 'priceTiers'] as const;

const ADMIN_VIEW: AuthUser = { id: '00000000-0000-0000-0000-000000000000', role: 'admin', email: undefined };

type Deps = {
  db: Kysely<DB>;
  events: EventRepository;
  venues: VenueRepository;
  cache: CatalogueCache;
  media: MediaResolver | undefined;
  now: () => Date;
};

export function eventsService(deps: Deps) {
  const { db, events, venues, cache, now } = deps;

  async function loadDetail(id: string): Promise<EventDetailDto | null> {
    const event = await events.find(id);
    if (!event) return null;
    const [artist, venue, sections, tiers, counts] = await Promise.all([
      db
        .selectFrom('artists')
        .select(['id', 'name', 'image'])
        .where('id', '=', event.artistId)
        .executeTakeFirstOrThrow(),
      venues.find(event.venueId),
      venues.sectionSummaries(event.venueId),
      events.tiers(id),
      events.seatCountsByTier(event.venueId),
    ]);
    if (!venue) return null;
    return {
      id: event.id,
      title: event.title,
      description: event.description,
      // Kept as stored, with the reservation service's word that nothing is left; served through
      // `effectiveStatus` (`statusOf`), which lets a started event be `ended` all the same.
      status: event.soldOut && event.status === 'published' ? 'sold_out' : event.status,
      startsAt: event.startsAt.toISOString(),
      saleOpensAt: event.saleOpensAt.toISOString(),
      saleClosesAt: event.saleClosesAt.toISOString(),
      perUserLimit: event.perUserLimit,
      waitlistOfferMinutes: event.waitlistOfferMinutes,
      waitingRoom: {
        enabled: event.waitingRoomEnabled,
        admissionRatePerMinute: event.admissionRatePerMinute,
        maxActiveShoppers: event.maxActiveShoppers,
        challengeMaxNumber: event.challengeMaxNumber,
      },
      artist,
      venue: {
        id: venue.id,
        name: venue.name,
        city: venue.city,
        address: venue.address,
        seatCount: venue.seatCount,
        sections,
      },
      priceTiers: tiers.map((t) => ({ ...t, seatCount: counts.get(t.key) ?? 0 })),
      poster: event.poster,
      layoutUrl: `/api/venues/${venue.id}/layout`,
      publishedAt: event.publishedAt?.toISOString() ?? null,
      cancelledAt: event.cancelledAt?.toISOString() ?? null,
      cancelReason: event.cancelledAt ? event.cancelReason : null,
      createdAt: event.createdAt.toISOString(),
      updatedAt: event.updatedAt.toISOString(),
    };
  }

  /** Detail with the status as of now; drafts exist only for admins. */
  async function get(id: string, caller?: AuthUser): Promise<EventDetailDto> {
    const dto = await cache.read(`event:${id}`, () => loadDetail(id));
    if (!dto || (dto.status === 'draft' && caller?.role !== 'admin')) throw problems.notFound('Event');
    return { ...dto, status: statusOf(dto) };
  }

  function statusOf(dto: {
    status: EventStatus;
    startsAt: string;
    saleOpensAt: string;
    saleClosesAt: string;
  }) {
    return effectiveStatus(
      {
        status: dto.status,
        startsAt: new Date(dto.startsAt),
        saleOpensAt: new Date(dto.saleOpensAt),
        saleClosesAt: new Date(dto.saleClosesAt),
      },
      now(),
    );
  }

  async function checkedDraft(trx: Transaction<DB>, input: EventDraft): Promise<void> {
    const [artist, venue] = await Promise.all([
      trx.selectFrom('artists').select('id').where('id', '=', input.artistId).executeTakeFirst(),
      trx.selectFrom('venues').select('id').where('id', '=', input.venueId).executeTakeFirst(),
    ]);
    const missing = [
      ...(artist ? [] : [{ field: 'body.artistId', message: 'is not a known artist' }]),
      ...(venue ? [] : [{ field: 'body.venueId', message: 'is not a known venue' }]),
    ];
    if (missing.length) {
      throw problems.badRequest(
        `The event is invalid: ${missing.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        missing,
      );
    }
    validateEvent(input, await venues.tierKeys(input.venueId, trx));
  }

  async function draftOf(trx: Transaction<DB>, id: string) {
    const row = await events.findForUpdate(trx, id);
    if (!row) throw problems.notFound('Event');
    const tiers = await events.tiers(id, trx);
    const draft: EventDraft = {
      artistId: row.artistId,
      venueId: row.venueId,
      title: row.title,
      description: row.description,
      startsAt: row.startsAt,
      saleOpensAt: row.saleOpensAt,
      saleClosesAt: row.saleClosesAt,
      perUserLimit: row.perUserLimit,
      waitlistOfferMinutes: row.waitlistOfferMinutes,
      waitingRoom: {
        enabled: row.waitingRoomEnabled,
        admissionRatePerMinute: row.admissionRatePerMinute,
        maxActiveShoppers: row.maxActiveShoppers,
        challengeMaxNumber: row.challengeMaxNumber,
      },
      priceTiers: tiers.map(({ key, name, price }) => ({ key, name, price })),
    };
    return { row, tiers, draft };
  }

  async function changed(id: string): Promise<EventDetailDto> {
    await cache.invalidate();
    return get(id, ADMIN_VIEW);
  }

  return {
    get,

    async list(query: EventListQuery, caller?: AuthUser) {
      const isAdmin = caller?.role === 'admin';
      const run = async () => {
        const { items, total } = await events.list({
          ...query,
          includeDrafts: isAdmin,
          limit: query.pageSize,
          offset: (query.page - 1) * query.pageSize,
          now: now(),
        });
        const rows: EventSummaryDto[] = items.map((e) => ({
          id: e.id,
          title: e.title,
          status: e.status,
          startsAt: e.startsAt.toISOString(),
          saleOpensAt: e.saleOpensAt.toISOString(),
          saleClosesAt: e.saleClosesAt.toISOString(),
          artist: { id: e.artistId, name: e.artistName },
          venue: { id: e.venueId, name: e.venueName, city: e.venueCity },
          priceRange: { min: e.minPrice ?? 0, max: e.maxPrice ?? 0 },
          waitingRoom: { enabled: e.waitingRoomEnabled },
          poster: e.poster,
        }));
        return { items: rows, page: query.page, pageSize: query.pageSize, total };
      };
      // Admin listings include drafts and are rare: never cached, so the public cache holds no draft.
      // Statuses move with the clock, so public listings live only briefly.
      return isAdmin ? run() : cache.read(`events:${JSON.stringify(query)}`, run, 15);
    },

    /** A new draft; `id` is given only by the demo seed, for fixed ids. */
    async create(input: EventInput, id: string = uuidv7()): Promise<EventDetailDto> {
      const draft: EventDraft = {
        ...input,
        description: input.description ?? '',
        waitlistOfferMinutes: input.waitlistOfferMinutes ?? WAITLIST_OFFER_MINUTES_DEFAULT,
        waitingRoom: { ...DEFAULT_WAITING_ROOM, ...input.waitingRoom },
      };
      await db.transaction().execute(async (trx) => {
        await checkedDraft(trx, draft);
        await events.insert(trx, id, toRow(draft), withIds(draft.priceTiers));
      });
      return changed(id);
    },

    async update(id: string, patch: EventPatch): Promise<EventDetailDto> {
      await db.transaction().execute(async (trx) => {
        const { row, draft } = await draftOf(trx, id);
        if (isClosedStatus(row.status)) {
          throw problems.conflict('EVENT_CLOSED', `The event is ${row.status} and can no longer change.`);
        }
        const live = row.status !== 'draft';
        if (live) {
          const locked = LOCKED_AFTER_PUBLISH.filter((k) => patch[k] !== undefined);
          if (locked.length) {
            throw problems.conflict(
              'EVENT_PUBLISHED',
              `${locked.join(', ')} cannot change once the event is published: its seats are on sale.`,
            );
          }
        }
        const next: EventDraft = {
          ...draft,
          ...definedOnly(patch),
          waitingRoom: { ...draft.waitingRoom, ...definedOnly(patch.waitingRoom ?? {}) },
        };
        if (live) validateReschedule(row.startsAt, next, now());
        await checkedDraft(trx, next);
        await events.update(trx, id, toRow(next), live ? undefined : withIds(next.priceTiers));
        if (live) {
          await publishInTransaction(trx, 'event.updated', {
            eventId: id,
            status: effectiveStatus({ ...next, status: row.status }, now()),
            title: next.title,
            startsAt: next.startsAt.toISOString(),
            saleOpensAt: next.saleOpensAt.toISOString(),
            saleClosesAt: next.saleClosesAt.toISOString(),
            perUserLimit: next.perUserLimit,
            waitlistOfferMinutes: next.waitlistOfferMinutes,
            waitingRoom: next.waitingRoom,
          });
          if (next.startsAt.getTime() !== row.startsAt.getTime()) {
            await publishInTransaction(trx, 'event.rescheduled', {
              eventId: id,
              title: next.title,
              previousStartsAt: row.startsAt.toISOString(),
              startsAt: next.startsAt.toISOString(),
            });
          }
        }
      });
      return changed(id);
    },

    async publish(id: string): Promise<EventDetailDto> {
      await db.transaction().execute(async (trx) => publishEvent(trx, id, now()));
      return changed(id);
    },

    async cancel(id: string, reason: string): Promise<EventDetailDto> {
      await db.transaction().execute(async (trx) => {
        const row = await events.findForUpdate(trx, id);
        if (!row) throw problems.notFound('Event');
        if (row.status === 'cancelled') return;
        if (effectiveStatus(row, now()) === 'ended') {
          throw problems.conflict('EVENT_CLOSED', 'The event has already taken place.');
        }
        await events.setStatus(trx, id, { status: 'cancelled', cancelledAt: now(), cancelReason: reason });
        if (row.status !== 'draft')
          await publishInTransaction(trx, 'event.cancelled', { eventId: id, reason });
      });
      return changed(id);
    },

    async setPoster(id: string, mediaId: string | null): Promise<EventDetailDto> {
      if (!(await events.find(id))) throw problems.notFound('Event');
      const poster: ImageRef | null = mediaId ? await resolver(deps.media).resolve(mediaId) : null;
      if (!(await events.setPoster(id, poster))) throw problems.notFound('Event');
      return changed(id);
    },
  };

  /** draft → published, announcing the whole seat inventory in the same transaction. */
  async function publishEvent(trx: Transaction<DB>, id: string, at: Date) {
    const { row, tiers, draft } = await draftOf(trx, id);
    if (row.status !== 'draft') {
      throw problems.conflict(
        'EVENT_NOT_DRAFT',
        `Only a draft can be published; this event is ${row.status}.`,
      );
    }
    validatePublishable(draft, at);
    await checkedDraft(trx, draft);
    await events.setStatus(trx, id, { status: 'published', publishedAt: at });
    const venueSeats = await events.inventory(trx, id, row.venueId);
    const seats = venueSeats.map((seat) => ({ ...seat, id: eventSeatId(id, seat.id) }));
    const standingAreas = await events.standingAreas(trx, row.venueId);
    await publishInTransaction(trx, 'event.published', {
      eventId: id,
      status: effectiveStatus({ ...draft, status: 'published' }, at) === 'on_sale' ? 'on_sale' : 'published',
      title: draft.title,
      artistId: draft.artistId,
      venueId: draft.venueId,
      startsAt: draft.startsAt.toISOString(),
      saleOpensAt: draft.saleOpensAt.toISOString(),
      saleClosesAt: draft.saleClosesAt.toISOString(),
      perUserLimit: draft.perUserLimit,
      waitlistOfferMinutes: draft.waitlistOfferMinutes,
      waitingRoom: draft.waitingRoom,
      priceTiers: tiers.map(({ id: tierId, name, price }) => ({ id: tierId, name, price })),
      seats,
      standingAreas,
    });
  }
}

/**
 * A venue's seat is sold once per event: the inventory announced to the reservation service names each
 * seat by an id of its own per event (derived, so the same on every run), never by the venue seat's id,
 * which every event at that venue shares.
 */
const EVENT_SEAT_NAMESPACE = '6f1c5b2e-3d4a-4f8b-9c7d-2a1e0b9f8c3d';
export function eventSeatId(eventId: string, venueSeatId: string): string {
  return uuidv5(`${eventId}:${venueSeatId}`, EVENT_SEAT_NAMESPACE);
}

function toRow(draft: EventDraft): EventRow {
  return {
    artistId: draft.artistId,
    venueId: draft.venueId,
    title: draft.title,
    description: draft.description,
    startsAt: draft.startsAt,
    saleOpensAt: draft.saleOpensAt,
    saleClosesAt: draft.saleClosesAt,
    perUserLimit: draft.perUserLimit,
    waitlistOfferMinutes: draft.waitlistOfferMinutes,
    waitingRoomEnabled: draft.waitingRoom.enabled,
    admissionRatePerMinute: draft.waitingRoom.admissionRatePerMinute,
    maxActiveShoppers: draft.waitingRoom.maxActiveShoppers,
    challengeMaxNumber: draft.waitingRoom.challengeMaxNumber,
  };
}

function withIds(tiers: TierInput[]) {
  return tiers.map((t) => ({ id: uuidv7(), ...t }));
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type EventsService = ReturnType<typeof eventsService>;
