import { QUEUE_ETA_LIMIT_SECONDS } from '@tiketi/contracts';
import { verifyAdmissionToken } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  eventually,
  joinQueue,
  publish,
  publishedEvent,
  purchase,
  queueStatus,
  queueSuite,
  type SaleOptions,
} from './support.ts';

describe('joining the waiting room', () => {
  // The admission timer is slowed down so that each test steps admission itself.
  const { config, queue, redis, user, announce } = queueSuite('queue-join', { ADMISSION_TICK_MS: 60_000 });
  const redisSettings = (eventId: string) => `queue:{${eventId}}:settings`;
  const saleOf = (options: SaleOptions = {}) => announce(publishedEvent(options));

  it('gives a new arrival after the opening the next number, and the same place when joining again', async () => {
    const sale = await saleOf();
    const first = await user();
    const second = await user();

    const joined = await joinQueue(queue.url, first.token, sale.eventId);
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ state: 'waiting', number: 1, position: 1, peopleAhead: 0 });

    const again = await joinQueue(queue.url, first.token, sale.eventId);
    expect(again.status).toBe(200);
    expect(again.body.queueId).toBe(joined.body.queueId);
    expect(again.body.number).toBe(1);

    const behind = await joinQueue(queue.url, second.token, sale.eventId);
    expect(behind.body).toMatchObject({ number: 2, position: 2, peopleAhead: 1 });
    expect(behind.body.etaSeconds).toBeGreaterThanOrEqual(0);

    const polled = await queueStatus(queue.url, second.token, sale.eventId);
    expect(polled.status).toBe(200);
    expect(polled.body.queueId).toBe(behind.body.queueId);
  });

  it('keeps arrivals before the opening unnumbered until the draw, then numbers them all', async () => {
    const sale = await saleOf({ opensAt: new Date(Date.now() + 3_600_000) });
    const early = await Promise.all([user(), user(), user()]);
    for (const u of early) {
      const joined = await joinQueue(queue.url, u.token, sale.eventId);
      expect(joined.body).toMatchObject({ state: 'waiting', number: null, position: null });
      expect(joined.body.etaSeconds).toBeGreaterThan(3000);
    }
    await publish(queue.bus, 'event.updated', {
      eventId: sale.eventId,
      status: 'on_sale',
      saleOpensAt: new Date().toISOString(),
      saleClosesAt: sale.saleClosesAt,
      perUserLimit: 4,
      waitingRoom: sale.waitingRoom,
    });
    await eventually(async () => {
      const opensAt = Number(await redis.hget(redisSettings(sale.eventId), 'opensAt'));
      return opensAt <= Date.now() || undefined;
    }, 'the new opening time');
    const numbers = await Promise.all(
      early.map(async (u) => (await queueStatus(queue.url, u.token, sale.eventId)).body.number),
    );
    expect(numbers.toSorted()).toEqual([1, 2, 3]);
    const late = await user();
    expect((await joinQueue(queue.url, late.token, sale.eventId)).body.number).toBe(4);
  });

  it('counts down to an opening days away within the estimate’s bound, saying it is beyond it', async () => {
    const sale = await saleOf({ opensAt: new Date(Date.now() + 2 * 86_400_000) });
    const fan = await user();
    const joined = await joinQueue(queue.url, fan.token, sale.eventId);
    expect(joined.body).toMatchObject({
      state: 'waiting',
      number: null,
      etaSeconds: QUEUE_ETA_LIMIT_SECONDS,
      etaBeyondLimit: true,
      opensAt: sale.saleOpensAt,
    });
  });

  it('admits up to the cap, with a token bound to the user and the event, and frees the slot on purchase', async () => {
    const sale = await saleOf({ maxActiveShoppers: 1 });
    const [a, b] = [await user(), await user()];
    await joinQueue(queue.url, a.token, sale.eventId);
    await joinQueue(queue.url, b.token, sale.eventId);

    await queue.service.step();
    const admitted = (await queueStatus(queue.url, a.token, sale.eventId)).body;
    expect(admitted).toMatchObject({ state: 'admitted', position: 0 });
    const token = admitted.admissionToken as string;
    await expect(
      verifyAdmissionToken(config.QUEUE_TOKEN_SECRET, token, a.id, sale.eventId),
    ).resolves.toMatchObject({ userId: a.id, eventId: sale.eventId });
    await expect(verifyAdmissionToken(config.QUEUE_TOKEN_SECRET, token, b.id, sale.eventId)).rejects.toThrow(
      /not for this user and event/,
    );
    await expect(verifyAdmissionToken(config.QUEUE_TOKEN_SECRET, token, a.id, uuidv7())).rejects.toThrow(
      /not for this user and event/,
    );
    await expect(verifyAdmissionToken('another-secret', token, a.id, sale.eventId)).rejects.toThrow();

    await queue.service.step();
    expect((await queueStatus(queue.url, b.token, sale.eventId)).body).toMatchObject({
      state: 'waiting',
      position: 1,
    });

    await purchase(queue.bus, sale.eventId, a.id);
    await eventually(async () => {
      await queue.service.step();
      return (await queueStatus(queue.url, b.token, sale.eventId)).body.state === 'admitted';
    }, 'the next shopper to be admitted');
    expect((await queueStatus(queue.url, a.token, sale.eventId)).status).toBe(404);
  });

  it('refuses to queue for an event without a waiting room, or a cancelled one', async () => {
    const open = await saleOf({ enabled: false });
    const u = await user();
    const off = await joinQueue(queue.url, u.token, open.eventId);
    expect(off.status).toBe(409);
    expect(off.body.code).toBe('WAITING_ROOM_OFF');

    const sale = await saleOf();
    await publish(queue.bus, 'event.cancelled', { eventId: sale.eventId, reason: 'artist ill' });
    await eventually(
      async () => (await redis.hget(redisSettings(sale.eventId), 'status')) === 'cancelled',
      'the cancellation',
    );
    const refused = await joinQueue(queue.url, u.token, sale.eventId);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('EVENT_CANCELLED');
  });

  it('ignores a settings change older than the one it already applied', async () => {
    const sale = await saleOf({ admissionRatePerMinute: 600 });
    const newer = new Date(Date.now() + 1000).toISOString();
    const older = new Date(Date.now() - 1000).toISOString();
    const update = (rate: number) => ({
      eventId: sale.eventId,
      status: 'on_sale' as const,
      saleOpensAt: sale.saleOpensAt,
      saleClosesAt: sale.saleClosesAt,
      perUserLimit: 4,
      waitingRoom: { enabled: true, admissionRatePerMinute: rate, maxActiveShoppers: 10 },
    });
    const { makeEnvelope } = await import('@tiketi/kit');
    const later = { ...makeEnvelope('event.updated', update(1200)), occurredAt: newer };
    const earlier = { ...makeEnvelope('event.updated', update(30)), occurredAt: older };
    await queue.bus.publish(later);
    await queue.bus.publish(earlier);
    await eventually(
      async () => (await redis.hget(redisSettings(sale.eventId), 'ratePerMinute')) === '1200',
      'the newer rate',
    );
    // A third, later change shows the older one has been handled (same queue, in order) and lost.
    await publish(queue.bus, 'event.updated', { ...update(1200), perUserLimit: 2 });
    await eventually(
      async () => Number(await redis.hget(redisSettings(sale.eventId), 'stamp')) > Date.parse(newer) - 1,
      'the last change',
    );
    expect(await redis.hget(redisSettings(sale.eventId), 'ratePerMinute')).toBe('1200');
  });

  it('answers problems for bad input and strangers', async () => {
    const sale = await saleOf();
    const u = await user();
    expect((await fetch(`${queue.url}/api/queue/${sale.eventId}/join`, { method: 'POST' })).status).toBe(401);
    const bad = await joinQueue(queue.url, u.token, 'not-a-uuid');
    expect(bad.status).toBe(400);
    const stranger = await queueStatus(queue.url, u.token, sale.eventId);
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('NOT_IN_QUEUE');
  });
});
