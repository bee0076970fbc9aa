import { QUEUE_ETA_LIMIT_SECONDS } from '@tiketi/contracts';
import { describe, expect, it } from 'vitest';
import { waitingRoomRepository } from '../src/db/waiting-room.repository.ts';
import { eventually, joinQueue, publishedEvent, purchase, queueStatus, queueSuite } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the wait estimate', () => {
  // Each test steps admission itself; an admission lasts the default ten minutes.
  const { config, queue, redis, user, announce } = queueSuite('queue-estimate', {
    ADMISSION_TICK_MS: 60_000,
  });

  /** A room with `cap` slots, all taken, and `behind` fans waiting (in the order returned). */
  async function fullRoom(cap: number, behind: number, admissionRatePerMinute = 60_000) {
    const sale = await announce(publishedEvent({ maxActiveShoppers: cap, admissionRatePerMinute }));
    const shoppers = await Promise.all(Array.from({ length: cap }, user));
    for (const s of shoppers) await joinQueue(queue.url, s.token, sale.eventId);
    await eventually(async () => {
      await queue.service.step();
      return (await redis.zcard(`queue:{${sale.eventId}}:active`)) === cap || undefined;
    }, 'the shoppers to be admitted');
    const waiting = await Promise.all(Array.from({ length: behind }, user));
    for (const w of waiting) await joinQueue(queue.url, w.token, sale.eventId);
    return { eventId: sale.eventId, shoppers, waiting };
  }

  it("starts a platform's first sale from the configured pace while nobody has left yet", async () => {
    // Twenty slots filled at five admissions a second: a full room that turns over at the configured
    // rate keeps each shopper four seconds, the prior before anyone leaves.
    const { eventId, waiting } = await fullRoom(20, 20, 300);
    await queue.service.step();
    const last = await queueStatus(queue.url, waiting[19]?.token ?? '', eventId);
    expect(last.body).toMatchObject({ state: 'waiting', position: 20 });
    // Twenty places, one slot turning over every 0.2 s: 4 s (not twenty turns of a ten-minute slot).
    expect(last.body.etaSeconds).toBeGreaterThanOrEqual(4);
    expect(last.body.etaSeconds).toBeLessThanOrEqual(6);
  });

  it('lengthens the estimate while the shopper cap is full and nobody leaves, never absurdly', async () => {
    const started = Date.now();
    const { eventId, waiting } = await fullRoom(1, 3);
    const admitted = Date.now();
    // Admission goes on stepping with nobody to admit: the room's pace must not fall towards 0, and the
    // one shopper, there for seconds now, is not about to leave after the configured pace's instant.
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      await queue.service.step();
    }
    const before = Date.now();
    const third = await queueStatus(queue.url, waiting[2]?.token ?? '', eventId);
    const after = Date.now();
    expect(third.body).toMatchObject({ state: 'waiting', position: 3 });
    // Three turns of a slot whose shopper has stayed this long already.
    expect(third.body.etaSeconds).toBeGreaterThanOrEqual(Math.floor((3 * (before - admitted)) / 1000));
    expect(third.body.etaSeconds).toBeLessThanOrEqual(Math.ceil((3 * (after - started)) / 1000));
    expect(third.body.etaBeyondLimit).toBe(false);
  });

  it('counts down to the end of the admission that must free the next slot, at the latest', async () => {
    const { eventId, shoppers, waiting } = await fullRoom(1, 1, 60);
    // The one shopper has been in for three seconds and holds nothing: by the room's measure they stay on...
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      await queue.service.step();
    }
    const before = await queueStatus(queue.url, waiting[0]?.token ?? '', eventId);
    expect(before.body.etaSeconds).toBeGreaterThanOrEqual(3);
    // ...but their admission ends in a second and a half (as one admitted ten minutes ago would), and with
    // it their slot: the wait is no longer than that.
    const active = `queue:{${eventId}}:active`;
    await redis.zadd(active, 'XX', Date.now() + 1500, shoppers[0]?.id ?? '');
    await queue.service.step();
    const next = await queueStatus(queue.url, waiting[0]?.token ?? '', eventId);
    expect(next.body).toMatchObject({ state: 'waiting', position: 1 });
    expect(next.body.etaSeconds).toBeLessThanOrEqual(2);
  });

  it('follows the pace at which shoppers really leave', async () => {
    const { eventId, shoppers, waiting } = await fullRoom(2, 6);
    // Four purchases in quick succession, each letting the next fan in.
    const leaving = [...shoppers];
    for (let i = 0; i < 4; i++) {
      const next = leaving.shift();
      if (!next) break;
      await purchase(queue.bus, eventId, next.id);
      await eventually(
        async () => {
          await queue.service.step();
          const admitted = await queueStatus(queue.url, waiting[i]?.token ?? '', eventId);
          return admitted.body.state === 'admitted' || undefined;
        },
        `fan ${i + 1} to be admitted`,
      );
      leaving.push(waiting[i] as (typeof waiting)[number]);
    }
    const last = await queueStatus(queue.url, waiting[5]?.token ?? '', eventId);
    expect(last.body.position).toBe(2);
    // Four slots freed within seconds: far sooner than two ten-minute admissions running out.
    expect(last.body.etaSeconds).toBeGreaterThan(0);
    expect(last.body.etaSeconds).toBeLessThan(60);
  });

  it('says the wait is beyond its limit rather than giving an absurd figure', async () => {
    // A platform whose last sale's shoppers kept their slots for the admission's whole ten minutes.
    await redis.set('queue:shopper-stay', config.ADMISSION_TTL_SECONDS * 1000);
    try {
      await queue.service.step();
      const filling = Date.now();
      const { eventId, waiting } = await fullRoom(1, 25);
      const back = await queueStatus(queue.url, waiting[24]?.token ?? '', eventId);
      expect(back.body.position).toBe(25);
      // 25 turns of a ten-minute slot is more than the limit.
      expect(back.body.etaSeconds).toBe(QUEUE_ETA_LIMIT_SECONDS);
      expect(back.body.etaBeyondLimit).toBe(true);
      const front = await queueStatus(queue.url, waiting[0]?.token ?? '', eventId);
      // The shopper's slot frees when their ten minutes are up, counted from their admission: what has
      // passed since (seconds on a busy machine) comes off.
      const passed = Math.ceil((Date.now() - filling) / 1000);
      expect(front.body.etaSeconds).toBeLessThanOrEqual(config.ADMISSION_TTL_SECONDS);
      expect(front.body.etaSeconds).toBeGreaterThanOrEqual(config.ADMISSION_TTL_SECONDS - passed);
      expect(front.body.etaBeyondLimit).toBe(false);
    } finally {
      await redis.del('queue:shopper-stay');
      await queue.service.step();
    }
  });

  // Last in the file: the sale it runs leaves the platform a history that the tests above must not see.
  it('starts a new room from how long shoppers stayed in the earlier sale of the platform', async () => {
    // An earlier sale: twenty shoppers admitted at once, each buying within moments.
    const earlier = await announce(publishedEvent({ maxActiveShoppers: 20, admissionRatePerMinute: 60_000 }));
    const buyers = await Promise.all(Array.from({ length: 20 }, user));
    for (const b of buyers) await joinQueue(queue.url, b.token, earlier.eventId);
    await eventually(async () => {
      await queue.service.step();
      return (await redis.zcard(`queue:{${earlier.eventId}}:active`)) === 20 || undefined;
    }, 'the shoppers of the earlier sale to be admitted');
    const admittedAt = Date.now();
    for (const b of buyers) await purchase(queue.bus, earlier.eventId, b.id);
    await eventually(
      async () => (await redis.zcard(`queue:{${earlier.eventId}}:active`)) === 0 || undefined,
      'the shoppers of the earlier sale to leave',
    );
    const longest = Date.now() - admittedAt;
    await queue.service.step();
    const remembered = Number(await redis.get('queue:shopper-stay'));
    expect(remembered).toBeGreaterThan(0);
    expect(remembered).toBeLessThanOrEqual(longest + 1000);
    // Written once per change of the room's measure, by whichever instance stepped the room when it
    // changed: another instance stepping the same room later writes nothing (its expiry runs on).
    const written = await redis.ttl('queue:shopper-stay');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await waitingRoomRepository(redis).tick(earlier.eventId, {
      admissionTtlMs: 600_000,
      abandonGraceMs: 60_000,
      admittedIdleMs: 180_000,
      heartbeatMs: 5_000,
      maxPerTick: 10,
      progressGapMs: 1_000,
      progressPushesPerSecond: 20_000,
    });
    expect(await redis.ttl('queue:shopper-stay')).toBeLessThan(written);
    expect(Number(await redis.get('queue:shopper-stay'))).toBe(remembered);

    // A new room, full at once, where nobody has left yet: its estimate starts from that history, not
    // from every slot being kept for the admission's ten minutes.
    await queue.service.step();
    const { eventId, waiting } = await fullRoom(1, 3);
    await queue.service.step();
    const third = await queueStatus(queue.url, waiting[2]?.token ?? '', eventId);
    expect(third.body).toMatchObject({ state: 'waiting', position: 3 });
    const turn = Math.max(1000, remembered) / 1000;
    expect(third.body.etaSeconds).toBe(Math.ceil(3 * turn));
  });
});
