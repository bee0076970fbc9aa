import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signTicketQr, verifyTicketQr } from './ticket-qr.ts';

describe('ticket QR payload', () => {
  const claims = { ticketId: randomUUID(), eventId: randomUUID() };

  it('verifies a payload it signed', () => {
    expect(verifyTicketQr('secret', signTicketQr('secret', claims))).toEqual(claims);
  });

  it('refuses a payload signed with another key', () => {
    expect(verifyTicketQr('secret', signTicketQr('other', claims))).toBeUndefined();
  });

  it('refuses a payload whose ticket id was changed', () => {
    const [prefix, , eventId, sig] = signTicketQr('secret', claims).split('.');
    expect(verifyTicketQr('secret', [prefix, randomUUID(), eventId, sig].join('.'))).toBeUndefined();
  });

  it('refuses malformed payloads', () => {
    for (const qr of ['', 'TKT1', 'TKT1.a.b.c', `TKT2.${claims.ticketId}.${claims.eventId}.xx`]) {
      expect(verifyTicketQr('secret', qr)).toBeUndefined();
    }
  });
});
