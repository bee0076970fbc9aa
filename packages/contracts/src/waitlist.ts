import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * The waiting list of a sold-out event (`/api/waitlist/:eventId`, owned by the reservation service). A fan
 * joins for a number of seats, optionally of one price tier; when seats come back the first fan whose wish
 * they cover gets an offer: a hold of those seats in their name for the event's `waitlistOfferMinutes`.
 */

/** How long an offer holds its seats when the operator set nothing. */
export const WAITLIST_OFFER_MINUTES_DEFAULT = 30;
/** What an operator may choose for `waitlistOfferMinutes`. */
export const waitlistOfferMinutes = z.number().int().min(5).max(1440);

export const waitlistJoinRequest = z.object({
  /** Only seats of this price tier; absent: any seat. */
  tierId: canonicalId().optional(),
  /** Seats wanted, together in one offer; at most the event's per-user limit. */
  quantity: z.number().int().min(1).max(10).default(1),
});
export type WaitlistJoinRequest = z.input<typeof waitlistJoinRequest>;

export const waitlistEntryStatus = z.enum(['WAITING', 'OFFERED']);

export const waitlistEntry = z.object({
  eventId: canonicalId(),
  tierId: canonicalId().nullable(),
  quantity: z.number().int().positive(),
  status: waitlistEntryStatus,
  /** 1 for the next fan to be offered seats; null once an offer is made. */
  place: z.number().int().positive().nullable(),
  joinedAt: z.iso.datetime({ offset: true }),
  /** The hold made for this fan: pay it through `/checkout/:reservationId` before `expiresAt`. */
  offer: z.object({ reservationId: canonicalId(), expiresAt: z.iso.datetime({ offset: true }) }).nullable(),
});
export type WaitlistEntry = z.infer<typeof waitlistEntry>;

/** `GET /api/waitlist/:eventId`: the caller's place, or null when they are not on the list. */
export const waitlistStatus = z.object({ entry: waitlistEntry.nullable() });
export type WaitlistStatus = z.infer<typeof waitlistStatus>;
