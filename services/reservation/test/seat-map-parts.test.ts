import { randomUUID } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  joinSeatMap,
  type SeatAvailabilityDto,
  type SeatLayoutDto,
  type SeatMapDto,
  seatAvailabilityDto,
  seatLayoutDto,
  seatMapDto,
} from '@tiketi/contracts';
import { sql } from '@tiketi/kit';
import { testLogger } from '@tiketi/kit/testing';
import { describe, expect, it } from 'vitest';
import { seatCache, seatCacheKeys } from '../src/cache/seat-cache.ts';
import {
  bearer,
  deliver,
  documentedStatuses,
  eventually,
  onSaleEvent,
  published,
  reservationSuite,
} from './helpers.ts';

type Answer = { rawPayload: Buffer; headers: Record<string, unknown> };

/** The body of an answer as JSON, whatever coding it came in. */
function bodyOf<T>(res: Answer): T {
  const raw = res.rawPayload;
  const coding = res.headers['content-encoding'];
  const plain = coding === 'br' ? brotliDecompressSync(raw) : coding === 'gzip' ? gunzipSync(raw) : raw;
  return JSON.parse(plain.toString('utf8')) as T;
}

/** Forty seats in two sections, so that runs and order per section count. */
function twoSectionEvent() {
  const event = onSaleEvent(40);
  event.seats = event.seats.map((s, i) => (i >= 20 ? { ...s, section: 'B', label: `B-${i - 19}` } : s));
  return event;
}

describe('the seat map in two parts: an immutable layout and a compact availability', () => {
  const event = twoSectionEvent();
  const seat = (i: number) => event.seats[i]!.id;
  const h = reservationSuite('resv-parts', {
    config: { SWEEP_INTERVAL_MS: 200 },
    events: [event],
    start: true,
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url, headers });
  const availability = async (headers: Record<string, string> = {}, eventId = event.eventId) => {
    const res = await get(`/api/seats/event/${eventId}/availability`, headers);
    expect(res.statusCode, res.body).toBe(200);
    return { res, body: seatAvailabilityDto.parse(bodyOf<SeatAvailabilityDto>(res)) };
  };
  const layout = async (version: string, eventId = event.eventId) => {
    const res = await get(`/api/seats/event/${eventId}/layout/${version}`);
    expect(res.statusCode, res.body).toBe(200);
    return { res, body: seatLayoutDto.parse(bodyOf<SeatLayoutDto>(res)) };
  };
  const statusOf = async (seatId: string) => {
    const { body } = await availability();
    const map = joinSeatMap((await layout(body.layoutVersion)).body, body);
    return map.find((s) => s.id === seatId)?.status;
  };
  const hold = async (seatIds: string[]) => {
    const fan = await h.userToken();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(fan.token),
      payload: { eventId: event.eventId, seatIds },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { reservationId: string }).reservationId;
  };

  it('gives, joined, exactly the seats of the full map with their places, prices and statuses', async () => {
    // An event of its own: the other tests hold seats of the shared one.
    const untouched = twoSectionEvent();
    await deliver(h.svc, published(untouched));
    const { res, body } = await availability({}, untouched.eventId);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    expect(body.counts).toEqual({ available: 40, held: 0, sold: 0 });
    expect(body.sections).toEqual([
      { name: 'A', runs: '20a' },
      { name: 'B', runs: '20a' },
    ]);
    const joined = joinSeatMap((await layout(body.layoutVersion, untouched.eventId)).body, body);
    const full = (await get(`/api/seats/event/${untouched.eventId}`)).json() as { seats: object[] };
    const byId = (seats: { id: string }[]) => [...seats].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(joined)).toEqual(byId(full.seats as { id: string }[]));
  });

  it('serves a layout version as immutable, the same after holds, and refuses a version that is not the event’s', async () => {
    const { body: before } = await availability();
    const first = await layout(before.layoutVersion);
    expect(first.res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    await hold([seat(30)]);
    const { body: after } = await availability();
    expect(after.layoutVersion).toBe(before.layoutVersion);
    const second = await layout(after.layoutVersion);
    expect(second.res.headers.etag).toBe(first.res.headers.etag);
    expect(second.body).toEqual(first.body);

    const other = await get(`/api/seats/event/${event.eventId}/layout/not-this-one`);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'SEAT_LAYOUT_NOT_FOUND' });
    expect(await documentedStatuses(h.app, '/api/seats/event/{eventId}/layout/{version}')).toContain('404');
    const bad = await get(`/api/seats/event/${event.eventId}/layout/${'x'.repeat(65)}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('answers 304 to the ETag it gave until a seat changes, then the new statuses with a new ETag', async () => {
    const { res: first, body: before } = await availability();
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"/);
    const same = await get(`/api/seats/event/${event.eventId}/availability`, { 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    expect(await documentedStatuses(h.app, '/api/seats/event/{eventId}/availability')).toContain('304');
    expect(same.rawPayload).toHaveLength(0);
    expect(same.headers.etag).toBe(etag);

    await hold([seat(0), seat(1)]);
    const changed = await get(`/api/seats/event/${event.eventId}/availability`, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    const body = bodyOf<SeatAvailabilityDto>(changed);
    expect(body.sections[0]?.runs).toBe('2h18a');
    expect(body.counts.held).toBe(before.counts.held + 2);
    expect(await statusOf(seat(0))).toBe('held');
  });

  it('shows an expired hold available again', async () => {
    const reservationId = await hold([seat(5)]);
    expect(await statusOf(seat(5))).toBe('held');
    await sql`update reservations set expires_at = now() - interval '1 second' where id = ${reservationId}`.execute(
      h.db,
    );
    await eventually(async () => expect(await statusOf(seat(5))).toBe('available'));
  });

  it('answers in the coding asked for, and plain to a caller that asked for none', async () => {
    const plain = await availability();
    expect(plain.res.headers['content-encoding']).toBeUndefined();
    expect(plain.res.headers.vary).toMatch(/accept-encoding/i);
    const br = await availability({ 'accept-encoding': 'gzip, deflate, br' });
    expect(br.res.headers['content-encoding']).toBe('br');
    expect(br.body).toEqual(plain.body);
    expect(br.res.headers.etag).toBe(plain.res.headers.etag);
    const gzip = await availability({ 'accept-encoding': 'br;q=0, gzip' });
    expect(gzip.res.headers['content-encoding']).toBe('gzip');
    expect(gzip.body).toEqual(plain.body);
    const identity = await availability({ 'accept-encoding': 'identity' });
    expect(identity.res.headers['content-encoding']).toBeUndefined();
  });

  it('rebuilds both parts when the Redis copy is gone, with the same layout version', async () => {
    const { body: before } = await availability();
    await h.redis.del(seatCacheKeys.states(event.eventId), seatCacheKeys.layout(event.eventId));
    const { body: after } = await availability();
    expect(after).toEqual(before);
  });

  it('serves the whole map once serialised: an ETag, 304 until a seat changes, the coding asked for', async () => {
    const url = `/api/seats/event/${event.eventId}`;
    // A crowd asking at once gets one and the same answer.
    const crowd = await Promise.all(Array.from({ length: 8 }, () => get(url, { 'accept-encoding': 'br' })));
    for (const res of crowd) expect(res.statusCode, res.body).toBe(200);
    const etag = crowd[0]?.headers.etag as string;
    expect(etag).toMatch(/^"/);
    expect(new Set(crowd.map((res) => res.headers.etag))).toEqual(new Set([etag]));
    expect(crowd[0]?.headers['content-encoding']).toBe('br');
    const map = seatMapDto.parse(bodyOf<SeatMapDto>(crowd[0] as Answer));
    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.json()).toEqual(map);
    expect(Object.keys(map.seats[0] ?? {})).not.toContain('version');

    const same = await get(url, { 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    await hold([seat(12)]);
    const changed = await get(url, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    const after = seatMapDto.parse(changed.json());
    expect(after.seats.find((s) => s.id === seat(12))?.status).toBe('held');
    expect(after.counts.held).toBe(map.counts.held + 1);
  });

  it('keeps the seat cache of a 60,000-seat event, as it does a small one', async () => {
    const cache = seatCache(h.redis, { ttlSeconds: 60, logger: testLogger() });
    const eventId = randomUUID();
    const tierId = randomUUID();
    const seats = Array.from({ length: 60_000 }, (_, i) => ({
      id: randomUUID(),
      label: `A-${i + 1}`,
      section: 'A',
      row: String(Math.floor(i / 100)),
      number: (i % 100) + 1,
      x: i % 100,
      y: Math.floor(i / 100),
      tierId,
      price: 50_000,
      status: i === 7 ? ('held' as const) : ('available' as const),
      version: 1,
    }));
    await cache.store(eventId, seats);
    expect(await cache.head(eventId)).toBeDefined();
    const read = await cache.read(eventId);
    expect(read).toHaveLength(60_000);
    expect(read?.[7]?.status).toBe('held');
  });
});
