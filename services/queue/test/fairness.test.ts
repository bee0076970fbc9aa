import { describe, expect, it } from 'vitest';
import {
  eventually,
  joinQueue,
  publish,
  publishedEvent,
  purchase,
  queueSuite,
  type Watcher,
} from './support.ts';

const EARLY = 600;
const LATE = 400;
const CAP = 100;
const WAVE = 25;

describe('a ticket drop with 1,000 socket clients on two instances', () => {
  // A thousand fans connect from this one machine: the per-address socket cap is for one real client.
  const {
    instances,
    queue: a,
    redis,
    user,
    watch,
    announce,
  } = queueSuite('queue-fair', { PROGRESS_HEARTBEAT_MS: 200, SOCKETS_PER_ADDRESS: 10_000 }, { instances: 2 });
  const watchers: Watcher[] = [];

  it('admits in the drawn order, then first come first served, within the cap, each client once', {
    timeout: 120_000,
  }, async () => {
    const sale = await announce(
      publishedEvent({
        opensAt: new Date(Date.now() + 3_600_000),
        maxActiveShoppers: CAP,
        admissionRatePerMinute: 60_000,
      }),
    );
    const { eventId } = sale;

    let received = 0;
    let released = 0;
    const overCap: number[] = [];
    const onAdmitted = () => {
      received += 1;
      // A slot is only freed after its purchase is announced, so admissions can never run ahead of that.
      if (received > CAP + released) overCap.push(received);
    };
    const users = await Promise.all(Array.from({ length: EARLY + LATE }, user));
    const at = (i: number) => (instances[i % 2] ?? a).url;

    // Arrivals before the opening, a few at a time; the draw must not follow the order they came in.
    const early = users.slice(0, EARLY);
    const joinedAt = new Map<string, number>();
    for (let i = 0; i < EARLY; i += WAVE) {
      await Promise.all(
        early.slice(i, i + WAVE).map(async (user, j) => {
          const joined = await joinQueue(at(i + j), user.token, eventId);
          expect(joined.body.number).toBeNull();
          joinedAt.set(user.id, Date.parse(joined.body.joinedAt));
        }),
      );
    }
    for (const [i, user] of early.entries()) watchers.push(watch(at(i), user, eventId, onAdmitted));
    await Promise.all(watchers.map((w) => w.connected()));
    await publish(a.bus, 'event.updated', {
      eventId,
      status: 'on_sale',
      saleOpensAt: new Date().toISOString(),
      saleClosesAt: sale.saleClosesAt,
      perUserLimit: sale.perUserLimit,
      waitingRoom: sale.waitingRoom,
    });
    await eventually(
      () => watchers.every((w) => w.number !== null),
      'every early client to learn its number',
    );
    const drawn = early.map((user, i) => ({
      at: joinedAt.get(user.id) ?? 0,
      number: watchers[i]?.number ?? 0,
    }));
    expect(drawn.map((d) => d.number).toSorted((x, y) => x - y)).toEqual(
      Array.from({ length: EARLY }, (_, i) => i + 1),
    );
    const inArrivalOrder = drawn.toSorted((x, y) => x.at - y.at || x.number - y.number).map((d) => d.number);
    expect(inArrivalOrder).not.toEqual(Array.from({ length: EARLY }, (_, i) => i + 1));

    // Arrivals after the opening: first come, first served. Every wave comes after the previous one, so
    // its numbers all follow; within a wave the server's own arrival times must follow the numbers.
    const late = users.slice(EARLY);
    const arrivals: { number: number; at: number }[] = [];
    for (let i = 0; i < LATE; i += WAVE) {
      const wave = await Promise.all(
        late.slice(i, i + WAVE).map(async (user, j) => {
          const joined = await joinQueue(at(i + j), user.token, eventId);
          watchers.push(watch(at(i + j + 1), user, eventId, onAdmitted));
          return { number: joined.body.number ?? 0, at: Date.parse(joined.body.joinedAt) };
        }),
      );
      const before = Math.max(EARLY, ...arrivals.map((x) => x.number));
      expect(Math.min(...wave.map((x) => x.number))).toBe(before + 1);
      arrivals.push(...wave);
    }
    expect(arrivals.map((x) => x.number).toSorted((x, y) => x - y)).toEqual(
      Array.from({ length: LATE }, (_, i) => EARLY + i + 1),
    );
    const byArrival = arrivals.toSorted((x, y) => x.number - y.number).map((x) => x.at);
    expect(byArrival).toEqual(byArrival.toSorted((x, y) => x - y));
    await Promise.all(watchers.map((w) => w.connected()));
    const byNumber = new Map(watchers.map((w) => [w.number, w]));
    for (let served = CAP; served <= EARLY + LATE; served += CAP) {
      await eventually(() => received >= served, `${served} admissions`);
      const admitted = watchers.filter((w) => w.admitted.length > 0).map((w) => w.number);
      expect(admitted.toSorted((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
        Array.from({ length: served }, (_, i) => i + 1),
      );
      const shoppers = Array.from({ length: CAP }, (_, i) => byNumber.get(served - CAP + 1 + i));
      for (const [i, shopper] of shoppers.entries())
        expect(shopper?.admitted[0]?.number).toBe(served - CAP + 1 + i);
      released += CAP;
      await Promise.all(shoppers.map((shopper) => purchase(a.bus, eventId, shopper?.userId as string)));
    }

    expect(overCap).toEqual([]);
    expect(Number(await redis.hget(`queue:{${eventId}}:state`, 'peak'))).toBe(CAP);
    for (const w of watchers) {
      expect(w.admitted).toHaveLength(1);
      expect(w.errors).toEqual([]);
      for (let i = 1; i < w.positions.length; i++) {
        expect(w.positions[i]).toBeLessThanOrEqual(w.positions[i - 1] as number);
      }
      if ((w.number ?? 0) > 2 * CAP) expect(new Set(w.positions).size).toBeGreaterThan(1);
    }
  });
});
