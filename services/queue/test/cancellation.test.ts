import { describe, expect, it } from 'vitest';
import {
  eventually,
  type Instance,
  joinQueue,
  publish,
  publishedEvent,
  queueStatus,
  queueSuite,
} from './support.ts';

describe('a cancelled event’s waiting room', () => {
  // Nobody is admitted while the test runs: everyone stays in line until the cancellation.
  // Two instances: the one that consumes the cancellation is not the only one with waiters.
  const { instances, redis, user, watch, announce } = queueSuite(
    'queue-cancel',
    { ADMISSION_TICK_MS: 60_000 },
    { instances: 2 },
  );
  const [one, two] = instances as [Instance, Instance];

  async function waitingIn(eventId: string, url: string) {
    const fan = await user();
    expect((await joinQueue(url, fan.token, eventId)).status).toBe(201);
    const watcher = watch(url, fan, eventId);
    await watcher.connected();
    return { fan, watcher };
  }
  async function saleOf() {
    return (await announce(publishedEvent({ maxActiveShoppers: 1 }))).eventId;
  }

  it('tells every waiter of the event, on every instance, and no waiter of another event', async () => {
    const doomed = await saleOf();
    const other = await saleOf();
    const here = await waitingIn(doomed, one.url);
    const there = await waitingIn(doomed, two.url);
    const elsewhere = await waitingIn(other, two.url);

    await publish(one.bus, 'event.cancelled', { eventId: doomed, reason: 'The artist is ill' });
    await eventually(
      () => here.watcher.cancelled.length > 0 && there.watcher.cancelled.length > 0,
      'both waiters to be told',
    );
    expect(here.watcher.cancelled).toEqual([{ eventId: doomed, reason: 'The artist is ill' }]);
    expect(there.watcher.cancelled).toEqual([{ eventId: doomed, reason: 'The artist is ill' }]);
    // The other room keeps its line.
    expect(elsewhere.watcher.cancelled).toEqual([]);
    expect((await queueStatus(two.url, elsewhere.fan.token, other)).status).toBe(200);
  });

  it('answers join, status and a new connection with 409 EVENT_CANCELLED', async () => {
    const eventId = await saleOf();
    const { fan } = await waitingIn(eventId, one.url);
    await publish(one.bus, 'event.cancelled', { eventId, reason: 'Venue closed' });
    await eventually(
      async () => (await redis.hget(`queue:{${eventId}}:settings`, 'status')) === 'cancelled',
      'the cancellation',
    );

    const status = await fetch(`${two.url}/api/queue/${eventId}/status`, {
      headers: { authorization: `Bearer ${fan.token}` },
    });
    expect(status.status).toBe(409);
    expect(status.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await status.json()).toMatchObject({ status: 409, code: 'EVENT_CANCELLED' });

    const newcomer = await user();
    for (const who of [fan, newcomer]) {
      const join = await joinQueue(one.url, who.token, eventId);
      expect(join.status).toBe(409);
      expect(join.body.code).toBe('EVENT_CANCELLED');
    }

    const late = watch(two.url, fan, eventId);
    await eventually(() => late.errors.length > 0, 'the connection to be refused');
    expect(late.errors[0]).toBe('EVENT_CANCELLED');
    expect(late.socket.connected).toBe(false);
  });
});
