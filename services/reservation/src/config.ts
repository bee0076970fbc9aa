import {
  CACHE_LIMITS,
  env,
  internalTokenShape,
  queueTokenShape,
  serviceConfigShape,
  tokenAttestationShape,
} from '@tiketi/kit';
import { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  ...queueTokenShape,
  ...tokenAttestationShape,
  PORT: env.port(4003),
  DATABASE_NAME: env.string('reservations_db'),
  /** How long a hold lasts before it is released. */
  HOLD_TTL_SECONDS: env.int(300),
  /** Hard ceiling of a hold counted from its creation, however often the payment service extends it. */
  HOLD_MAX_SECONDS: env.int(900),
  /** Redis seat locks as the fast path in front of the database (which guards alone when false). */
  SEAT_LOCKS: env.bool(true),
  /** How often expired holds are looked for. */
  SWEEP_INTERVAL_MS: env.int(1000),
  SWEEP_BATCH_SIZE: env.int(200),
  /** How often the events on sale are looked at for a sell-out, or seats again after one; 0: never. */
  SOLD_OUT_CHECK_INTERVAL_MS: env.int(5000),
  /** The seat map cache is rebuilt from the database at least this often. */
  SEAT_CACHE_TTL_SECONDS: env.int(120),
  /** How long an instance reuses an event's sale settings before reading them again. */
  SALE_INFO_CACHE_MS: env.int(CACHE_LIMITS.saleInfo.ttlMs),
  /** Signs the QR payload of tickets (HMAC-SHA256). */
  TICKET_SIGNING_SECRET: env.secret('tiketi-local-ticket-signing-secret'),
  /** Asked for sale settings of an event whose `event.published` has not arrived yet. */
  EVENT_SERVICE_URL: env.serviceUrl('event'),
  EVENT_SERVICE_TIMEOUT_MS: env.int(2000),
  /** Asked whether an account is door staff before an operator assigns it events. */
  USER_SERVICE_URL: env.serviceUrl('user'),
  MAX_SEATS_PER_REQUEST: env.int(10),
  /**
   * How often an account may let its holds of one seat end unpaid (lapse, or be given back) within the
   * window before that seat is refused to it until the oldest leaves the window (seat spinning); 0: no limit.
   */
  UNPAID_HOLDS_PER_SEAT: env.int(2),
  UNPAID_HOLD_WINDOW_MS: env.int(3_600_000),
  /** Voucher codes one account may try per window, right or wrong (a presale code must not be guessable). */
  VOUCHER_ATTEMPTS_PER_ACCOUNT: env.int(10),
  VOUCHER_ATTEMPT_WINDOW_MS: env.int(600_000),
  /** How long before an event starts its doors open: check-in before that is refused (CHECK_IN_NOT_OPEN). */
  CHECK_IN_OPENS_MINUTES_BEFORE: env.int(180),
  /** Worker threads drawing ticket PDFs, off the event loop and at the lowest CPU priority. */
  TICKET_PDF_THREADS: z.coerce.number().int().min(1).default(1),
};

export type ReservationConfig = z.output<z.ZodObject<typeof configShape>>;
