import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSIONS_PER_ADDRESS } from '../src/domain/tracking.ts';
import { openAnalytics, projectEvent } from './support.ts';

describe('POST /api/analytics/track', () => {
  let svc: Awaited<ReturnType<typeof openAnalytics>>;
  let app: typeof svc.app;
  let infra: typeof svc.infra;
  let redis: typeof infra.redis;
  let userToken: string;
  const artistId = randomUUID();
  const eventId = randomUUID();
  beforeAll(async () => {
    svc = await openAnalytics('anl-track', { rateLimit: 5 });
    ({ app, infra } = svc);
    redis = infra.redis;
    await projectEvent(infra.db, eventId, artistId);
    userToken = await svc.tokens.sign({ id: randomUUID() });
  });

  const track = (body: unknown, headers: Record<string, string> = {}, ip = '10.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/api/analytics/track',
      payload: body as object,
      headers,
      remoteAddress: ip,
    });

  afterAll(() => svc.close());

  it('counts views per artist and event on the Seoul day, and 23:30 UTC is already the next day', async () => {
    svc.setNow('2026-03-01T23:30:00Z');
    const a = await track({ type: 'event_view', eventId, sessionId: 'session-aaaa' });
    expect(a.statusCode).toBe(202);
    expect(a.json()).toEqual({ accepted: true, id: expect.any(String) });
    await track({ type: 'event_view', eventId, sessionId: 'session-aaaa' }, {}, '10.0.0.2');
    await track({ type: 'event_view', eventId }, { authorization: `Bearer ${userToken}` }, '10.0.0.3');
    await track(
      { type: 'page_view', artistId, path: '/artists/x', sessionId: 'session-bbbb' },
      {},
      '10.0.0.4',
    );

    expect(await redis.get(`artist:${artistId}:views:20260302`)).toBe('4');
    expect(await redis.get(`artist:${artistId}:views:20260301`)).toBeNull();
    expect(await redis.get(`event:${eventId}:views:20260302`)).toBe('3');
    expect(await redis.get('site:event_views:20260302')).toBe('3');
    expect(await redis.get('site:page_views:20260302')).toBe('1');
    // Three distinct visitors: session-aaaa (twice), the signed-in user, session-bbbb.
    expect(await redis.pfcount(`artist:${artistId}:visitors:20260302`)).toBe(3);
  });

  it('counts nothing of an id no event has: no event key in Redis, no active event, no site view', async () => {
    const madeUp = randomUUID();
    // KEYS takes no key prefix of the client's: this file's own keys are matched by its prefix.
    const prefix = svc.config.REDIS_PREFIX;
    const siteViews = async () => {
      const keys = (await redis.keys(`${prefix}site:event_views:*`)).sort();
      return Promise.all(keys.map(async (key) => [key, await redis.get(key.slice(prefix.length))]));
    };
    const before = await siteViews();
    expect(before.length).toBeGreaterThan(0);
    const view = { type: 'event_view', eventId: madeUp, sessionId: 'session-cccc' };
    expect((await track(view, {}, '10.0.0.9')).statusCode).toBe(202);
    expect(await redis.keys(`${prefix}*${madeUp}*`)).toEqual([]);
    expect(await siteViews()).toEqual(before);
    await svc.buffer.flush();
    const raw = await infra.db.selectFrom('rawEvents').select('id').where('eventId', '=', madeUp).execute();
    expect(raw).toEqual([]);
    // Nor of an artist nobody knows: a made-up artist id takes no key either.
    const ghost = randomUUID();
    const page = { type: 'page_view', artistId: ghost, path: '/artists/ghost', sessionId: 'session-dddd' };
    expect((await track(page, {}, '10.0.0.10')).statusCode).toBe(202);
    expect(await redis.keys(`${prefix}*${ghost}*`)).toEqual([]);
  });

  it('writes raw events in batches, enriched with the user, the session and the artist', async () => {
    await svc.buffer.flush();
    const rows = await infra.db
      .selectFrom('rawEvents')
      .select(['type', 'userId', 'sessionId', 'artistId', 'eventId', 'occurredAt'])
      .where('source', '=', 'client')
      .execute();
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.artistId === artistId)).toHaveLength(4);
    expect(rows.filter((r) => r.userId !== null)).toHaveLength(1);
    expect(rows.filter((r) => r.sessionId === 'session-aaaa' && r.eventId === eventId)).toHaveLength(2);
    expect(rows[0]?.occurredAt.toISOString()).toBe('2026-03-01T23:30:00.000Z');
  });

  it('counts a retried event with the same client id once', async () => {
    const id = randomUUID();
    const body = { id, type: 'seat_map_view', eventId, sessionId: 'session-cccc' };
    expect((await track(body, {}, '10.0.1.1')).statusCode).toBe(202);
    expect((await track(body, {}, '10.0.1.1')).statusCode).toBe(202);
    expect(await redis.get(`event:${eventId}:seat_map_views:20260302`)).toBe('1');
  });

  it('refuses an unknown type, a missing eventId, unknown fields and oversized values with problem+json', async () => {
    const cases = [
      [{ type: 'purchase', sessionId: 'session-dddd' }, 'body.type'],
      [{ type: 'event_view', sessionId: 'session-dddd' }, 'body.eventId'],
      [{ type: 'page_view', sessionId: 'session-dddd', admin: true }, 'body'],
      [{ type: 'page_view', sessionId: 'session-dddd', path: 'x'.repeat(600) }, 'body.path'],
      [{ type: 'page_view', sessionId: 'bad session!' }, 'body.sessionId'],
    ] as const;
    for (const [body, field] of cases) {
      const res = await track(body, {}, '10.0.2.1');
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('asks anonymous callers for a session id and refuses a forged token', async () => {
    const anonymous = await track({ type: 'page_view', path: '/' }, {}, '10.0.3.1');
    expect(anonymous.statusCode).toBe(400);
    expect(anonymous.json().errors).toEqual([{ field: 'body.sessionId', message: expect.any(String) }]);
    const forged = await track(
      { type: 'page_view', path: '/' },
      { authorization: 'Bearer nope' },
      '10.0.3.1',
    );
    expect(forged.statusCode).toBe(401);
  });

  it('rate-limits a visitor with 429 and Retry-After, and an IP rotating session ids', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await track({ type: 'search', sessionId: 'session-eeee' }, {}, '10.0.4.1')).statusCode);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    const limited = await track({ type: 'search', sessionId: 'session-eeee' }, {}, '10.0.4.2');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().code).toBe('RATE_LIMITED');

    // Five per session, twenty-five per IP: the 26th from one IP is refused whatever the session.
    const fromOneIp: number[] = [];
    for (let i = 0; i < 26; i++) {
      fromOneIp.push(
        (await track({ type: 'search', sessionId: `rotating-${i}-xx` }, {}, '10.0.5.1')).statusCode,
      );
    }
    expect(fromOneIp.filter((s) => s === 202)).toHaveLength(25);
    expect(fromOneIp.at(-1)).toBe(429);
  });
});

describe('unique visitors of anonymous sessions', () => {
  let svc: Awaited<ReturnType<typeof openAnalytics>>;
  const artistId = randomUUID();
  beforeAll(async () => {
    svc = await openAnalytics('anl-track-sessions');
    await projectEvent(svc.infra.db, randomUUID(), artistId);
    svc.setNow('2026-03-05T03:00:00Z');
  });
  afterAll(() => svc.close());

  it('counts one address minting a session per view as one visitor past a household’s worth', async () => {
    const view = (sessionId: string, ip: string) =>
      svc.app.inject({
        method: 'POST',
        url: '/api/analytics/track',
        remoteAddress: ip,
        payload: { type: 'page_view', artistId, path: '/artists/x', sessionId },
      });
    for (let i = 0; i < 60; i++) expect((await view(`minted-session-${i}`, '10.9.9.9')).statusCode).toBe(202);
    // Another address's few sessions count in full.
    for (let i = 0; i < 3; i++) expect((await view(`home-session-${i}`, '10.9.9.10')).statusCode).toBe(202);
    const { redis } = svc.infra;
    expect(await redis.get(`artist:${artistId}:views:20260305`)).toBe('63');
    // About SESSIONS_PER_ADDRESS + 1 + 3 (a HyperLogLog estimates), not 63.
    const visitors = await redis.pfcount(`artist:${artistId}:visitors:20260305`);
    expect(visitors).toBeGreaterThanOrEqual(SESSIONS_PER_ADDRESS);
    expect(visitors).toBeLessThanOrEqual(SESSIONS_PER_ADDRESS + 6);
  });
});
