import { sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, onSaleEvent, reservationSuite } from './helpers.ts';

const TTL = { HOLD_TTL_SECONDS: 2, SWEEP_INTERVAL_MS: 200 };

describe('hold expiry', () => {
  const event = onSaleEvent(10);
  const h = reservationSuite('resv-expiry', { config: TTL, events: [event] });
  const alice = h.user();
  const bob = h.user();

  async function hold(url: string, token: string, seatId: string) {
    const res = await fetch(`${url}/api/reservations`, {
      method: 'POST',
      headers: bearer(token, { 'content-type': 'application/json' }),
      body: JSON.stringify({ eventId: event.eventId, seatIds: [seatId] }),
    });
    return { status: res.status, body: (await res.json()) as { reservationId: string; expiresAt: string } };
  }
  async function seatStatus(url: string, seatId: string) {
    const res = await fetch(`${url}/api/seats/event/${event.eventId}`);
    const map = (await res.json()) as { seats: { id: string; status: string }[] };
    return map.seats.find((s) => s.id === seatId)?.status;
  }
  const reservationStatus = async (id: string) =>
    (await h.db.selectFrom('reservations').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('releases a hold after its expiry, shows the seat available again and announces it', async () => {
    const svc = await h.instance({ listen: true });
    await svc.start();
    const seat = event.seats[0]!.id;
    const held = await hold(svc.url, alice.token, seat);
    expect(held.status).toBe(201);
    expect(await seatStatus(svc.url, seat)).toBe('held');

    await eventually(async () => expect(await seatStatus(svc.url, seat)).toBe('available'));
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(held.body.expiresAt).getTime());
    expect(await reservationStatus(held.body.reservationId)).toBe('EXPIRED');
    const expired = await sql<{ data: unknown }>`select envelope->'data' as data from outbox
      where type = 'reservation.expired' and envelope->'data'->>'reservationId' = ${held.body.reservationId}`.execute(
      h.db,
    );
    expect(expired.rows).toEqual([{ data: expect.objectContaining({ waitlistOffer: false }) }]);
    // The Redis lock went with the hold: someone else gets the seat straight away.
    expect((await hold(svc.url, bob.token, seat)).status).toBe(201);
    await svc.close();
  });

  it('releases a hold whose expiry passed while the service was stopped, once a new instance runs', async () => {
    const before = await h.instance({ listen: true });
    await before.start();
    const seat = event.seats[1]!.id;
    const held = await hold(before.url, alice.token, seat);
    expect(held.status).toBe(201);
    await before.close();

    const expiresAt = new Date(held.body.expiresAt).getTime();
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    // Nobody was running: the hold is still recorded as pending past its expiry.
    expect(await reservationStatus(held.body.reservationId)).toBe('PENDING');

    const after = await h.instance({ listen: true });
    await after.start();
    await eventually(async () => expect(await seatStatus(after.url, seat)).toBe('available'));
    expect(await reservationStatus(held.body.reservationId)).toBe('EXPIRED');
    expect((await hold(after.url, bob.token, seat)).status).toBe(201);
    await after.close();
  });
});
