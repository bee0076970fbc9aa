import type { QueueStats } from '@tiketi/contracts';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { eventually, joinQueue, publishedEvent, queueSuite } from './support.ts';

describe("the operator's read of a waiting room", () => {
  // Admission is stepped by the test, so the figures are what the steps left behind.
  const { config, queue, user: fan, announce } = queueSuite('obs-queue-stats', { ADMISSION_TICK_MS: 60_000 });
  const internal = { 'x-internal-token': config.INTERNAL_TOKEN };

  const stats = async (eventId: string, headers: Record<string, string> = internal) => {
    const res = await fetch(`${queue.url}/internal/queue/${eventId}/stats`, { headers });
    return { status: res.status, body: (await res.json()) as QueueStats & { code?: string } };
  };

  it('counts the line, the active shoppers, now serving and the settings after an admission step', async () => {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1, admissionRatePerMinute: 600 }));
    for (let i = 0; i < 3; i++)
      expect((await joinQueue(queue.url, (await fan()).token, sale.eventId)).status).toBe(201);
    // The admission bucket fills from the opening on: step until its first token admits someone.
    await eventually(async () => {
      await queue.service.step();
      return (await stats(sale.eventId)).body.activeShoppers === 1 || undefined;
    }, 'the first admission');

    const { status, body } = await stats(sale.eventId);
    expect(status).toBe(200);
    expect(body).toEqual({
      eventId: sale.eventId,
      live: true,
      opened: true,
      waiting: 2,
      activeShoppers: 1,
      peakActiveShoppers: 1,
      nowServing: 1,
      admissionsPerMinute: expect.any(Number),
      settings: {
        enabled: true,
        admissionRatePerMinute: 600,
        maxActiveShoppers: 1,
        opensAt: sale.saleOpensAt,
        closesAt: sale.saleClosesAt,
        status: 'on_sale',
      },
    });

    // The gauges Prometheus scrapes say the same, under the names deploy/monitoring queries.
    const exposition = await (await fetch(`${queue.url}/metrics`)).text();
    const sample = (name: string) =>
      exposition
        .split('\n')
        .find((line) => line.startsWith(`${name}{`) && line.includes(`event_id="${sale.eventId}"`))
        ?.split(' ')
        .at(-1);
    expect(sample('tiketi_queue_waiting')).toBe('2');
    expect(sample('tiketi_queue_active_shoppers')).toBe('1');
    expect(sample('tiketi_queue_admitted_total')).toBe('1');
  });

  it('answers an empty room without settings for an event it has not heard of', async () => {
    const eventId = uuidv7();
    expect((await stats(eventId)).body).toEqual({
      eventId,
      live: false,
      opened: false,
      waiting: 0,
      activeShoppers: 0,
      peakActiveShoppers: 0,
      nowServing: 0,
      admissionsPerMinute: 0,
      settings: null,
    });
  });

  it('is internal: refused without the service token, and for an id that is not a UUID', async () => {
    const user = await fan();
    const refused = await stats(uuidv7(), { authorization: `Bearer ${user.token}` });
    expect(refused.status).toBe(403);
    expect((await stats('not-an-id')).status).toBe(400);
  });
});
