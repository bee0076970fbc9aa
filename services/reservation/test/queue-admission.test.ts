import { CHALLENGE_MAX_NUMBER, type QueueStatus, queueRedisKey } from '@tiketi/contracts';
import { loadConfig } from '@tiketi/kit';
import { challengeHeader, DEVELOPMENT_ENV, testLogger } from '@tiketi/kit/testing';
import { buildApp as buildQueue } from '@tiketi/queue/app';
import { configShape as queueConfigShape } from '@tiketi/queue/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, onSaleEvent, published, reservationSuite } from './helpers.ts';

describe('a hold with an admission from the waiting room', () => {
  let queue: Awaited<ReturnType<typeof buildQueue>>;
  const h = reservationSuite('resv-queue-admission', {
    instances: [{ consume: true, listen: true }],
    start: true,
  });

  beforeAll(async () => {
    // The real queue service on the same Redis and exchange; its admission step is run by the test.
    queue = await buildQueue({
      config: {
        ...loadConfig(queueConfigShape, DEVELOPMENT_ENV),
        REDIS_PREFIX: h.config.REDIS_PREFIX,
        QUEUE_TOKEN_SECRET: h.config.QUEUE_TOKEN_SECRET,
        // Asked whether a shopper who leaves holds seats.
        RESERVATION_SERVICE_URL: h.svc.url,
        INTERNAL_TOKEN: h.config.INTERNAL_TOKEN,
        ADMISSION_TICK_MS: 60_000,
        // Joins solve a challenge: the lowest difficulty keeps that cheap.
        CHALLENGE_MAX_NUMBER: CHALLENGE_MAX_NUMBER.min,
        CHALLENGE_SPIKE_JOINS_PER_SECOND: 0,
      },
      logger: testLogger(),
      auth: { jwks: h.tokens.jwks, internalToken: h.config.INTERNAL_TOKEN },
      redis: h.redis,
      bus: h.infra.bus,
      readiness: {},
    });
    await queue.start();
  });
  afterAll(async () => {
    if (queue) {
      await queue.app.close();
      await queue.stop();
    }
  });

  const queueCall = async (token: string, eventId: string, method: 'POST' | 'GET') => {
    const res = await queue.app.inject({
      method,
      url: `/api/queue/${eventId}/${method === 'POST' ? 'join' : 'status'}`,
      headers: {
        ...bearer(token),
        ...(method === 'POST' ? await challengeHeader({}, 'join', eventId) : {}),
      },
    });
    return res.json() as QueueStatus;
  };
  const hold = (token: string, admission: string, eventId: string, seatId: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(token, { 'x-queue-token': admission }),
      payload: { eventId, seatIds: [seatId] },
    });

  it('lets a fan change seats within the turn, and refuses the token once its slot went to the next fan', async () => {
    const event = onSaleEvent(4, {
      waitingRoom: { enabled: true, admissionRatePerMinute: 60_000, maxActiveShoppers: 1 },
    });
    await h.infra.bus.publish(published(event));
    const [u1, u2] = [await h.userToken(), await h.userToken()];
    const seat = (i: number) => event.seats[i]?.id ?? '';
    // Both services have heard of the sale.
    await eventually(async () => {
      const res = await hold(u1.token, 'none', event.eventId, seat(0));
      expect(res.json()).toMatchObject({ code: 'QUEUE_ADMISSION_INVALID' });
    });
    await eventually(async () => {
      expect((await queueCall(u1.token, event.eventId, 'POST')).state).toBe('waiting');
    });
    expect((await queueCall(u2.token, event.eventId, 'POST')).state).toBe('waiting');
    const first = await eventually(async () => {
      await queue.step();
      const status = await queueCall(u1.token, event.eventId, 'GET');
      expect(status.state).toBe('admitted');
      return status;
    });

    const held = await hold(u1.token, first.admissionToken ?? '', event.eventId, seat(0));
    expect(held.statusCode).toBe(201);
    const { reservationId } = held.json() as { reservationId: string };
    // The hold reaches the waiting room, which counts the slot as long as the hold lasts.
    await eventually(async () => {
      const holds = await h.redis.hget(queueRedisKey(event.eventId, 'holds'), u1.id);
      expect(Object.keys(JSON.parse(holds ?? '{}'))).toEqual([reservationId]);
    });
    const giveBack = async (id: string) => {
      const cancelled = await h.app.inject({
        method: 'DELETE',
        url: `/api/reservations/${id}`,
        headers: bearer(u1.token),
      });
      expect(cancelled.statusCode).toBe(200);
      // The cancellation reaches the waiting room.
      await eventually(async () => {
        const holds = JSON.parse((await h.redis.hget(queueRedisKey(event.eventId, 'holds'), u1.id)) ?? '{}');
        expect(holds[id]).toBe(0);
      });
    };
    await giveBack(reservationId);
    // Giving seats back within the turn keeps it: u1 holds others with the same admission.
    await queue.step();
    expect((await queueCall(u2.token, event.eventId, 'GET')).state).toBe('waiting');
    const other = await hold(u1.token, first.admissionToken ?? '', event.eventId, seat(1));
    expect(other.statusCode).toBe(201);
    await eventually(async () => {
      const holds = JSON.parse((await h.redis.hget(queueRedisKey(event.eventId, 'holds'), u1.id)) ?? '{}');
      expect(Object.keys(holds)).toContain((other.json() as { reservationId: string }).reservationId);
    });
    await giveBack((other.json() as { reservationId: string }).reservationId);

    // u1 leaves the room, which gives the only slot to u2.
    const left = await queue.app.inject({
      method: 'DELETE',
      url: `/api/queue/${event.eventId}`,
      headers: bearer(u1.token),
    });
    expect(left.statusCode).toBe(200);
    const second = await eventually(async () => {
      await queue.step();
      const status = await queueCall(u2.token, event.eventId, 'GET');
      expect(status.state).toBe('admitted');
      return status;
    });
    const again = await hold(u1.token, first.admissionToken ?? '', event.eventId, seat(3));
    expect(again.statusCode).toBe(403);
    expect(again.json()).toMatchObject({ code: 'QUEUE_ADMISSION_ENDED' });
    expect((await hold(u2.token, second.admissionToken ?? '', event.eventId, seat(2))).statusCode).toBe(201);
  });
});
