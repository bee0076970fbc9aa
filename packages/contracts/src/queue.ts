import { z } from 'zod';

/**
 * The waiting room as clients see it: the answer of `POST /api/queue/:eventId/join` and
 * `GET /api/queue/:eventId/status`, and the messages of the Socket.IO endpoint at path `/queue`.
 *
 * Socket.IO: connect with `io(baseUrl, { path: '/queue', transports: ['websocket'],
 * auth: { token: <access token>, eventId } })` after joining over HTTP. The server sends `status` once
 * per connection, `progress` to everyone waiting for the event whenever the line moves, and `admitted`
 * to the one user admitted. A client may ask again with `socket.emit('status', ack)`.
 */
const isoTime = z.iso.datetime({ offset: true });

export const queueState = z.enum(['waiting', 'admitted']);

export const queueStatus = z.object({
  /** This place in line; a new place (after losing one) gets a new id. */
  queueId: z.uuid(),
  eventId: z.uuid(),
  state: queueState,
  /**
   * The queue number, fixed for good: null until the sale opens and the arrivals before it are drawn
   * in random order; later arrivals get the next number.
   */
  number: z.number().int().positive().nullable(),
  /** The highest number admitted so far, as in the `progress` broadcasts (which may arrive late). */
  nowServing: z.number().int().nonnegative(),
  /** 1 = next in line; 0 once admitted; null before the opening draw. */
  position: z.number().int().nonnegative().nullable(),
  peopleAhead: z.number().int().nonnegative().nullable(),
  /** Estimated seconds until admission (until the opening draw, before the sale opens). */
  etaSeconds: z.number().int().nonnegative().nullable(),
  /** When the sale opens and the arrivals so far are drawn. */
  opensAt: isoTime,
  joinedAt: isoTime,
  /** Present once admitted: send it to the reservation service as header `X-Queue-Token`. */
  admissionToken: z.string().optional(),
  admissionExpiresAt: isoTime.optional(),
});
export type QueueStatus = z.infer<typeof queueStatus>;

/**
 * Broadcast per event as the line moves (the same message for everyone, so it stays cheap with many
 * waiters): a client's position is `number - nowServing`, its wait about `position / admissionsPerMinute`.
 */
export const queueProgress = z.object({
  eventId: z.uuid(),
  /** True once the opening draw has happened; clients without a number then ask for their status. */
  opened: z.boolean(),
  /** The highest queue number admitted so far. */
  nowServing: z.number().int().nonnegative(),
  /** People still waiting, the draw's arrivals included. */
  waiting: z.number().int().nonnegative(),
  /** Admissions per minute as measured lately (the configured rate until there is a measure). */
  admissionsPerMinute: z.number().nonnegative(),
  opensAt: isoTime,
});
export type QueueProgress = z.infer<typeof queueProgress>;

/** Sent to the admitted user only. */
export const queueAdmitted = z.object({
  eventId: z.uuid(),
  number: z.number().int().positive(),
  admissionToken: z.string(),
  admissionExpiresAt: isoTime,
});
export type QueueAdmitted = z.infer<typeof queueAdmitted>;

/** Socket.IO event names of the `/queue` endpoint. */
export const QUEUE_SOCKET = {
  path: '/queue',
  status: 'status',
  progress: 'progress',
  admitted: 'admitted',
} as const;
