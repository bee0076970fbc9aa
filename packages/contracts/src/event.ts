import { z } from 'zod';
import { standingTerms, waitingRoomSettings } from './events.ts';
import { canonicalId } from './ids.ts';
import { WAITLIST_OFFER_MINUTES_DEFAULT, waitlistOfferMinutes } from './waitlist.ts';

export const eventStatus = z.enum(['draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled']);
export type EventStatus = z.infer<typeof eventStatus>;

/** A concert called off or already over: it can no longer change, nor be given vouchers or door staff. */
export const isClosedStatus = (status: EventStatus) => status === 'cancelled' || status === 'ended';

/**
 * The part of `GET /api/events/:id` other services rely on (the reservation service checks a sale is open,
 * the queue service reads the waiting-room settings). The full response is a superset of this.
 */
export const eventSaleInfo = z.object({
  id: canonicalId(),
  title: z.string(),
  status: eventStatus,
  startsAt: z.iso.datetime({ offset: true }),
  saleOpensAt: z.iso.datetime({ offset: true }),
  saleClosesAt: z.iso.datetime({ offset: true }),
  perUserLimit: z.number().int().positive(),
  waitingRoom: waitingRoomSettings,
  /** How long a waiting-list offer holds its seats for the fan it is made to. */
  waitlistOfferMinutes: waitlistOfferMinutes.default(WAITLIST_OFFER_MINUTES_DEFAULT),
});
export type EventSaleInfo = z.infer<typeof eventSaleInfo>;

/*
 * Public catalogue DTOs of the event service (`/api/events`, `/api/artists`, `/api/venues`). Times are ISO
 * 8601 strings on the wire; prices are integer KRW.
 */

const isoTime = z.iso.datetime({ offset: true });

/** Image URLs by size, as the media service answers them (see media.ts). */
export const imageRef = z.object({
  mediaId: canonicalId(),
  urls: z.object({ thumb: z.string(), small: z.string(), medium: z.string(), large: z.string() }),
});
export type ImageRef = z.infer<typeof imageRef>;

export const artistDto = z.object({
  id: canonicalId(),
  name: z.string(),
  genre: z.string().nullable(),
  bio: z.string(),
  image: imageRef.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type ArtistDto = z.infer<typeof artistDto>;

export const venueSectionSummary = z.object({
  id: canonicalId(),
  name: z.string(),
  rowCount: z.number().int().nonnegative(),
  /** For a standing area: its places. */
  seatCount: z.number().int().nonnegative(),
  /** The price-tier keys of the section's seats or places, in order. */
  tierKeys: z.array(z.string()),
  /** Null for a seated section. */
  standing: standingTerms.nullable(),
});

export const venueDto = z.object({
  id: canonicalId(),
  name: z.string(),
  city: z.string(),
  address: z.string(),
  seatCount: z.number().int().nonnegative(),
  /** The price-tier keys used by the layout's seats (an event prices each of them). */
  tierKeys: z.array(z.string()),
  sections: z.array(venueSectionSummary),
  /**
   * Events (of any status) held at the venue. While there is one, the seat layout stays as it is (their
   * seats are the layout's seats) and the venue cannot be deleted.
   */
  eventCount: z.number().int().nonnegative(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type VenueDto = z.infer<typeof venueDto>;

/** A venue in a listing: its sections and tier keys are on the venue itself. */
export const venueSummaryDto = venueDto.pick({
  id: true,
  name: true,
  city: true,
  address: true,
  seatCount: true,
  createdAt: true,
  updatedAt: true,
});
export type VenueSummaryDto = z.infer<typeof venueSummaryDto>;

/** The seat map of a venue: sections → rows → seats, each with a stable id, label and drawing position. */
export const venueLayoutDto = z.object({
  venueId: canonicalId(),
  seatCount: z.number().int().nonnegative(),
  sections: z.array(
    z.object({
      id: canonicalId(),
      name: z.string(),
      /** Null for a seated section; a standing area lists its places as one row. */
      standing: standingTerms.nullable(),
      rows: z.array(
        z.object({
          label: z.string(),
          seats: z.array(
            z.object({
              id: canonicalId(),
              label: z.string(),
              number: z.number().int().positive(),
              x: z.number(),
              y: z.number(),
              tierKey: z.string(),
            }),
          ),
        }),
      ),
    }),
  ),
});
export type VenueLayoutDto = z.infer<typeof venueLayoutDto>;

export const priceTierDto = z.object({
  id: canonicalId(),
  key: z.string(),
  name: z.string(),
  price: z.number().int().positive(),
  seatCount: z.number().int().nonnegative(),
});
export type PriceTierDto = z.infer<typeof priceTierDto>;

/** One row of `GET /api/events`. */
export const eventSummaryDto = z.object({
  id: canonicalId(),
  title: z.string(),
  status: eventStatus,
  startsAt: isoTime,
  saleOpensAt: isoTime,
  saleClosesAt: isoTime,
  artist: z.object({ id: canonicalId(), name: z.string() }),
  venue: z.object({ id: canonicalId(), name: z.string(), city: z.string() }),
  priceRange: z.object({ min: z.number().int(), max: z.number().int() }),
  waitingRoom: z.object({ enabled: z.boolean() }),
  poster: imageRef.nullable(),
});
export type EventSummaryDto = z.infer<typeof eventSummaryDto>;

/** `GET /api/events/:id`: a superset of `eventSaleInfo`. */
export const eventDetailDto = eventSaleInfo.extend({
  description: z.string(),
  artist: z.object({ id: canonicalId(), name: z.string(), image: imageRef.nullable() }),
  venue: z.object({
    id: canonicalId(),
    name: z.string(),
    city: z.string(),
    address: z.string(),
    seatCount: z.number().int().nonnegative(),
    sections: z.array(venueSectionSummary),
  }),
  priceTiers: z.array(priceTierDto),
  poster: imageRef.nullable(),
  /** Where the seat map (venue layout) is served. */
  layoutUrl: z.string(),
  publishedAt: isoTime.nullable(),
  cancelledAt: isoTime.nullable(),
  /** What the operator said when cancelling, shown to fans on the event page and in the refund email. */
  cancelReason: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type EventDetailDto = z.infer<typeof eventDetailDto>;

/** Sort orders of `GET /api/events`. */
export const eventSort = z.enum(['date', '-date', 'title', '-title']);
