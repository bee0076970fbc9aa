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
