import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * The waiting room as clients see it: the answer of `POST /api/queue/:eventId/join` and
 * `GET /api/queue/:eventId/status`, and the messages of the Socket.IO endpoint at path `/queue`.
 *
 * Socket.IO: connect with `io(baseUrl, { path: '/queue', transports: ['websocket'],
 * auth: { token: <access token>, eventId } })` after joining over HTTP. The server sends `status` once
 * per connection, `progress` to everyone waiting for the event whenever the line moves, `admitted`
 * to the one user admitted, and `cancelled` to everyone in the room when the event is cancelled (the wait
 * is over; join, status and new connections then answer 409 `EVENT_CANCELLED`). A client may ask again
 * with `socket.emit('status', ack)`. A user may hold a few sockets at once and a client address a few
 * hundred (more are refused with `TOO_MANY_CONNECTIONS`); a socket that sends messages too fast gets
 * `error` with code `RATE_LIMITED`, and is disconnected if it goes on.
 */
const isoTime = z.iso.datetime({ offset: true });

/** Past this, a wait is shown as "more than N hours" rather than as a figure nobody can trust. */
export const QUEUE_ETA_LIMIT_SECONDS = 3 * 3600;

/**
 * How fast the line moves, as the admission step sees it: free slots fill at the configured rate, and
 * once the shopper cap is full each place waits for a slot to turn over (shoppers leaving, holds ending,
 * measured over the last minute, at least one turn per slot per expected stay: what shoppers stayed in
 * the room and the platform's last sale, or before that the configured pace, and never less than the room's
 * shoppers have stayed so far while nobody has left).
 */
export const queuePace = z.object({
  freeSlots: z.number().int().nonnegative(),
  /** The configured admission rate, which fills free slots. */
  openPerMinute: z.number().nonnegative(),
  /** Slots turning over per minute once the cap is full. */
  turnoverPerMinute: z.number().nonnegative(),
});
export type QueuePace = z.infer<typeof queuePace>;

/**
 * Seconds until the fan at `position` (1 = next) is admitted, bounded by QUEUE_ETA_LIMIT_SECONDS; the
 * same rule on the server (status) and in the browser (from the broadcasts).
 */
export function estimateWait(
  position: number,
  pace: QueuePace,
): { seconds: number; beyondLimit: boolean } | null {
  const direct = Math.min(position, pace.freeSlots);
  const turns = position - direct;
  if ((direct > 0 && pace.openPerMinute <= 0) || (turns > 0 && pace.turnoverPerMinute <= 0)) return null;
  const minutes =
    (direct > 0 ? direct / pace.openPerMinute : 0) + (turns > 0 ? turns / pace.turnoverPerMinute : 0);
  return boundedWait(Math.ceil(minutes * 60));
}

/** A wait as the status gives it: at most QUEUE_ETA_LIMIT_SECONDS, saying when it is longer. */
export function boundedWait(seconds: number): { seconds: number; beyondLimit: boolean } {
  return seconds > QUEUE_ETA_LIMIT_SECONDS
    ? { seconds: QUEUE_ETA_LIMIT_SECONDS, beyondLimit: true }
    : { seconds, beyondLimit: false };
}

export const queueState = z.enum(['waiting', 'admitted']);

export const queueStatus = z.object({
  /** This place in line; a new place (after losing one) gets a new id. */
  queueId: canonicalId(),
  eventId: canonicalId(),
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
  /**
   * Estimated seconds until admission (until the opening draw, before the sale opens), at most
   * QUEUE_ETA_LIMIT_SECONDS.
   */
  etaSeconds: z.number().int().nonnegative().nullable(),
  /** The estimate is longer than QUEUE_ETA_LIMIT_SECONDS: show "more than N hours". */
  etaBeyondLimit: z.boolean(),
  /** When the sale opens and the arrivals so far are drawn. */
  opensAt: isoTime,
  joinedAt: isoTime,
  /** Present once admitted: send it to the reservation service as header `X-Queue-Token`. */
  admissionToken: z.string().optional(),
  admissionExpiresAt: isoTime.optional(),
  /**
   * Present once admitted (unless the room has no such limit): an admitted fan holding nothing who shows no
   * sign of life for this long (asking for this status, holding seats) gives the slot to the next fan, and
   * the admission ends. A page that keeps the fan shopping asks for the status well within it.
   */
  idleLimitSeconds: z.number().int().positive().optional(),
});
export type QueueStatus = z.infer<typeof queueStatus>;

/**
 * How many of the numbers given up ahead a progress broadcast names at most (the lowest, which the fans
 * nearest the front need): a fan further back may read a place or so too many until the line reaches them.
 */
export const QUEUE_GONE_SENT = 50;

/**
 * Broadcast per event as the line moves (the same message for everyone, so it stays cheap with many
 * waiters): a client's position is `positionIn(number, progress)`, its wait `estimateWait(position, pace)`.
 */
export const queueProgress = z.object({
  eventId: canonicalId(),
  /** True once the opening draw has happened; clients without a number then ask for their status. */
  opened: z.boolean(),
  /** The highest queue number admitted so far. */
  nowServing: z.number().int().nonnegative(),
  /**
   * Queue numbers after `nowServing` whose holders left the line, the lowest first, at most
   * QUEUE_GONE_SENT; absent when none. Nobody ahead of a fan holds these, so they are not counted.
   */
  gone: z.array(z.number().int().positive()).max(QUEUE_GONE_SENT).optional(),
  /** People still waiting, the draw's arrivals included. */
  waiting: z.number().int().nonnegative(),
  /** Admissions per minute as measured lately (the configured rate until there is a measure). */
  admissionsPerMinute: z.number().nonnegative(),
  /** What a client's wait is estimated from (`estimateWait(positionIn(number, progress), pace)`). */
  pace: queuePace,
  opensAt: isoTime,
  /**
   * Seats and standing places neither held nor sold, as read from the reservation service a few seconds
   * ago; absent while unknown. 0 means sold out for now: seats come back when holds run out unpaid.
   */
  seatsLeft: z.number().int().nonnegative().optional(),
});
export type QueueProgress = z.infer<typeof queueProgress>;

/**
 * A waiting fan's place in line (1 = next) as a progress broadcast tells it: the numbers after the last one
 * admitted, up to the fan's own, less those given up on the way.
 */
export function positionIn(number: number, progress: Pick<QueueProgress, 'nowServing' | 'gone'>): number {
  let ahead = number - progress.nowServing;
  for (const given of progress.gone ?? []) if (given > progress.nowServing && given < number) ahead -= 1;
  return Math.max(0, ahead);
}

/** Sent to the admitted user only. */
export const queueAdmitted = z.object({
  eventId: canonicalId(),
  number: z.number().int().positive(),
  admissionToken: z.string(),
  admissionExpiresAt: isoTime,
});
export type QueueAdmitted = z.infer<typeof queueAdmitted>;

/** Sent to everyone in the event's room when the event is cancelled. */
export const queueCancelled = z.object({
  eventId: canonicalId(),
  /** The organiser's reason, as the event service announced it. */
  reason: z.string(),
});
export type QueueCancelled = z.infer<typeof queueCancelled>;

/**
 * Told to a room whose line leads nowhere any more, as its status then answers (409 with the same code):
 * `SALE_CLOSED` once the sale has closed (nobody is admitted after it), `WAITING_ROOM_OFF` when the
 * operator switched the room off (fans go straight to the seat map).
 */
export const queueClosed = z.object({
  eventId: canonicalId(),
  code: z.enum(['SALE_CLOSED', 'WAITING_ROOM_OFF']),
  detail: z.string(),
});
export type QueueClosed = z.infer<typeof queueClosed>;

/**
 * `GET /internal/queue/:eventId/stats` (internal token; the admin service's operator views): one waiting
 * room as Redis holds it now. An event the waiting room has not heard of yet answers zeros and no settings.
 */
/**
 * What leaving a waiting room (`DELETE /api/queue/:eventId`) gave up: an admitted fan's shopping slot, which
 * goes to the next fan in line, or a waiting fan's place; `nothing` when the caller had neither.
 */
export const queueLeft = z.object({ left: z.enum(['slot', 'line', 'nothing']) });
export type QueueLeft = z.infer<typeof queueLeft>;

/**
 * Told to every socket of a fan who just left the room (`DELETE /api/queue/:eventId` gave up a slot or a
 * place), so that a second window of theirs does not go on showing a place that is gone.
 */
export const queueLeftNotice = z.object({ eventId: canonicalId(), left: z.enum(['slot', 'line']) });
export type QueueLeftNotice = z.infer<typeof queueLeftNotice>;

export const queueStats = z.object({
  eventId: canonicalId(),
  /** The admission step visits this room: the event sells now with its waiting room on. */
  live: z.boolean(),
  /** The opening draw has happened: arrivals since hold numbers in order. */
  opened: z.boolean(),
  /** People waiting, the arrivals before the draw included. */
  waiting: z.number().int().nonnegative(),
  /** Admitted users holding a shopping slot. */
  activeShoppers: z.number().int().nonnegative(),
  peakActiveShoppers: z.number().int().nonnegative(),
  /** The highest queue number admitted so far. */
  nowServing: z.number().int().nonnegative(),
  /** Admissions per minute as measured lately (falls to 0 when nobody is admitted). */
  admissionsPerMinute: z.number().nonnegative(),
  /** The room's settings as the catalogue last told them. */
  settings: z
    .object({
      enabled: z.boolean(),
      admissionRatePerMinute: z.number().int().nonnegative(),
      maxActiveShoppers: z.number().int().nonnegative(),
      opensAt: isoTime,
      closesAt: isoTime,
      status: z.string(),
    })
    .nullable(),
});
export type QueueStats = z.infer<typeof queueStats>;

/** Socket.IO event names of the `/queue` endpoint. */
export const QUEUE_SOCKET = {
  path: '/queue',
  status: 'status',
  progress: 'progress',
  admitted: 'admitted',
  cancelled: 'cancelled',
  /** The sale closed or the waiting room was switched off: the line leads nowhere now (`queueClosed`). */
  closed: 'closed',
  /** The fan left the room, perhaps in another window: their place is gone (`queueLeftNotice`). */
  left: 'left',
  /**
   * A problem `{status, code, detail}` about the socket itself (`RATE_LIMITED`: slow down; status 401
   * `UNAUTHORIZED`: the fan's session ended, or the access token the socket was opened with expired, and the
   * socket is closed: connect again with a refreshed token).
   */
  error: 'error',
} as const;
