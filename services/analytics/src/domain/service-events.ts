import type { AnyEnvelope } from '@tiketi/kit';
import type { RawEvent } from '../db/raw-event.repository.ts';
import { eventDimension, type Increment, type Metric, SITE } from './counters.ts';

export const countedEventTypes = [
  'reservation.created',
  'reservation.confirmed',
  'reservation.expired',
  'reservation.cancelled',
  'payment.completed',
  'payment.refunded',
] as const;
export type CountedEventType = (typeof countedEventTypes)[number];

export type Counting = { at: Date; eventId: string; increments: Increment[]; raw: RawEvent };

const both = (metric: Metric, eventId: string, amount: number): Increment[] => [
  { metric, dimension: SITE, amount },
  { metric, dimension: eventDimension(eventId), amount },
];

/**
 * What a service event counts, and on which Seoul day. A sale counts on the day it was approved (a
 * payment approved at 23:30 UTC belongs to the next Seoul day); a refund lowers the revenue of the day
 * it happens, so past days never change, and adds to the refund count while orders stay as they were;
 * the refunded seats come off the tickets sold that day.
 */
export function countingFor(envelope: AnyEnvelope<CountedEventType>): Counting {
  const occurredAt = new Date(envelope.occurredAt);
  const raw = (at: Date, extra: Partial<RawEvent>): RawEvent => ({
    id: envelope.id,
    occurredAt: at,
    source: 'service',
    type: envelope.type,
    userId: envelope.data.userId,
    sessionId: null,
    eventId: envelope.data.eventId,
    artistId: null,
    path: null,
    amount: null,
    properties: {},
    ...extra,
  });
  switch (envelope.type) {
    case 'reservation.created': {
      const d = envelope.data;
      return {
        at: occurredAt,
        eventId: d.eventId,
        increments: both('reservations', d.eventId, 1),
        raw: raw(occurredAt, { amount: d.amount, properties: { reservationId: d.reservationId } }),
      };
    }
    case 'reservation.confirmed': {
      const d = envelope.data;
      return {
        at: occurredAt,
        eventId: d.eventId,
        increments: [...both('confirmed', d.eventId, 1), ...both('tickets', d.eventId, d.seatIds.length)],
        raw: raw(occurredAt, { amount: d.amount, properties: { reservationId: d.reservationId } }),
      };
    }
    case 'reservation.expired':
    case 'reservation.cancelled': {
      const d = envelope.data;
      const metric = envelope.type === 'reservation.expired' ? 'expired' : 'cancelled';
      return {
        at: occurredAt,
        eventId: d.eventId,
        increments: both(metric, d.eventId, 1),
        raw: raw(occurredAt, { properties: { reservationId: d.reservationId } }),
      };
    }
    case 'payment.completed': {
      const d = envelope.data;
      const at = new Date(d.approvedAt);
      return {
        at,
        eventId: d.eventId,
        increments: [...both('revenue', d.eventId, d.amount), ...both('orders', d.eventId, 1)],
        raw: raw(at, { amount: d.amount, properties: { paymentId: d.paymentId, method: d.method } }),
      };
    }
    case 'payment.refunded': {
      const d = envelope.data;
      return {
        at: occurredAt,
        eventId: d.eventId,
        increments: [
          ...both('revenue', d.eventId, -d.amount),
          ...both('refunds', d.eventId, 1),
          ...both('refunded_amount', d.eventId, d.amount),
          // A refunded seat is no longer sold: tickets count net of refunds, like the revenue.
          ...(d.seatIds.length ? both('tickets', d.eventId, -d.seatIds.length) : []),
        ],
        raw: raw(occurredAt, {
          amount: d.amount,
          properties: { paymentId: d.paymentId, full: d.full, reason: d.reason },
        }),
      };
    }
  }
}
