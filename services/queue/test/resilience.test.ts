import { describe, expect, it } from 'vitest';
import {
  eventually,
  joinQueue,
  publishedEvent,
  purchase,
  queueStatus,
  queueSuite,
  serveJwks,
  spawnInstance,
  type Watcher,
} from './support.ts';

describe('waiting-room resilience', () => {
  const { config, queue, tokens, user, watch, announce } = queueSuite('queue-resilience', {
    ABANDON_GRACE_MS: 3000,
  });

  async function saleOf(maxActiveShoppers: number) {
    return (await announce(publishedEvent({ maxActiveShoppers }))).eventId;
  }
  /** Fills the only slot, so that everyone after waits. */
  async function blockedSale() {
    const eventId = await saleOf(1);
    const shopper = await user();
    await joinQueue(queue.url, shopper.token, eventId);
    await eventually(
      async () => (await queueStatus(queue.url, shopper.token, eventId)).body.state === 'admitted',
      'the first shopper to be admitted',
    );
    return { eventId, shopper };
  }
  async function abandoned(eventId: string): Promise<number> {
    const text = await (await fetch(`${queue.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('tiketi_queue_abandoned_total') && l.includes(eventId));
    return Number(line?.split(' ').at(-1) ?? 0);
  }

  it('keeps the place of a client that reconnects', async () => {
    const { eventId } = await blockedSale();
    const fan = await user();
    const joined = await joinQueue(queue.url, fan.token, eventId);
    const first = watch(queue.url, fan, eventId);
    await first.connected();
    first.close();

    const second = watch(queue.url, fan, eventId);
    await second.connected();
    expect(second.statuses[0]).toMatchObject({
      queueId: joined.body.queueId,
      number: joined.body.number,
      state: 'waiting',
      position: 1,
    });
  });

  it('drops a silent waiter after the grace period and admits the next one', async () => {
    const { eventId, shopper } = await blockedSale();
    const silent = await user();
    const present = await user();
    const gone = await joinQueue(queue.url, silent.token, eventId);
    await joinQueue(queue.url, present.token, eventId);
    const watcher = watch(queue.url, present, eventId);
    await watcher.connected();
    expect(watcher.statuses[0]?.position).toBe(2);

    await eventually(
      async () => (await abandoned(eventId)) === 1 || undefined,
      'the silent waiter to be dropped',
    );
    await purchase(queue.bus, eventId, shopper.id);
    await eventually(() => watcher.admitted[0], 'the present waiter to be admitted');
    expect(watcher.admitted[0]?.number).toBe((gone.body.number ?? 0) + 1);

    const status = await queueStatus(queue.url, silent.token, eventId);
    expect(status.status).toBe(404);
    expect(status.body.code).toBe('NOT_IN_QUEUE');
    const rejoined = await joinQueue(queue.url, silent.token, eventId);
    expect(rejoined.body.queueId).not.toBe(gone.body.queueId);
    expect(rejoined.body.number).toBeGreaterThan(watcher.admitted[0]?.number ?? 0);
  });

  it('loses no one when an instance is killed mid-run', { timeout: 90_000 }, async () => {
    const jwks = await serveJwks(tokens.jwks);
    const other = await spawnInstance(config, jwks.url);
    try {
      const cap = 10;
      const eventId = await saleOf(cap);
      const fans = await Promise.all(Array.from({ length: 40 }, user));
      const urls = [queue.url, other.url];
      const crowd: Watcher[] = [];
      for (const [i, fan] of fans.entries()) {
        await joinQueue(urls[i % 2] as string, fan.token, eventId);
        crowd.push(watch(urls[i % 2] as string, fan, eventId));
      }
      await Promise.all(crowd.map((w) => w.connected()));
      const numbers = crowd.map((w) => w.number);
      const admittedNumbers = () =>
        crowd
          .filter((w) => w.isAdmitted)
          .map((w) => w.number ?? 0)
          .toSorted((x, y) => x - y);

      await eventually(() => admittedNumbers().length === cap || undefined, 'the first shoppers');
      await other.kill();
      // Clients of the dead instance come back through the balancer, which now knows only the survivor.
      for (const [i, w] of crowd.entries()) if (i % 2 === 1) w.moveTo(queue.url);
      await Promise.all(crowd.map((w) => w.connected()));

      for (let served = cap; served < fans.length; served += cap) {
        const round = crowd.filter((w) => w.isAdmitted && (w.number ?? 0) > served - cap);
        await Promise.all(round.map((w) => purchase(queue.bus, eventId, w.userId)));
        await eventually(
          () => admittedNumbers().length === served + cap || undefined,
          `${served + cap} admissions`,
        );
        expect(admittedNumbers()).toEqual(Array.from({ length: served + cap }, (_, i) => i + 1));
      }
      expect(crowd.map((w) => w.number)).toEqual(numbers);
      for (const w of crowd) expect(w.admitted.length).toBeLessThanOrEqual(1);
    } finally {
      await other.kill();
      await jwks.close();
    }
  });
});
