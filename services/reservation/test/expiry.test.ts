import { sql } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { bearer, eventually, onSaleEvent, reservationSuite } from './helpers.ts';

const TTL = { HOLD_TTL_SECONDS: 2, SWEEP_INTERVAL_MS: 200 };

describe('hold expiry', () => {
  const event = onSaleEvent(10);
  const h = reservationSuite('resv-expiry', { config: TTL, events: [event] });
  const alice = h.user();
  const bob = h.user();
  const spinner = h.user();

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
    // It names the seat and the event's standing areas (none here), so the mail can tell places from seats.
    expect(expired.rows).toEqual([
      {
        data: expect.objectContaining({
          waitlistOffer: false,
          seatLabels: [event.seats[0]!.label],
          standingAreas: [],
        }),
      },
    ]);
    const own = (await (
      await fetch(`${svc.url}/api/reservations/${held.body.reservationId}`, { headers: bearer(alice.token) })
    ).json()) as { waitlistOffer: boolean };
    expect(own.waitlistOffer).toBe(false);
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

  it('refuses seat spinning: seats whose holds an account let end unpaid twice are left for others for an hour', async () => {
    const svc = await h.instance({ listen: true });
    await svc.start();
    const [seat, other] = [event.seats[5]!.id, event.seats[6]!.id];
    const first = await hold(svc.url, spinner.token, seat);
    expect(first.status).toBe(201);
    await eventually(async () => expect(await reservationStatus(first.body.reservationId)).toBe('EXPIRED'));
    // A fan who let a payment slip may take the seat back once; given back again (just before it would
    // lapse, to be taken again at once), it has ended unpaid twice.
    const again = await hold(svc.url, spinner.token, seat);
    expect(again.status).toBe(201);
    const given = await fetch(`${svc.url}/api/reservations/${again.body.reservationId}`, {
      method: 'DELETE',
      headers: bearer(spinner.token),
    });
    expect(given.status).toBe(200);

    const post = (token: string, seatIds: string[]) =>
      fetch(`${svc.url}/api/reservations`, {
        method: 'POST',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ eventId: event.eventId, seatIds }),
      });
    const refused = await post(spinner.token, [other, seat]);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    expect(await refused.json()).toMatchObject({
      code: 'SEATS_LEFT_FOR_OTHERS',
      seatIds: [seat],
      limit: 2,
      minutes: 60,
    });
    // Nothing was held, and only the seat let go twice is refused to this account.
    expect(await seatStatus(svc.url, other)).toBe('available');
    const mine = await h.db
      .selectFrom('reservations')
      .select('id')
      .where('userId', '=', spinner.id)
      .execute();
    expect(mine).toHaveLength(2);
    const otherSeat = await post(spinner.token, [other]);
    expect(otherSeat.status).toBe(201);
    await fetch(
      `${svc.url}/api/reservations/${((await otherSeat.json()) as { reservationId: string }).reservationId}`,
      {
        method: 'DELETE',
        headers: bearer(spinner.token),
      },
    );

    // An hour after the first of them ended, the account may take the seat again.
    await sql`update reservations set updated_at = now() - interval '61 minutes'
      where id = ${first.body.reservationId}`.execute(h.db);
    expect((await hold(svc.url, spinner.token, seat)).status).toBe(201);
    await svc.close();
  }, 20_000);
});
