import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'TKT1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type QrClaims = { ticketId: string; eventId: string };

function signature(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * The QR payload of a ticket: `TKT1.<ticketId>.<eventId>.<HMAC-SHA256>` (base64url). Only the
 * reservation service knows the key, so a payload that verifies was issued by it.
 */
export function signTicketQr(secret: string, claims: QrClaims): string {
  const body = `${PREFIX}.${claims.ticketId}.${claims.eventId}`;
  return `${body}.${signature(secret, body).toString('base64url')}`;
}

/** The claims of a genuine payload; undefined when it is malformed or its signature does not match. */
export function verifyTicketQr(secret: string, qr: string): QrClaims | undefined {
  const parts = qr.trim().split('.');
  if (parts.length !== 4) return undefined;
  const [prefix, ticketId, eventId, sig] = parts as [string, string, string, string];
  if (prefix !== PREFIX || !UUID.test(ticketId) || !UUID.test(eventId)) return undefined;
  const expected = signature(secret, `${prefix}.${ticketId}.${eventId}`);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { ticketId, eventId };
}
