import { randomUUID } from 'node:crypto';
import { caseSpellings } from '@tiketi/kit/testing';
import { describe, expect, it } from 'vitest';
import { bearer, onSaleEvent, reservationSuite } from './helpers.ts';

type SeatMap = { eventId: string; seats: { id: string; status: string }[] };

/** An id with letters enough for many spellings. */
function lettered(): string {
  for (;;) {
    const id = randomUUID();
    if ((id.match(/[a-f]/g)?.length ?? 0) >= 8) return id;
  }
}

describe('an event or seat id in another letter case is the same event or seat', () => {
  const event = onSaleEvent(30, { eventId: lettered(), perUserLimit: 4 });
  const seat = (i: number) => event.seats[i]!.id;
  const spellings = caseSpellings(event.eventId, 10);
  const h = reservationSuite('resv-ids', { events: [event], start: true });

  const hold = (token: string, eventId: string, seatIds: string[]) =>
    h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token),
      payload: { eventId, seatIds },
    });
  const seatMap = async (eventId: string) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/seats/event/${eventId}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as SeatMap;
  };
  const statusOf = (map: SeatMap, id: string) => map.seats.find((s) => s.id === id)?.status;
  // KEYS takes a pattern, to which the client adds no prefix: without it, every test file's keys show.
  const redisKeys = async () => (await h.redis.keys(`${h.config.REDIS_PREFIX}*`)).sort();

  it('keeps one seat map cache for every spelling, and shows a held seat as held under each of them', async () => {
    await seatMap(event.eventId);
    const keys = await redisKeys();
    // Every spelling asked before the hold: a copy per spelling would keep the seat available.
    const maps = [];
    for (const spelling of spellings) maps.push(await seatMap(spelling));
    expect(await redisKeys()).toEqual(keys);
    expect(maps.map((m) => m.eventId)).toEqual(spellings.map(() => event.eventId));

    const alice = await h.userToken();
    const res = await hold(alice.token, spellings[1] as string, [seat(0).toUpperCase()]);
    expect(res.statusCode, res.body).toBe(201);
    for (const spelling of spellings) expect(statusOf(await seatMap(spelling), seat(0))).toBe('held');
    expect((await redisKeys()).filter((k) => /[A-F]/.test(k.replace(h.config.REDIS_PREFIX, '')))).toEqual([]);
  });

  it('keeps one user within the per-user limit when ten holds arrive at once under ten spellings', async () => {
    const bob = await h.userToken();
    const results = await Promise.all(
      spellings.map((spelling, i) =>
        hold(bob.token, spelling, [caseSpellings(seat(10 + i), 2)[i % 2] as string]),
      ),
    );
    const held = results.filter((r) => r.statusCode === 201);
    expect(held).toHaveLength(4);
    for (const refused of results.filter((r) => r.statusCode !== 201)) {
      expect(refused.json(), refused.body).toMatchObject({ code: 'PER_USER_LIMIT' });
    }
    const map = await seatMap(event.eventId);
    expect(event.seats.slice(10, 20).filter((s) => statusOf(map, s.id) === 'held')).toHaveLength(4);
  });
});
