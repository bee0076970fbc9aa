import { setTimeout as sleep } from 'node:timers/promises';
import type { ReservationConfig } from '@tiketi/reservation/config';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { onSaleEvent, reservationSuite } from '../../reservation/test/helpers.ts';
import {
  eventually,
  holdUnderAdmission,
  joinQueue,
  publishedEvent,
  queueStatus,
  queueSuite,
  type Watcher,
} from './support.ts';

const leaveAt = (url: string, token: string, eventId: string) =>
  fetch(`${url}/api/queue/${eventId.toUpperCase()}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });

/*
 * Leaving the waiting room: an admitted fan who is done shopping gives their slot to the next fan at once,
 * instead of keeping it (and their admission token) until the admission lapses; a waiting fan gives up
 * their place.
 */
describe('leaving the waiting room', () => {
  // The real reservation service, which a leaving shopper's slot waits for, on the waiting room's Redis
  // (it reads the admissions there before a hold) but its own exchange: what it announces never reaches
  // the room, as if the relay or the broker were late. Its settings are filled in below, once the
  // room's are drawn.
  const shared: Partial<ReservationConfig> = {};
  const sale = onSaleEvent(2, {
    waitingRoom: { enabled: true, admissionRatePerMinute: 60_000, maxActiveShoppers: 1 },
  });
  const reservation = reservationSuite('queue-leave-resv', {
    instances: [{ listen: true }],
    events: [sale],
    config: shared,
  });
  // Admission is stepped by each test; an admission lasts the default ten minutes.
  const { config, queue, redis, user, watch, announce } = queueSuite(
    'queue-leave',
    { ADMISSION_TICK_MS: 60_000 },
    { config: () => ({ RESERVATION_SERVICE_URL: reservation.svc.url }) },
  );
  Object.assign(shared, { REDIS_PREFIX: config.REDIS_PREFIX, QUEUE_TOKEN_SECRET: config.QUEUE_TOKEN_SECRET });

  const leave = (token: string, eventId: string) => leaveAt(queue.url, token, eventId);
  const lapseOf = (eventId: string, userId: string) => redis.hget(`queue:{${eventId}}:lapse`, userId);

  /** A room with one shopping slot, `first` admitted into it, `second` and `third` waiting behind. */
  async function fullRoom(eventId?: string) {
    const sale = await announce(publishedEvent({ eventId, maxActiveShoppers: 1 }));
    const [first, second, third] = [await user(), await user(), await user()];
    for (const fan of [first, second, third]) await joinQueue(queue.url, fan.token, sale.eventId);
    await queue.service.step();
    expect((await queueStatus(queue.url, first.token, sale.eventId)).body.state).toBe('admitted');
    return { eventId: sale.eventId, first, second, third };
  }

  it('gives an admitted fan’s slot to the next fan at once, and ends their admission', async () => {
    const { eventId, first, second } = await fullRoom();
    expect(await lapseOf(eventId, first.id)).not.toBeNull();
    const left = await leave(first.token, eventId);
    expect(left.status).toBe(200);
    expect(await left.json()).toEqual({ left: 'slot' });
    // The admission the reservation service checks before a hold is gone with the slot.
    expect(await lapseOf(eventId, first.id)).toBeNull();
    expect((await queueStatus(queue.url, first.token, eventId)).status).toBe(404);
    // The next step admits the fan behind, ten minutes before the first admission would have lapsed.
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
    // Leaving again changes nothing.
    expect(await (await leave(first.token, eventId)).json()).toEqual({ left: 'nothing' });
  });

  it('lets a waiting fan give up their place, and the line moves past it', async () => {
    const { eventId, first, second, third } = await fullRoom();
    expect((await queueStatus(queue.url, third.token, eventId)).body.position).toBe(2);
    expect(await (await leave(second.token, eventId)).json()).toEqual({ left: 'line' });
    expect((await queueStatus(queue.url, second.token, eventId)).status).toBe(404);
    expect((await queueStatus(queue.url, third.token, eventId)).body.position).toBe(1);
    // The slot turns over to the fan who stayed.
    expect(await (await leave(first.token, eventId)).json()).toEqual({ left: 'slot' });
    await queue.service.step();
    expect((await queueStatus(queue.url, third.token, eventId)).body.state).toBe('admitted');
  });

  /** Steps the room until `watcher` hears a broadcast past the `heard` it had (steps within the gap send none). */
  const stepUntilHeard = (watcher: Watcher, heard: number) =>
    eventually(async () => {
      await queue.service.step();
      await sleep(100);
      return watcher.progress.length > heard || undefined;
    }, 'a progress broadcast');

  it('counts the place given up out of the positions its broadcasts give the fans behind', async () => {
    const { eventId, first, second, third } = await fullRoom();
    const behind = watch(queue.url, third, eventId);
    await behind.connected();
    expect(behind.positions.at(-1)).toBe(2);
    const heard = behind.progress.length;
    expect(await (await leave(second.token, eventId)).json()).toEqual({ left: 'line' });
    // A step after a place is given up tells the line, and the fan behind reads first place from it, as
    // their own status says, not their number less the last number admitted (2).
    await stepUntilHeard(behind, heard);
    expect(behind.positions.at(-1)).toBe(1);
    expect((await queueStatus(queue.url, third.token, eventId)).body.position).toBe(1);
    // Once the line has moved past it, the number given up is no longer sent.
    expect(await (await leave(first.token, eventId)).json()).toEqual({ left: 'slot' });
    await queue.service.step();
    await eventually(() => behind.isAdmitted || undefined, 'the fan behind to be admitted');
    const fourth = await user();
    await joinQueue(queue.url, fourth.token, eventId);
    const next = watch(queue.url, fourth, eventId);
    await next.connected();
    const seen = next.progress.length;
    expect(await (await leave(third.token, eventId)).json()).toEqual({ left: 'slot' });
    await stepUntilHeard(next, seen);
    expect(next.progress.at(-1)?.gone).toBeUndefined();
    await eventually(() => next.isAdmitted || undefined, 'the fourth fan to be admitted');
  });

  it('keeps the slot of a fan whose hold is live, and says why', async () => {
    const { eventId, first, second } = await fullRoom();
    await holdUnderAdmission(queue.bus, redis, eventId, first.id);
    const refused = await leave(first.token, eventId);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ code: 'HOLD_IN_PROGRESS' });
    await queue.service.step();
    expect((await queueStatus(queue.url, first.token, eventId)).body.state).toBe('admitted');
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');
  });

  it('keeps the slot of a fan who leaves right after a hold the room has not heard of yet', async () => {
    const { eventId, first, second } = await fullRoom(sale.eventId);
    const admission = (await queueStatus(queue.url, first.token, eventId)).body.admissionToken;
    // The same fan, signed in with the reservation service's test keys.
    const fan = { token: await reservation.tokens.sign({ id: first.id }) };
    const held = await fetch(`${reservation.svc.url}/api/reservations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fan.token}`,
        'content-type': 'application/json',
        'x-queue-token': admission ?? '',
      },
      body: JSON.stringify({ eventId, seatIds: [sale.seats[0]?.id] }),
    });
    expect(held.status).toBe(201);
    expect(await redis.hget(`queue:{${eventId}}:holds`, first.id)).toBeNull();

    const refused = await leave(first.token, eventId);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'HOLD_IN_PROGRESS' });
    await queue.service.step();
    expect((await queueStatus(queue.url, first.token, eventId)).body.state).toBe('admitted');
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');

    // The hold given back, the slot goes on.
    const { reservationId } = (await held.json()) as { reservationId: string };
    const cancelled = await fetch(`${reservation.svc.url}/api/reservations/${reservationId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fan.token}` },
    });
    expect(cancelled.status).toBe(200);
    expect(await (await leave(first.token, eventId)).json()).toEqual({ left: 'slot' });
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
  });

  it('tells the fan’s other windows on the line that they left, and nobody else', async () => {
    const { eventId, first, second, third } = await fullRoom();
    // The fan waits in two windows; another fan waits beside them.
    const windows = [watch(queue.url, second, eventId), watch(queue.url, second, eventId)];
    const neighbour = watch(queue.url, third, eventId);
    for (const w of [...windows, neighbour]) await w.connected();

    expect(await (await leave(second.token, eventId)).json()).toEqual({ left: 'line' });
    for (const w of windows) {
      await eventually(() => w.left.length > 0 || undefined, 'the window to be told');
      expect(w.left).toEqual([{ eventId, left: 'line' }]);
    }
    // The admitted fan's own windows hear it too when they give the slot up.
    const shopping = watch(queue.url, first, eventId);
    await shopping.connected();
    expect(await (await leave(first.token, eventId)).json()).toEqual({ left: 'slot' });
    await eventually(() => shopping.left.length > 0 || undefined, 'the shopper to be told');
    expect(shopping.left).toEqual([{ eventId, left: 'slot' }]);
    // Leaving again gives up nothing and tells nobody anything new; the neighbour heard nothing.
    expect(await (await leave(second.token, eventId)).json()).toEqual({ left: 'nothing' });
    await sleep(200);
    for (const w of windows) expect(w.left).toHaveLength(1);
    expect(neighbour.left).toEqual([]);
  });

  it('asks who is leaving, and for a well-formed event id', async () => {
    const anonymous = await fetch(`${queue.url}/api/queue/${uuidv7()}`, { method: 'DELETE' });
    expect(anonymous.status).toBe(401);
    const fan = await user();
    const malformed = await leave(fan.token, 'not-an-id');
    expect(malformed.status).toBe(400);
  });
});

describe('leaving while the reservation service cannot be asked', () => {
  // Nothing answers at this address.
  const { queue, user, announce } = queueSuite(
    'queue-leave-unasked',
    { ADMISSION_TICK_MS: 60_000 },
    { config: () => ({ RESERVATION_SERVICE_URL: 'http://127.0.0.1:9' }) },
  );

  it('keeps an admitted fan’s slot and says the answer cannot be given now, but lets a waiting fan go', async () => {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1 }));
    const [first, second] = [await user(), await user()];
    for (const fan of [first, second]) await joinQueue(queue.url, fan.token, sale.eventId);
    await queue.service.step();

    const refused = await leaveAt(queue.url, first.token, sale.eventId);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    await queue.service.step();
    expect((await queueStatus(queue.url, first.token, sale.eventId)).body.state).toBe('admitted');
    expect((await queueStatus(queue.url, second.token, sale.eventId)).body.state).toBe('waiting');
    // A place in line holds no seats: it is given up without asking.
    expect(await (await leaveAt(queue.url, second.token, sale.eventId)).json()).toEqual({ left: 'line' });
  });
});
