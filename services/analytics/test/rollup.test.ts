import { randomUUID } from 'node:crypto';
import { sql } from '@tiketi/kit';
import { testLogger } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statsRepository } from '../src/db/stats.repository.ts';
import { parseHourField } from '../src/domain/counters.ts';
import { rollupJob } from '../src/domain/rollup.ts';
import { openAnalytics, projectEvent } from './support.ts';

describe('hourly rollup into the stats tables', () => {
  let svc: Awaited<ReturnType<typeof openAnalytics>>;
  let app: typeof svc.app;
  let infra: typeof svc.infra;
  let counters: typeof svc.counters;
  let db: typeof infra.db;
  let admin: string;
  let fan: string;
  const artistId = randomUUID();
  const eventId = randomUUID();
  beforeAll(async () => {
    svc = await openAnalytics('anl-rollup');
    ({ app, infra, counters } = svc);
    db = infra.db;
    admin = await svc.tokens.sign({ id: randomUUID(), role: 'admin' });
    fan = await svc.tokens.sign({ id: randomUUID() });
    // The artist analytics knows of, through one of their events.
    await projectEvent(db, eventId, artistId);
  });

  const view = (sessionId: string) =>
    app.inject({
      method: 'POST',
      url: '/api/analytics/track',
      payload: { type: 'page_view', artistId, path: `/artists/${artistId}`, sessionId },
    });
  const sale = (amount: number, at: string) =>
    counters.record({
      id: randomUUID(),
      at: new Date(at),
      increments: [
        { metric: 'revenue', dimension: 'site', amount },
        { metric: 'orders', dimension: 'site', amount: 1 },
        { metric: 'orders', dimension: `event:${eventId}`, amount: 1 },
      ],
      activeEventId: eventId,
    });
  const query = (url: string, token = admin) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const table = async (name: 'hourlyStats' | 'dailyStats' | 'monthlyStats') =>
    db.selectFrom(name).select(['metric', 'dimension', 'value']).where('dimension', '=', 'site').execute();
  const job = (clock: () => Date) =>
    rollupJob({ db, counters, stats: statsRepository(db), clock, logger: testLogger() });

  afterAll(() => svc.close());

  it('moves finished hours into hourly, daily and monthly stats with exact numbers, once', async () => {
    // 2026-05-10 in Seoul: views in its 10:00 and 11:00 hours, sales at 10:15 and 11:40 KST.
    svc.setNow('2026-05-10T01:05:00Z');
    for (const s of ['sess-0001', 'sess-0002', 'sess-0001']) expect((await view(s)).statusCode).toBe(202);
    await sale(50_000, '2026-05-10T01:15:00Z');
    svc.setNow('2026-05-10T02:30:00Z');
    await view('sess-0003');
    await sale(70_000, '2026-05-10T02:40:00Z');

    // At 11:50 KST only the 10:00 hour is finished; the current hour stays in Redis.
    const first = await job(() => new Date('2026-05-10T02:50:00Z')).run();
    expect(first).toMatchObject({ ran: true, batchesApplied: 1 });
    const hourly = await db
      .selectFrom('hourlyStats')
      .select(['metric', 'dimension', 'value', 'hour'])
      .where('dimension', 'in', ['site', `artist:${artistId}`])
      .orderBy('metric')
      .execute();
    expect(hourly.map((r) => [r.metric, r.dimension, r.value, r.hour.toISOString()])).toEqual([
      ['orders', 'site', 1, '2026-05-10T01:00:00.000Z'],
      ['page_views', 'site', 3, '2026-05-10T01:00:00.000Z'],
      ['revenue', 'site', 50_000, '2026-05-10T01:00:00.000Z'],
      ['views', `artist:${artistId}`, 3, '2026-05-10T01:00:00.000Z'],
    ]);

    // The next hour, twice in a row and from two instances at once: nothing counts twice.
    const later = () => new Date('2026-05-10T04:00:00Z');
    await Promise.all([job(later).run(), job(later).run()]);
    await job(later).run();
    const daily = await db
      .selectFrom('dailyStats')
      .select(['metric', 'value'])
      .where('dimension', '=', 'site')
      .where('day', '=', '2026-05-10')
      .orderBy('metric')
      .execute();
    expect(daily).toEqual([
      { metric: 'orders', value: 2 },
      { metric: 'page_views', value: 4 },
      { metric: 'revenue', value: 120_000 },
    ]);
    const monthly = await table('monthlyStats');
    expect(monthly.find((r) => r.metric === 'revenue')?.value).toBe(120_000);
    expect((await table('hourlyStats')).filter((r) => r.metric === 'revenue').map((r) => r.value)).toEqual([
      50_000, 70_000,
    ]);
    expect(await infra.redis.smembers('hours')).toEqual([]);
    // The live day counters are still there for today's dashboard.
    expect(await infra.redis.get('revenue:20260510:total')).toBe('120000');
    expect(await infra.redis.get(`artist:${artistId}:views:20260510`)).toBe('4');
  });

  it('applies a staging batch left by a crash after its commit exactly once, and late increments once more', async () => {
    await sale(5_000, '2026-05-10T05:10:00Z');
    // A run that committed the batch and died before deleting its staging key.
    const batch = await counters.stageHour('2026051005', 'crashed-run');
    expect(batch).toBeDefined();
    const [staged] = await counters.stagedBatches();
    const apply = () =>
      statsRepository(db).applyBatch(
        staged?.name ?? '',
        { hour: new Date('2026-05-10T05:00:00Z'), day: '2026-05-10', month: '2026-05-01' },
        Object.entries(staged?.fields ?? {}).map(([field, value]) => ({
          ...(parseHourField(field) as { metric: string; dimension: string }),
          value: Number(value),
        })),
      );
    // Without the job's lock, two appliers racing on one batch still apply it once.
    expect((await Promise.all([apply(), apply()])).sort()).toEqual([false, true]);
    // A late increment for an hour already flushed.
    await sale(1_000, '2026-05-10T01:20:00Z');
    const result = await job(() => new Date('2026-05-10T07:00:00Z')).run();
    expect(result.batchesApplied).toBe(1);
    const revenue = await db
      .selectFrom('dailyStats')
      .select('value')
      .where('metric', '=', 'revenue')
      .where('dimension', '=', 'site')
      .where('day', '=', '2026-05-10')
      .executeTakeFirstOrThrow();
    expect(revenue.value).toBe(126_000);
    expect(await counters.stagedBatches()).toEqual([]);
  });

  it('answers the seed shapes from the stats tables once the day is no longer live', async () => {
    // Two days later the day's HyperLogLog has been snapshotted and dropped by the job.
    svc.setNow('2026-05-12T03:00:00Z');
    await job(() => new Date('2026-05-12T03:00:00Z')).run();
    expect(await infra.redis.exists(`artist:${artistId}:visitors:20260510`)).toBe(0);
    // The job prepared the month's raw-event partition and moved the month's rows into it.
    await svc.buffer.flush();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from raw_events_202605`.execute(db);
    expect(rows[0]?.n).toBe(4);

    const traffic = await query(`/api/analytics/artist/${artistId}/traffic?start=2026-05-09&end=2026-05-11`);
    expect(traffic.statusCode).toBe(200);
    expect(traffic.json()).toEqual([
      { date: '2026-05-09', pageViews: 0, uniqueVisitors: 0 },
      { date: '2026-05-10', pageViews: 4, uniqueVisitors: 3 },
      { date: '2026-05-11', pageViews: 0, uniqueVisitors: 0 },
    ]);
    const daily = await query('/api/analytics/revenue/daily?start=2026-05-10&end=2026-05-10');
    expect(daily.json()).toEqual([
      { date: '2026-05-10', revenue: 126_000, orders: 4, refunds: 0, refundedAmount: 0 },
    ]);
    const monthly = await query('/api/analytics/revenue/monthly?start=2026-04&end=2026-05');
    expect(monthly.json()).toEqual([
      { month: '2026-04', revenue: 0, orders: 0, refunds: 0, refundedAmount: 0 },
      { month: '2026-05', revenue: 126_000, orders: 4, refunds: 0, refundedAmount: 0 },
    ]);
  });

  it('refuses non-admins and bad ranges', async () => {
    const urls = [
      `/api/analytics/artist/${artistId}/traffic`,
      '/api/analytics/revenue/daily',
      '/api/analytics/revenue/monthly',
      '/api/analytics/dashboard',
    ];
    for (const url of urls) {
      expect((await query(url, fan)).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
    const reversed = await query('/api/analytics/revenue/daily?start=2026-05-10&end=2026-05-01');
    expect(reversed.statusCode).toBe(400);
    expect((await query('/api/analytics/revenue/monthly?start=2026-13')).statusCode).toBe(400);
    // Ranges at the ends of the calendar: measured before a day is listed, never walked past year 9999.
    for (const url of [
      '/api/analytics/revenue/daily?start=0001-01-01&end=9999-12-31',
      `/api/analytics/artist/${artistId}/traffic?start=0001-01-01&end=9998-12-31`,
      '/api/analytics/revenue/monthly?start=0001-01&end=9999-12',
    ]) {
      const wide = await query(url);
      expect(wide.statusCode).toBe(400);
      expect(wide.json<{ detail: string }>().detail).toMatch(/A range spans at most (366 days|36 months)/);
    }
    const lastDay = await query('/api/analytics/revenue/daily?start=9999-12-31&end=9999-12-31');
    expect(lastDay.statusCode).toBe(200);
    expect(lastDay.json()).toEqual([
      { date: '9999-12-31', revenue: 0, orders: 0, refunds: 0, refundedAmount: 0 },
    ]);
    expect((await query('/api/analytics/artist/not-a-uuid/traffic')).statusCode).toBe(400);
  });
});
