import { type FieldError, problems } from '@tiketi/kit';
import type { EventStatus } from '../db/schema.ts';

export type WaitingRoom = {
  enabled: boolean;
  admissionRatePerMinute: number;
  maxActiveShoppers: number;
  /** Base difficulty of the join challenge; null: the platform's default. */
  challengeMaxNumber: number | null;
};
export type TierInput = { key: string; name: string; price: number };

/** Everything an event is made of, as checked before it is stored. */
export type EventDraft = {
  artistId: string;
  venueId: string;
  title: string;
  description: string;
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
  perUserLimit: number;
  /** How long a waiting-list offer holds its seats. */
  waitlistOfferMinutes: number;
  waitingRoom: WaitingRoom;
  priceTiers: TierInput[];
};

export const MAX_PRICE_KRW = 10_000_000;

/**
 * The status a reader sees: a published event is `on_sale` while now is inside its sale window, and any
 * live event is `ended` once it has started. Stored statuses only move on admin actions; a reader's copy
 * says `sold_out` while the reservation service says no seat is left (the catalogue's `sold_out` column).
 */
export function effectiveStatus(
  e: { status: EventStatus; saleOpensAt: Date; saleClosesAt: Date; startsAt: Date },
  now: Date,
): EventStatus {
  if (e.status === 'draft' || e.status === 'cancelled' || e.status === 'ended') return e.status;
  if (now >= e.startsAt) return 'ended';
  if (e.status === 'sold_out') return 'sold_out';
  return now >= e.saleOpensAt && now < e.saleClosesAt ? 'on_sale' : 'published';
}

/**
 * Cross-field rules zod cannot see: the sale window opens before it closes and closes no later than the
 * start; tier keys are unique and price exactly the tiers the venue's seats use.
 */
export function validateEvent(draft: EventDraft, venueTierKeys: string[]): void {
  const errors: FieldError[] = [];
  if (draft.saleOpensAt >= draft.saleClosesAt) {
    errors.push({ field: 'body.saleClosesAt', message: 'must be after saleOpensAt' });
  }
  if (draft.saleClosesAt > draft.startsAt) {
    errors.push({ field: 'body.saleClosesAt', message: 'must be no later than startsAt' });
  }
  const keys = new Set<string>();
  draft.priceTiers.forEach((tier, i) => {
    if (keys.has(tier.key)) errors.push({ field: `body.priceTiers.${i}.key`, message: 'is used twice' });
    keys.add(tier.key);
    if (!venueTierKeys.includes(tier.key)) {
      errors.push({
        field: `body.priceTiers.${i}.key`,
        message: `matches no seat of the venue (its tiers: ${venueTierKeys.join(', ')})`,
      });
    }
  });
  const unpriced = venueTierKeys.filter((k) => !keys.has(k));
  if (unpriced.length === 1) {
    errors.push({ field: 'body.priceTiers', message: `has no price for seat tier ${unpriced[0]}` });
  } else if (unpriced.length > 1) {
    errors.push({ field: 'body.priceTiers', message: `has no price for seat tiers ${unpriced.join(', ')}` });
  }
  if (errors.length) {
    throw problems.badRequest(
      `The event is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    );
  }
}

/**
 * A published event moved to another start time must still lie ahead: a start gone by would end its sale
 * at once and tell every ticket holder a date that has passed.
 */
export function validateReschedule(previousStartsAt: Date, draft: EventDraft, now: Date): void {
  if (draft.startsAt.getTime() === previousStartsAt.getTime() || draft.startsAt > now) return;
  const errors: FieldError[] = [{ field: 'body.startsAt', message: 'is in the past' }];
  throw problems.badRequest('The event is invalid: body.startsAt is in the past', errors);
}

/** Publishing also needs the event to still lie ahead. */
export function validatePublishable(draft: EventDraft, now: Date): void {
  const errors: FieldError[] = [];
  if (draft.startsAt <= now) errors.push({ field: 'startsAt', message: 'is in the past' });
  if (draft.saleClosesAt <= now) errors.push({ field: 'saleClosesAt', message: 'is in the past' });
  if (errors.length) {
    throw problems.unprocessable(
      'EVENT_NOT_PUBLISHABLE',
      `The event cannot be published: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      { errors },
    );
  }
}
