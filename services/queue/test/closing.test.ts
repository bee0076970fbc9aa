import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  eventually,
  joinQueue,
  publish,
  publishedEvent,
  purchase,
  queueStatus,
  queueSuite,
} from './support.ts';

describe('a waiting room whose line leads nowhere any more', () => {
  // Each test steps admission itself.
  const { queue, redis, user, watch, announce } = queueSuite('queue-closing', { ADMISSION_TICK_MS: 60_000 });

  it('admits nobody once the sale has closed, and tells the line so', async () => {
    const closesAt = new Date(Date.now() + 2000);
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1, closesAt }));
    const [shopper, next] = [await user(), await user()];
    await joinQueue(queue.url, shopper.token, sale.eventId);
    await joinQueue(queue.url, next.token, sale.eventId);
    await queue.service.step();
    expect((await queueStatus(queue.url, shopper.token, sale.eventId)).body.state).toBe('admitted');
    const watcher = watch(queue.url, next, sale.eventId);
    await watcher.connected();

    await sleep(Math.max(0, closesAt.getTime() - Date.now()) + 100);
    // The shopper's slot frees after the close: it goes to nobody.
    await purchase(queue.bus, sale.eventId, shopper.id);
    await eventually(
      async () => (await redis.zcard(`queue:{${sale.eventId}}:active`)) === 0 || undefined,
      'the slot to be freed',
    );
    await queue.service.step();
    await eventually(() => watcher.closed.length > 0 || undefined, 'the line to be told');
    expect(watcher.closed).toEqual([
      { eventId: sale.eventId, code: 'SALE_CLOSED', detail: expect.stringContaining('has closed') },
    ]);
    expect(watcher.admitted).toEqual([]);
    const status = await queueStatus(queue.url, next.token, sale.eventId);
    expect(status.status).toBe(409);
    expect(status.body).toMatchObject({ code: 'SALE_CLOSED' });
    // Told once, however many steps follow.
    await queue.service.step();
    await sleep(200);
    expect(watcher.closed).toHaveLength(1);
  });

  it('tells the line at once when the operator switches the room off, and sends it to the seat map', async () => {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1 }));
    const fans = [await user(), await user()];
    for (const fan of fans) await joinQueue(queue.url, fan.token, sale.eventId);
    const watcher = watch(queue.url, fans[1] as (typeof fans)[number], sale.eventId);
    await watcher.connected();

    await publish(queue.bus, 'event.updated', {
      eventId: sale.eventId,
      status: 'on_sale',
      saleOpensAt: sale.saleOpensAt,
      saleClosesAt: sale.saleClosesAt,
      perUserLimit: 4,
      waitingRoom: { ...sale.waitingRoom, enabled: false },
    });
    await eventually(() => watcher.closed.length > 0 || undefined, 'the line to be told');
    expect(watcher.closed).toEqual([
      { eventId: sale.eventId, code: 'WAITING_ROOM_OFF', detail: expect.stringContaining('seat map') },
    ]);
    const status = await queueStatus(queue.url, (fans[1] as (typeof fans)[number]).token, sale.eventId);
    expect(status.status).toBe(409);
    expect(status.body).toMatchObject({ code: 'WAITING_ROOM_OFF' });
  });
});
