import { HOLD_UNDER_ADMISSION } from '@tiketi/contracts';
import { makeEnvelope } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { reservationSuite } from '../../reservation/test/helpers.ts';
import { waitingRoomRepository } from '../src/db/waiting-room.repository.ts';
import { createWaitingRoom, type WaitingRoomEvent } from '../src/domain/waiting-room.ts';
import { eventually, joinQueue, publish, publishedEvent, queueStatus, queueSuite } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a shopper’s slot while they hold seats', () => {
  // The real reservation service, asked when a shopper leaves; it knows none of the holds announced here.
  const reservation = reservationSuite('queue-holds-resv', { instances: [{ listen: true }] });
  // Admissions last two seconds so that a hold can outlive one; each test steps admission itself.
  const { config, queue, redis, user, announce } = queueSuite(
    'queue-holds',
    { ADMISSION_TICK_MS: 60_000, ADMISSION_TTL_SECONDS: 2 },
    { config: () => ({ RESERVATION_SERVICE_URL: reservation.svc.url }) },
  );
  // The consumer's own rules, fed directly where a test needs to choose the order of delivery.
  const room = createWaitingRoom({
    repo: waitingRoomRepository(redis),
    events: { saleInfo: async () => undefined },
    reservations: { liveHolds: async () => 0 },
    tokenSecret: config.QUEUE_TOKEN_SECRET,
    admittedIdleMs: config.ADMITTED_IDLE_MS,
  });
  const deliver = (event: ReturnType<typeof makeEnvelope>) =>
    room.onEvent(event as WaitingRoomEvent, { cancelled: () => undefined, closed: () => undefined });

  const activeCount = (eventId: string) => redis.zcard(`queue:{${eventId}}:active`);
  const knownHolds = async (eventId: string, userId: string) =>
    JSON.parse((await redis.hget(`queue:{${eventId}}:holds`, userId)) ?? '{}') as Record<string, number>;

  /** A room with one shopping slot, `first` admitted into it and `second` waiting behind. */
  async function fullRoom() {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1 }));
    const [first, second] = [await user(), await user()];
    await joinQueue(queue.url, first.token, sale.eventId);
    await joinQueue(queue.url, second.token, sale.eventId);
    await queue.service.step();
    expect((await queueStatus(queue.url, first.token, sale.eventId)).body.state).toBe('admitted');
    expect((await queueStatus(queue.url, second.token, sale.eventId)).body.state).toBe('waiting');
    return { eventId: sale.eventId, first, second };
  }
  const hold = (eventId: string, userId: string, reservationId: string, expiresInMs: number) => ({
    reservationId,
    eventId,
    userId,
    seatIds: [uuidv7()],
    amount: 99_000,
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  });
  const ended = (eventId: string, userId: string, reservationId: string) => ({
    reservationId,
    eventId,
    userId,
    seatIds: [uuidv7()],
  });

  it('keeps the slot while a payment outlives the admission, then frees it when the purchase is confirmed', async () => {
    const { eventId, first, second } = await fullRoom();
    const reservationId = uuidv7();
    // Announced as the reservation service announces a hold made under an admission.
    await publish(queue.bus, 'reservation.created', hold(eventId, first.id, reservationId, 1_500), {
      tag: HOLD_UNDER_ADMISSION,
    });
    await eventually(
      async () => (await knownHolds(eventId, first.id))[reservationId],
      'the hold to be known',
    );
    const extendedTo = Date.now() + 60_000;
    await publish(queue.bus, 'reservation.extended', {
      reservationId,
      eventId,
      userId: first.id,
      expiresAt: new Date(extendedTo).toISOString(),
    });
    await eventually(
      async () => (await knownHolds(eventId, first.id))[reservationId] === extendedTo,
      'the extension to be known',
    );

    await sleep(2_500);
    await queue.service.step();
    // The admission is over, and does not come back by asking, yet its slot still counts.
    expect((await queueStatus(queue.url, first.token, eventId)).status).toBe(404);
    const again = await joinQueue(queue.url, first.token, eventId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('HOLD_IN_PROGRESS');
    expect(await activeCount(eventId)).toBe(1);
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');

    await publish(queue.bus, 'reservation.confirmed', {
      ...ended(eventId, first.id, reservationId),
      amount: 99_000,
      paymentId: uuidv7(),
    });
    await eventually(async () => {
      await queue.service.step();
      return (await queueStatus(queue.url, second.token, eventId)).body.state === 'admitted';
    }, 'the next shopper to be admitted');
    expect(await activeCount(eventId)).toBe(1);
  });

  it('hears only the holds made under an admission, not those of events without a waiting room', async () => {
    const { eventId, first } = await fullRoom();
    const [untagged, tagged] = [uuidv7(), uuidv7()];
    await publish(queue.bus, 'reservation.created', hold(eventId, first.id, untagged, 60_000));
    await publish(queue.bus, 'reservation.created', hold(eventId, first.id, tagged, 60_000), {
      tag: HOLD_UNDER_ADMISSION,
    });
    await eventually(
      async () => (await knownHolds(eventId, first.id))[tagged],
      'the tagged hold to be known',
    );
    await sleep(200);
    expect(Object.keys(await knownHolds(eventId, first.id))).toEqual([tagged]);
  });

  it('frees the slot at the latest announced expiry when no end of the hold arrives', async () => {
    const { eventId, first, second } = await fullRoom();
    const reservationId = uuidv7();
    await deliver(makeEnvelope('reservation.created', hold(eventId, first.id, reservationId, 3_000)));
    await deliver(
      makeEnvelope('reservation.extended', {
        reservationId,
        eventId,
        userId: first.id,
        expiresAt: new Date(Date.now() + 4_000).toISOString(),
      }),
    );

    // Past the admission and the first expiry, short of the extended one.
    await sleep(3_300);
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');

    await sleep(1_000);
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
    expect(await activeCount(eventId)).toBe(1);
  });

  it('keeps the turn of a fan who gives a hold back within the admission, to choose other seats', async () => {
    const { eventId, first, second } = await fullRoom();
    const reservationId = uuidv7();
    await deliver(makeEnvelope('reservation.created', hold(eventId, first.id, reservationId, 60_000)));
    await deliver(
      makeEnvelope('reservation.cancelled', { ...ended(eventId, first.id, reservationId), reason: 'user' }),
    );
    await queue.service.step();
    const turn = await queueStatus(queue.url, first.token, eventId);
    expect(turn.body).toMatchObject({ state: 'admitted' });
    // The slot counts until the admission's own end, which the reservation service reads for the next hold.
    const lapsesAt = Number(await redis.hget(`queue:{${eventId}}:lapse`, first.id));
    expect(Math.abs(lapsesAt - Date.parse(turn.body.admissionExpiresAt as string))).toBeLessThan(1000);
    expect(Number(await redis.zscore(`queue:{${eventId}}:active`, first.id))).toBe(lapsesAt);
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');

    // Done choosing: leaving gives the slot to the next fan.
    const left = await fetch(`${queue.url}/api/queue/${eventId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${first.token}` },
    });
    expect(left.status).toBe(200);
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
  });

  it('never lets a late or repeated announcement of an ended hold bring the slot back', async () => {
    const { eventId, first, second } = await fullRoom();
    const [early, late] = [uuidv7(), uuidv7()];
    await deliver(makeEnvelope('reservation.created', hold(eventId, first.id, late, 60_000)));
    // The first hold's end overtakes its creation: the other hold alone keeps the slot.
    await deliver(makeEnvelope('reservation.expired', ended(eventId, first.id, early)));
    await deliver(makeEnvelope('reservation.created', hold(eventId, first.id, early, 600_000)));
    expect(await activeCount(eventId)).toBe(1);
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');

    const cancelled = makeEnvelope('reservation.cancelled', {
      ...ended(eventId, first.id, late),
      reason: 'user',
    });
    await deliver(cancelled);
    await deliver(cancelled);
    await deliver(
      makeEnvelope('reservation.extended', {
        reservationId: late,
        eventId,
        userId: first.id,
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      }),
    );
    await deliver(makeEnvelope('reservation.created', hold(eventId, first.id, early, 600_000)));
    // Given back within the admission: the slot counts until the admission's end, not the announced ones.
    const lapsesAt = Number(await redis.hget(`queue:{${eventId}}:lapse`, first.id));
    expect(Number(await redis.zscore(`queue:{${eventId}}:active`, first.id))).toBe(lapsesAt);
    expect(lapsesAt).toBeLessThan(Date.now() + 900_000);
    await redis.hset(`queue:{${eventId}}:lapse`, first.id, Date.now() - 1);
    await deliver(cancelled);
    expect(await redis.zscore(`queue:{${eventId}}:active`, first.id)).toBeNull();

    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
    expect(await activeCount(eventId)).toBe(1);
  });
});
