import { z } from 'zod';
import { canonicalId } from './ids.ts';

export const reservationStatus = z.enum(['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED']);
export type ReservationStatus = z.infer<typeof reservationStatus>;

const isoTime = z.iso.datetime({ offset: true });

/** `POST /api/reservations` (201): the hold made, until when it lasts and what it costs. */
export const holdResponse = z.object({
  reservationId: canonicalId(),
  expiresAt: isoTime,
  amount: z.number().int(),
});
export type HoldResponse = z.infer<typeof holdResponse>;

/**
 * A reservation as its owner (or an operator) sees it: `GET /api/reservations` (a page of them),
 * `GET /api/reservations/:id`, and the answer of each route that changes one (cancel, voucher on or off).
 */
export const reservationDto = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  userId: canonicalId(),
  status: reservationStatus,
  /** What is to be paid (or was paid): the seats' prices less `discount`. */
  amount: z.number().int(),
  discount: z.number().int(),
  voucherCode: z.string().nullable(),
  expiresAt: isoTime,
  createdAt: isoTime,
  confirmedAt: isoTime.nullable(),
  seats: z.array(z.object({ id: canonicalId(), label: z.string(), price: z.number().int() })),
  /**
   * The hold was a waiting-list offer made to the fan, not one they made: when it lapses unpaid its seats
   * go to the next fan on the list (or back on sale when nobody is waiting), and the fan is off the list.
   */
  waitlistOffer: z.boolean(),
});
export type ReservationDto = z.infer<typeof reservationDto>;

/**
 * The reservation as the payment service sees it over the internal API
 * (`GET /internal/reservations/:id` on the reservation service).
 */
export const internalReservation = z.object({
  id: canonicalId(),
  userId: canonicalId(),
  eventId: canonicalId(),
  status: reservationStatus,
  amount: z.number().int().nonnegative(),
  expiresAt: isoTime,
  seats: z.array(z.object({ id: canonicalId(), label: z.string(), price: z.number().int().nonnegative() })),
  /** Seats whose ticket was checked in at the door: the buyer can no longer give those back. */
  usedSeatIds: z.array(canonicalId()),
});
export type InternalReservation = z.infer<typeof internalReservation>;

/**
 * `GET /internal/users/:userId/commitments` on the reservation service: what still ties a user to a sale,
 * so that the account cannot be deleted yet (seat holds, whose payment may be under way, and tickets for
 * events still to come).
 */
export const internalUserCommitments = z.object({
  holds: z.number().int().nonnegative(),
  upcomingTickets: z.number().int().nonnegative(),
});
export type InternalUserCommitments = z.infer<typeof internalUserCommitments>;

/**
 * `GET /internal/users/:userId/events/:eventId/holds` on the reservation service: how many holds the user
 * made in the event are still live (waiting-list offers aside, which no admission made). The waiting room
 * asks before a fan who leaves gives up a shopping slot, as the announcement of a hold may still be on its
 * way to it.
 */
export const internalUserEventHolds = z.object({ holds: z.number().int().nonnegative() });
export type InternalUserEventHolds = z.infer<typeof internalUserEventHolds>;

/**
 * `POST /internal/reservations/:id/extend {seconds, amount}` keeps a PENDING hold alive while its payment is
 * in progress, and fixes the order's amount from then on; the reservation service caps the total hold at its
 * own hard ceiling and answers the new expiry. `amount` is what the payment will charge: when the order no
 * longer comes to it (a voucher was put on or taken off since the payment service read it), nothing changes
 * and the answer is 409 `AMOUNT_CHANGED` with the order's `amount` now.
 */
export const extendHoldRequest = z.object({
  seconds: z.number().int().positive().max(1800),
  amount: z.number().int().nonnegative(),
});
export const extendHoldResponse = z.object({ expiresAt: isoTime });

/**
 * `POST /internal/reservations/:id/confirm {paymentId}`: the payment service confirms the reservation right
 * after Toss approves. Atomic and idempotent: PENDING (seats still held) becomes CONFIRMED and tickets are
 * issued; the same paymentId again answers the same result; a reservation whose hold was released answers
 * 409 `HOLD_RELEASED` and the payment must be refunded. The reservation service also consumes
 * `payment.completed` with the same rule, so a confirmation survives the call failing.
 */
export const confirmReservationRequest = z.object({
  paymentId: canonicalId(),
  /** The payment's order id (`tiketi-…`), which the tickets mail gives as the order's number as the site does. */
  orderId: z.string().min(1).max(64).optional(),
});
export const confirmReservationResponse = z.object({
  status: z.literal('CONFIRMED'),
  tickets: z.array(z.object({ id: canonicalId(), seatId: canonicalId(), seatLabel: z.string() })),
});

/** Internal routes live under this prefix; the gateway never routes it, and it needs the internal token. */
export const INTERNAL_PREFIX = '/internal';
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

/**
 * The short code printed on a ticket, typed at the door when no camera can read the QR: ten characters
 * from digits and capitals without the look-alikes 0/O, 1/I/L, unique within the event. Shown as
 * `ABCDE-FGHJK`; typed in any case, with or without the dash or spaces.
 */
export const TICKET_CODE = { alphabet: '23456789ABCDEFGHJKMNPQRSTUVWXYZ', length: 10 } as const;
export const ticketCode = z
  .string()
  .max(40)
  .transform((value) => value.replace(/[\s-]/g, '').toUpperCase())
  .pipe(
    z
      .string()
      .length(TICKET_CODE.length, { error: `must have ${TICKET_CODE.length} letters and digits` })
      .regex(new RegExp(`^[${TICKET_CODE.alphabet}]+$`), {
        error: 'must use only the letters and digits printed on the ticket',
      }),
  );
/** `ABCDEFGHJK` → `ABCDE-FGHJK`, as printed. */
export const formatTicketCode = (code: string) => `${code.slice(0, 5)}-${code.slice(5)}`;

export const ticketStatus = z.enum(['ISSUED', 'USED', 'VOIDED']);
export type TicketStatus = z.infer<typeof ticketStatus>;

/** A ticket as its holder sees it: `GET /api/tickets` (a page of them). */
export const ticketDto = z.object({
  id: canonicalId(),
  reservationId: canonicalId(),
  eventId: canonicalId(),
  seatId: canonicalId(),
  seatLabel: z.string(),
  /** The short code printed on the ticket, typed at the door when no camera reads the QR. */
  code: z.string(),
  entrySection: z.string().nullable().describe('The standing area of a standing place; null for a seat.'),
  entryNumber: z
    .number()
    .int()
    .nullable()
    .describe(
      'Entry number (입장 번호) of a standing place, given when the order is confirmed; null for a seat.',
    ),
  status: ticketStatus,
  issuedAt: isoTime,
  usedAt: isoTime.nullable(),
});
export type TicketDto = z.infer<typeof ticketDto>;

/** `GET /api/tickets/:id`: one ticket with its signed QR payload, shown at the door. */
export const ticketWithQrDto = ticketDto.extend({ qr: z.string() });
export type TicketWithQrDto = z.infer<typeof ticketWithQrDto>;

/**
 * `POST /api/tickets/check-in`: the QR payload as scanned, or the short code typed with the event it is
 * for (codes are unique within one event only).
 */
export const checkInRequest = z.union([
  z.object({ qr: z.string().min(1).max(1000), eventId: canonicalId().optional() }).strict(),
  z.object({ code: ticketCode, eventId: canonicalId() }).strict(),
]);
export type CheckInRequest = z.infer<typeof checkInRequest>;

export const checkInResponse = z.object({
  ticketId: canonicalId(),
  eventId: canonicalId(),
  seatLabel: z.string(),
  code: z.string(),
  /** A standing place's area and entry number (입장 번호), which the door calls out; null for a seat. */
  entrySection: z.string().nullable(),
  entryNumber: z.number().int().positive().nullable(),
  status: z.literal('USED'),
  usedAt: isoTime,
});
export type CheckInResponse = z.infer<typeof checkInResponse>;

/** An event door staff may check tickets in for (`GET /api/tickets/check-in/events`). */
export const checkInEvent = z.object({
  id: canonicalId(),
  title: z.string().nullable(),
  startsAt: isoTime.nullable(),
});
export type CheckInEvent = z.infer<typeof checkInEvent>;

/** `GET /api/tickets/check-in/events`: the events the signed-in door staff is assigned to. */
export const eventsAtDoorResponse = z.object({ items: z.array(checkInEvent) });

/** `PUT /api/tickets/staff/:userId/events`: the whole set of events a staff account works at. */
export const staffEventsRequest = z.object({ eventIds: z.array(canonicalId()).max(200) });
export const staffEventsResponse = z.object({ userId: canonicalId(), events: z.array(checkInEvent) });
export type StaffEvents = z.infer<typeof staffEventsResponse>;

/**
 * `GET /internal/reservations/:id/ticket-documents` (notification service): the tickets of a confirmed
 * order, each with its QR payload and short code, and one PDF with a page per ticket (base64).
 */
export const ticketDocuments = z.object({
  reservationId: canonicalId(),
  tickets: z.array(
    z.object({
      id: canonicalId(),
      seatLabel: z.string(),
      /** A standing place's area and entry number (입장 번호); null for a seat. */
      entrySection: z.string().nullable().default(null),
      entryNumber: z.number().int().positive().nullable().default(null),
      code: z.string(),
      qr: z.string(),
    }),
  ),
  pdf: z.base64(),
});
export type TicketDocuments = z.infer<typeof ticketDocuments>;
