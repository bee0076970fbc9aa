import { z } from 'zod';
import { challengeDifficulty } from './challenge.ts';
import { canonicalId } from './ids.ts';
import { WAITLIST_OFFER_MINUTES_DEFAULT, waitlistOfferMinutes } from './waitlist.ts';

/**
 * The event catalogue: every message on the `tiketi.events` exchange. The routing key is the type;
 * payloads carry ids and are versioned through the envelope so consumers can refuse what they do not know.
 */

const uuid = canonicalId();
const isoTime = z.iso.datetime({ offset: true });
const krw = z.number().int().nonnegative();

export const waitingRoomSettings = z.object({
  enabled: z.boolean(),
  admissionRatePerMinute: z.number().int().positive(),
  maxActiveShoppers: z.number().int().positive(),
  /**
   * The bot-defence challenge's base difficulty (ALTCHA maxnumber) for joining this event's waiting room;
   * null: the platform's default. The queue service raises it while joins spike.
   */
  challengeMaxNumber: challengeDifficulty.nullable().default(null),
});

/**
 * A standing area (스탠딩) is sold by count: fans hold a number of its places, and entry numbers are given
 * when an order is confirmed, in order of confirmation (`arrival`) or by a draw among the buyers (`draw`).
 */
export const entryOrder = z.enum(['arrival', 'draw']);
export type EntryOrder = z.infer<typeof entryOrder>;
export const MAX_STANDING_CAPACITY = 20_000;
export const standingTerms = z.object({
  capacity: z.number().int().positive().max(MAX_STANDING_CAPACITY),
  entryOrder,
});
export type StandingTerms = z.infer<typeof standingTerms>;

/** The one row a standing area's places are listed in. */
export const STANDING_ROW = '-';

/** A standing place's label: not an entry number (those are given at confirmation), only a name. */
export function standingPlaceLabel(section: string, number: number): string {
  return `${section}-P${number}`;
}

/**
 * The standing area (of `areas`, by name) a seat label names a place of, if any: how a page that has only
 * labels (a reservation's seats) tells places from seats. Unambiguous, as the event service refuses a
 * layout whose seat has a label of a place's form (`Floor-P900`, past Floor's capacity too).
 */
export function standingAreaOf(label: string, areas: Iterable<string>): string | undefined {
  for (const area of areas) {
    if (label.startsWith(`${area}-P`) && /^\d+$/.test(label.slice(area.length + 2))) return area;
  }
  return undefined;
}

/**
 * A reservation's seats (or anything labelled like one) parted into seats and the places of each standing
 * area, in the order first seen: how every page and mail writes "A-1-3, Floor standing × 2", since which
 * places were picked for a fan means nothing to them.
 */
export function partPlaces<T>(
  items: Iterable<T>,
  areas: Iterable<string>,
  labelOf: (item: T) => string,
): { seats: T[]; places: Map<string, T[]> } {
  const names = [...areas];
  const seats: T[] = [];
  const places = new Map<string, T[]>();
  for (const item of items) {
    const area = standingAreaOf(labelOf(item), names);
    if (area === undefined) seats.push(item);
    else places.set(area, [...(places.get(area) ?? []), item]);
  }
  return { seats, places };
}

/**
 * The labels of the seats an event is about, in the order of its `seatIds`, and the event's standing areas,
 * so a mail can say "A-1-3, Floor standing × 2" (`partPlaces`) rather than count standing places as seats.
 * Optional: events announced before they were added carry only the seat ids.
 */
const placesNamed = {
  seatLabels: z.array(z.string()).optional(),
  standingAreas: z.array(z.string()).optional(),
};

export const inventorySeat = z.object({
  id: uuid,
  label: z.string().min(1),
  section: z.string().min(1),
  row: z.string().min(1),
  number: z.number().int().positive(),
  x: z.number(),
  y: z.number(),
  tierId: uuid,
});

/** A link with a one-time token that the user service has the notification service mail to an account. */
const mailedLink = z.object({
  userId: uuid,
  email: z.email(),
  name: z.string(),
  locale: z.enum(['ko', 'en']).default('ko'),
  token: z.string().min(1),
  expiresAt: isoTime,
});

export const eventCatalogue = {
  'user.registered': z.object({
    userId: uuid,
    email: z.email(),
    name: z.string(),
    locale: z.enum(['ko', 'en']).default('ko'),
    provider: z.enum(['password', 'google']),
  }),
  /**
   * A password account's address needs proving: the notification service mails the owner
   * `${WEB_ORIGIN}/verify-email?token=…`. The token is the only copy outside the user service's hashes.
   */
  'user.verification_requested': mailedLink,
  /**
   * A password account's address was proved (its verification link, or a password set through a reset link,
   * which reached the same mailbox), once per account. The notification service welcomes the owner then: a
   * registration alone proves nothing, and anyone may type anyone's address and a name into the form.
   */
  'user.email_verified': z.object({
    userId: uuid,
    email: z.email(),
    name: z.string(),
    locale: z.enum(['ko', 'en']).default('ko'),
  }),
  /**
   * The owner of an account asked to set a new password: the notification service mails
   * `${WEB_ORIGIN}/reset-password?token=…`. As with verification, the token is the only copy outside the
   * user service's hashes.
   */
  'user.password_reset_requested': mailedLink,
  /**
   * The owner deleted the account: every service forgets the user's personal details (name, address), and
   * keeps what it must for the books under the bare user id.
   */
  'user.deleted': z.object({ userId: uuid }),
  /**
   * The owner changed the account's name or language: the services that write to them (mails) use these
   * from now on.
   */
  'user.updated': z.object({
    userId: uuid,
    email: z.email(),
    name: z.string(),
    locale: z.enum(['ko', 'en']),
  }),
  /**
   * Someone tried to register an address that already has a verified account: its owner is told by mail
   * (register answers the caller as for a new account, so it never reveals who has one).
   */
  'user.registration_repeated': z.object({
    userId: uuid,
    email: z.email(),
    name: z.string(),
    locale: z.enum(['ko', 'en']).default('ko'),
  }),
  /**
   * An account's password was changed (by its owner, who gave the current one) or set through a reset link:
   * its owner is told by mail, with the way to take the account back if it was not them.
   */
  'user.password_changed': z.object({
    userId: uuid,
    email: z.email(),
    name: z.string(),
    locale: z.enum(['ko', 'en']).default('ko'),
    how: z.enum(['change', 'reset']),
    at: isoTime,
  }),
  /**
   * An event is on sale while its status is `published` or `on_sale` and now is within
   * [saleOpensAt, saleClosesAt); consumers keep their own projection from this and `event.updated`.
   */
  'event.published': z.object({
    eventId: uuid,
    status: z.enum(['published', 'on_sale']),
    title: z.string(),
    artistId: uuid,
    venueId: uuid,
    startsAt: isoTime,
    saleOpensAt: isoTime,
    saleClosesAt: isoTime,
    perUserLimit: z.number().int().positive(),
    waitingRoom: waitingRoomSettings,
    /** How long a waiting-list offer holds its seats for the fan it was made to. */
    waitlistOfferMinutes: waitlistOfferMinutes.default(WAITLIST_OFFER_MINUTES_DEFAULT),
    priceTiers: z.array(z.object({ id: uuid, name: z.string(), price: krw })).min(1),
    seats: z.array(inventorySeat).min(1),
    /** The sections (by name) that are standing areas; their places are among `seats`. */
    standingAreas: z.array(standingTerms.extend({ section: z.string().min(1) })).default([]),
  }),
  'event.updated': z.object({
    eventId: uuid,
    status: z.enum(['draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled']),
    /**
     * The title and start as they are now (a concert renamed or rescheduled): the door, the tickets and the
     * mails follow them. Absent from updates announced before they were added.
     */
    title: z.string().optional(),
    startsAt: isoTime.optional(),
    saleOpensAt: isoTime,
    saleClosesAt: isoTime,
    perUserLimit: z.number().int().positive(),
    waitingRoom: waitingRoomSettings,
    /** How long a waiting-list offer holds its seats for the fan it was made to. */
    waitlistOfferMinutes: waitlistOfferMinutes.default(WAITLIST_OFFER_MINUTES_DEFAULT),
  }),
  /**
   * A published concert moved to another time (announced beside `event.updated`): its ticket holders are
   * told, with the time their tickets were bought for.
   */
  'event.rescheduled': z.object({
    eventId: uuid,
    title: z.string(),
    previousStartsAt: isoTime,
    startsAt: isoTime,
  }),
  'event.cancelled': z.object({ eventId: uuid, reason: z.string() }),
  /**
   * An event on sale ran out of seats and standing places to hold (`soldOut`), or has some again (a hold
   * ended unpaid, a refund): announced by the reservation service when its periodic look finds the change,
   * as of `at`. Lists and pages say "sold out" meanwhile; the sale itself is not closed by it.
   */
  'sale.availability_changed': z.object({ eventId: uuid, soldOut: z.boolean(), at: isoTime }),
  'reservation.created': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    seatIds: z.array(uuid).min(1),
    amount: krw,
    expiresAt: isoTime,
  }),
  /**
   * A pending hold now lasts longer (its payment is in progress). Only ever later than the `expiresAt`
   * announced before; the hold still ends with `reservation.confirmed`, `cancelled` or `expired`.
   */
  'reservation.extended': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    expiresAt: isoTime,
  }),
  'reservation.confirmed': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    seatIds: z.array(uuid).min(1),
    amount: krw,
    paymentId: uuid,
  }),
  'reservation.expired': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    seatIds: z.array(uuid).min(1),
    /**
     * The hold was a waiting-list offer the fan let lapse (not a hold they made): the seats went to the next
     * fan on the list and the fan's entry ended with it.
     */
    waitlistOffer: z.boolean().default(false),
    ...placesNamed,
  }),
  'reservation.cancelled': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    seatIds: z.array(uuid).min(1),
    reason: z.enum(['user', 'admin', 'refund', 'event_cancelled']),
  }),
  /**
   * A fan's place on a waiting list ended without an offer because the event was cancelled: the
   * notification service tells them.
   */
  'waitlist.closed': z.object({
    eventId: uuid,
    userId: uuid,
    quantity: z.number().int().positive(),
    reason: z.enum(['event_cancelled']),
  }),
  /**
   * Seats that came back were held for the next fan on the event's waiting list: the notification service
   * mails them the link to pay before `expiresAt`, after which the seats go to the next fan.
   */
  'waitlist.offered': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    seatIds: z.array(uuid).min(1),
    seatLabels: z.array(z.string()).min(1),
    /** The event's standing areas: a label naming a place of one (`standingAreaOf`) is a place, not a seat. */
    standingAreas: z.array(z.string()).default([]),
    amount: krw,
    expiresAt: isoTime,
  }),
  'payment.completed': z.object({
    paymentId: uuid,
    orderId: z.string(),
    paymentKey: z.string(),
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    amount: krw,
    method: z.string(),
    approvedAt: isoTime,
  }),
  'payment.failed': z.object({
    paymentId: uuid,
    orderId: z.string(),
    reservationId: uuid,
    userId: uuid,
    code: z.string(),
    message: z.string(),
  }),
  'payment.refunded': z.object({
    paymentId: uuid,
    orderId: z.string(),
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    /** What this refund returned. */
    amount: krw,
    /** Everything refunded on this payment so far, this refund included. */
    totalRefunded: krw,
    /** Seats given back by this refund; all seats of the reservation when the refund is full. */
    seatIds: z.array(uuid),
    full: z.boolean(),
    reason: z.string(),
    /** True when the payment was approved after its hold had expired and was refunded automatically. */
    lateApproval: z.boolean().default(false),
    /**
     * `event_cancelled` when the refund is one the event's cancellation called for; absent for every other
     * refund. Consumers tell the cause from this, never from `reason`, which is free text.
     */
    cause: z.enum(['event_cancelled']).optional(),
    ...placesNamed,
  }),
  'ticket.issued': z.object({
    reservationId: uuid,
    eventId: uuid,
    userId: uuid,
    tickets: z.array(z.object({ ticketId: uuid, seatId: uuid, seatLabel: z.string() })).min(1),
    /** What the order was paid, for the confirmation mail. Absent from tickets issued before it was added. */
    amount: krw.optional(),
    /** The payment's order id, the order's number on the site; absent when the confirmation did not carry it. */
    orderId: z.string().optional(),
  }),
  /**
   * An image is gone with all its sizes. Whoever copied its links (the catalogue's posters and artist
   * images) drops them, so no page keeps pointing at files that no longer exist.
   */
  'media.deleted': z.object({ mediaId: uuid }),
} as const;

export type EventCatalogue = typeof eventCatalogue;
export type EventType = keyof EventCatalogue;
export type EventData<T extends EventType> = z.output<EventCatalogue[T]>;
export type EventInput<T extends EventType> = z.input<EventCatalogue[T]>;

export const eventTypes = Object.keys(eventCatalogue) as EventType[];

/** A tag is one lower-case word (a header the broker matches on). */
const EVENT_TAG = /^[a-z][a-z-]*$/;

/**
 * The tag of a `reservation.created` whose hold was made under a waiting-room admission: the waiting room
 * hears only these (a shopper's slot counts while their holds last), not the holds of events without one.
 */
export const HOLD_UNDER_ADMISSION = 'admitted';

export const envelopeSchema = z.object({
  id: uuid,
  type: z.string(),
  version: z.number().int().positive(),
  occurredAt: isoTime,
  traceparent: z.string().optional(),
  tag: z.string().regex(EVENT_TAG).optional(),
  data: z.unknown(),
});

export type Envelope<T extends EventType = EventType> = {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  traceparent?: string | undefined;
  /**
   * Narrows who hears the event: the routing key is still the type, and every consumer of the type gets it;
   * a consumer may also take the type only with this tag (`ConsumerOptions.tagged`), which the broker
   * matches on the message's headers.
   */
  tag?: string | undefined;
  data: EventData<T>;
};

export const EVENT_VERSION = 1;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalogue, type);
}
