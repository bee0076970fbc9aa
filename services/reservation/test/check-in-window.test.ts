import { describe, expect, it } from 'vitest';
import { bearer, type Instance, onSaleEvent, paidTicket, reservationSuite } from './helpers.ts';

/*
 * Doors open a set time before the event starts (CHECK_IN_OPENS_MINUTES_BEFORE, three hours unless set):
 * a ticket scanned earlier is refused with its own reason and the time the doors open, and stays valid.
 */
describe('when check-in opens', () => {
  const HOUR = 3_600_000;
  const later = onSaleEvent(4, { startsAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString() });
  const tonight = onSaleEvent(4, { startsAt: new Date(Date.now() + 2 * HOUR).toISOString() });
  const h = reservationSuite('resv-check-in-window', {
    instances: [{ consume: true }],
    events: [later, tonight],
    start: true,
  });
  const fan = h.user();
  const staff = h.user('admin');

  const ticketFor = (event: typeof later, seat = 0) => paidTicket(h, fan.token, event, seat);
  const checkIn = (app: Instance['app'], qr: string) =>
    app.inject({
      method: 'POST',
      url: '/api/tickets/check-in',
      headers: bearer(staff.token),
      payload: { qr },
    });

  it('refuses a ticket scanned before the doors open, saying when they open, and keeps it valid', async () => {
    const ticket = await ticketFor(later);
    const res = await checkIn(h.app, ticket.qr);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const opensAt = new Date(Date.parse(later.startsAt) - 3 * HOUR).toISOString();
    expect(res.json()).toMatchObject({ code: 'CHECK_IN_NOT_OPEN', opensAt });
    const detail = await h.app.inject({ url: `/api/tickets/${ticket.id}`, headers: bearer(fan.token) });
    expect(detail.json()).toMatchObject({ status: 'ISSUED', usedAt: null });
  });

  it('admits a ticket once the doors are open', async () => {
    const ticket = await ticketFor(tonight);
    const res = await checkIn(h.app, ticket.qr);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ticketId: ticket.id, status: 'USED' });
  });

  it('follows the service setting: doors an hour before refuse the event two hours away', async () => {
    const strict = await h.instance({ config: { CHECK_IN_OPENS_MINUTES_BEFORE: 60 } });
    const ticket = await ticketFor(tonight, 1);
    const res = await checkIn(strict.app, ticket.qr);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CHECK_IN_NOT_OPEN' });
  });
});
