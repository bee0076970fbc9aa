import { caseSpellings } from '@tiketi/kit/testing';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { eventually, joinQueue, publishedEvent, queueStatus, queueSuite } from './support.ts';

describe('an event id in another letter case', () => {
  const { config, queue, redis, user, watch, announce } = queueSuite('queue-ids', {
    ADMISSION_TICK_MS: 60_000,
  });

  it('reaches the event’s own waiting room: the same place for the same fan, the next number for the next', async () => {
    const sale = await announce(publishedEvent());
    const [lower, upper, mixed] = caseSpellings(sale.eventId, 3) as [string, string, string];
    const first = await user();
    const second = await user();

    const joined = await joinQueue(queue.url, first.token, lower);
    expect(joined.status).toBe(201);
    expect(joined.body.number).toBe(1);
    const again = await joinQueue(queue.url, first.token, upper);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ queueId: joined.body.queueId, number: 1, eventId: lower });

    const behind = await joinQueue(queue.url, second.token, mixed);
    expect(behind.body).toMatchObject({ number: 2, position: 2, peopleAhead: 1, eventId: lower });
    const polled = await queueStatus(queue.url, second.token, upper);
    expect(polled.body.queueId).toBe(behind.body.queueId);

    const watcher = watch(queue.url, second, upper);
    await watcher.connected();
    expect(watcher.statuses[0]).toMatchObject({ queueId: behind.body.queueId, eventId: lower });

    const keys = await redis.keys(`${config.REDIS_PREFIX}*`);
    expect(keys.filter((k) => k.includes(upper) || k.includes(mixed))).toEqual([]);
  });

  it('refuses a socket handshake whose auth holds a NUL or a lone surrogate with INVALID_TEXT', async () => {
    const fan = await user();
    for (const token of [`${fan.token}\u0000`, `${fan.token}\ud800`]) {
      const watcher = watch(queue.url, { id: fan.id, token }, uuidv7());
      await eventually(() => watcher.errors.length > 0, 'the handshake to be refused');
      expect(watcher.errors[0]).toBe('INVALID_TEXT');
      watcher.socket.disconnect();
    }
  });
});
