import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { eventually, joinQueue, publishedEvent, queueSuite, type Watcher } from './support.ts';

describe('the waiting room through the gateway', () => {
  const { gateway, user, watch, announce } = queueSuite('queue-gateway', {}, { gateway: true });

  it('joins over HTTP and follows the line to admission over the websocket', async () => {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1 }));
    const watchers: Watcher[] = [];
    for (const fan of await Promise.all([user(), user()])) {
      const joined = await joinQueue(gateway.url, fan.token, sale.eventId);
      expect(joined.status).toBe(201);
      watchers.push(watch(gateway.url, fan, sale.eventId));
    }
    const [first, second] = watchers as [Watcher, Watcher];
    await Promise.all(watchers.map((w) => w.connected()));
    await eventually(() => first.isAdmitted || undefined, 'the first fan to be admitted');
    // The admission and the line's next position are separate pushes; the second fan's may come a tick later.
    await eventually(() => second.positions.at(-1) === 1 || undefined, 'the second fan to move to the front');
    expect(second.isAdmitted).toBe(false);
  });

  it('refuses a websocket without a valid access token', async () => {
    const refused = watch(gateway.url, { id: uuidv7(), token: 'not-a-token' }, uuidv7());
    await eventually(() => refused.errors[0], 'the handshake to be refused');
    expect(refused.errors[0]).toBe('UNAUTHORIZED');
  });
});
