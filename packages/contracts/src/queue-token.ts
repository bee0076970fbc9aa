/**
 * The waiting room's admission token, issued by the queue service and verified locally by the reservation
 * service (header `X-Queue-Token`): a compact JWS, HS256 over the shared `QUEUE_TOKEN_SECRET`.
 */
export const ADMISSION_TOKEN = {
  header: 'x-queue-token',
  algorithm: 'HS256',
  issuer: 'tiketi-queue',
  audience: 'tiketi-reservation',
  /** Claim carrying the event id; `sub` carries the user id. */
  eventClaim: 'eid',
} as const;

/**
 * Where the waiting room keeps one event's state in Redis (under the platform's shared key prefix).
 * The reservation service reads one of them, `ADMISSION_LIVE_KEY`, to see that an admission is still live.
 */
export const queueRedisKey = (eventId: string, name: string) => `queue:{${eventId}}:${name}`;

/**
 * Hash: user id -> when their admission lapses (ms). The entry goes in the same atomic step that frees the
 * user's slot (purchase, cancellation, lapse), so a token whose slot was given to the next fan stops working.
 */
export const ADMISSION_LIVE_KEY = 'lapse';
