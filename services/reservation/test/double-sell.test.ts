import { deleteRedisPrefix } from '@tiketi/kit/testing';
import { describe, expect, it } from 'vitest';
import { bearer, onSaleEvent, reservationSuite } from './helpers.ts';

const REQUESTS = 200;

describe('a seat is never sold twice', () => {
  const event = onSaleEvent(60, { perUserLimit: 10 });
  const h = reservationSuite('resv-race', {
    config: { SEAT_CACHE_TTL_SECONDS: 60 },
    instances: [
      ...[1, 2, 3].map(() => ({ listen: true })),
      ...[1, 2, 3].map(() => ({ listen: true, config: { SEAT_LOCKS: false } })),
    ],
    events: [event],
  });
  const withLocks = () => h.instances.slice(0, 3);
  const withoutLocks = () => h.instances.slice(3);
  const users = Array.from({ length: REQUESTS }, () => h.user());

  async function race(instances: { url: string }[], seatIds: string[], midway?: () => Promise<void>) {
    let started = 0;
    const requests = users.map(async (user, i) => {
      const target = instances[i % instances.length]!;
      started++;
      if (midway && started === REQUESTS / 2) await midway();
      const res = await fetch(`${target.url}/api/reservations`, {
        method: 'POST',
        headers: bearer(user.token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ eventId: event.eventId, seatIds }),
      });
      return { status: res.status, body: (await res.json()) as { code?: string; seatIds?: string[] } };
    });
    return Promise.all(requests);
  }

  async function activeReservationsOf(seatId: string) {
    return h.db
      .selectFrom('reservationSeats')
      .innerJoin('reservations', 'reservations.id', 'reservationSeats.reservationId')
      .select(['reservations.id', 'reservations.status'])
      .where('reservationSeats.seatId', '=', seatId)
      .where('reservations.status', 'in', ['PENDING', 'CONFIRMED'])
      .execute();
  }

  it('lets exactly one of 200 concurrent requests through 3 instances hold the same seat', async () => {
    const seat = event.seats[0]!.id;
    const results = await race(withLocks(), [seat]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(REQUESTS - 1);
    for (const r of refused)
      expect(r).toMatchObject({ status: 409, body: { code: 'SEATS_TAKEN', seatIds: [seat] } });
    expect(await activeReservationsOf(seat)).toHaveLength(1);
  });

  it('still lets exactly one through when Redis is flushed in the middle of the run', async () => {
    const seat = event.seats[1]!.id;
    const results = await race(withLocks(), [seat], () =>
      deleteRedisPrefix(h.config.REDIS_URL, h.config.REDIS_PREFIX),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(REQUESTS - 1);
    expect(await activeReservationsOf(seat)).toHaveLength(1);
  });

  it('still lets exactly one through with the Redis lock step turned off: the database is the guard', async () => {
    const seat = event.seats[2]!.id;
    const results = await race(withoutLocks(), [seat]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(REQUESTS - 1);
    expect(await activeReservationsOf(seat)).toHaveLength(1);
  });

  it('never leaves a partial hold when multi-seat requests overlap', async () => {
    // Seats 10..19 in overlapping windows of three: [10,11,12], [11,12,13], … each by another user.
    const seats = event.seats.slice(10, 20).map((s) => s.id);
    const windows = Array.from({ length: 8 }, (_, i) => seats.slice(i, i + 3));
    const attempts = windows.flatMap((window, i) =>
      [withLocks(), withoutLocks()].map(async (instances, j) => {
        const user = users[i * 2 + j]!;
        const target = instances[(i + j) % 3]!;
        const res = await fetch(`${target.url}/api/reservations`, {
          method: 'POST',
          headers: bearer(user.token, { 'content-type': 'application/json' }),
          // Reversed order half of the time: the lock order must not depend on the caller's order.
          body: JSON.stringify({ eventId: event.eventId, seatIds: j ? [...window].reverse() : window }),
        });
        return { status: res.status, window, body: (await res.json()) as { reservationId?: string } };
      }),
    );
    const results = await Promise.all(attempts);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const winners = results.filter((r) => r.status === 201);
    expect(winners.length).toBeGreaterThan(0);

    const rows = await h.db
      .selectFrom('reservationSeats')
      .innerJoin('reservations', 'reservations.id', 'reservationSeats.reservationId')
      .select(['reservations.id', 'reservationSeats.seatId'])
      .where('reservations.eventId', '=', event.eventId)
      .where('reservationSeats.seatId', 'in', seats)
      .where('reservations.status', '=', 'PENDING')
      .execute();
    // Every winner holds its whole window, nobody else holds anything, no seat twice.
    expect(new Set(rows.map((r) => r.seatId)).size).toBe(rows.length);
    expect(rows).toHaveLength(winners.length * 3);
    for (const w of winners) {
      const mine = rows.filter((r) => r.id === w.body.reservationId).map((r) => r.seatId);
      expect(mine.sort()).toEqual([...w.window].sort());
    }
    const held = await h.db
      .selectFrom('seats')
      .select(['id', 'status', 'reservationId'])
      .where('id', 'in', seats)
      .execute();
    const heldIds = held.filter((s) => s.status === 'held').map((s) => s.id);
    expect(heldIds.sort()).toEqual(rows.map((r) => r.seatId).sort());
  });

  it('answers a losing request with only the seats that were taken', async () => {
    const [a, b] = [event.seats[30]!.id, event.seats[31]!.id];
    const [u1, u2] = await Promise.all([h.userToken(), h.userToken()]);
    const post = (token: string, seatIds: string[]) =>
      fetch(`${h.svc.url}/api/reservations`, {
        method: 'POST',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ eventId: event.eventId, seatIds }),
      });
    expect((await post(u1.token, [a])).status).toBe(201);
    const res = await post(u2.token, [a, b]);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'SEATS_TAKEN', seatIds: [a] });
    const seatB = await h.db
      .selectFrom('seats')
      .select('status')
      .where('id', '=', b)
      .executeTakeFirstOrThrow();
    expect(seatB.status).toBe('available');
  });
});
