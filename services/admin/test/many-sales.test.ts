import type { AdminDashboard } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorOf, type Platform, publishedEvent, startPlatform } from './platform.ts';

/*
 * A platform running more sales at once than one page of a list holds: the dashboard names each of them
 * with its seats and the day's figures, and none is left out without a word.
 */
describe('the dashboard of a platform with more sales open than one page lists', () => {
  const SALES = 105;
  let platform: Platform;
  let admin: Awaited<ReturnType<Platform['admin']>>;
  let asAdmin: { authorization: string };
  const sales: string[] = [];

  beforeAll(async () => {
    platform = await startPlatform('adm-many');
    admin = await platform.admin();
    ({ asAdmin } = await operatorOf(platform, 'operator@many.test'));
    for (let i = 0; i < SALES; i += 1) {
      sales.push(await publishedEvent(platform, asAdmin, { title: `Club Night ${i}` }));
    }
    // Analytics and the reservation service learn of each sale over RabbitMQ.
    await vi.waitFor(
      async () => {
        const res = await platform.analytics.app.inject({
          url: '/api/analytics/dashboard',
          headers: asAdmin,
        });
        const known = (res.json() as { onSale: { eventId: string }[] }).onSale.map((e) => e.eventId);
        expect(known).toEqual(expect.arrayContaining(sales));
      },
      { timeout: 60_000, interval: 250 },
    );
  }, 240_000);
  afterAll(() => platform?.close());

  it('lists every open sale with its seats and the day’s figures', async () => {
    const res = await admin.inject({ url: '/api/admin/dashboard', headers: asAdmin });
    expect(res.statusCode).toBe(200);
    const dashboard = res.json() as AdminDashboard;
    expect(dashboard.unavailable).toEqual([]);
    const listed = new Map((dashboard.onSale ?? []).map((e) => [e.eventId, e]));
    expect(sales.filter((id) => !listed.has(id))).toEqual([]);
    for (const id of sales) {
      expect(listed.get(id)).toMatchObject({ seats: { available: 10 }, today: { reservations: 0 } });
    }
  });
});
