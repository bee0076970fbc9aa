import { describe, expect, it } from 'vitest';
import { holdUnderAdmission, joinQueue, publishedEvent, queueStatus, queueSuite } from './support.ts';

const IDLE_MS = 1500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * A fan admitted into a full room who closes the tab: until the admission lapsed (ten minutes by default)
 * their slot stayed taken, the line behind did not move, and the room measured no stay for it. An admitted
 * fan holding nothing who shows no sign of life past the idle limit now gives the slot to the next fan.
 */
describe('an admitted fan who goes silent', () => {
  // Admission is stepped by each test; an admission lasts the default ten minutes.
  const { queue, redis, user, announce } = queueSuite('queue-idle', {
    ADMISSION_TICK_MS: 60_000,
    ADMITTED_IDLE_MS: IDLE_MS,
  });
  const lapseOf = (eventId: string, userId: string) => redis.hget(`queue:{${eventId}}:lapse`, userId);

  /** A room with one shopping slot, `first` admitted into it, `second` waiting behind. */
  async function fullRoom() {
    const sale = await announce(publishedEvent({ maxActiveShoppers: 1 }));
    const [first, second] = [await user(), await user()];
    for (const fan of [first, second]) await joinQueue(queue.url, fan.token, sale.eventId);
    await queue.service.step();
    const admitted = await queueStatus(queue.url, first.token, sale.eventId);
    expect(admitted.body.state).toBe('admitted');
    return { eventId: sale.eventId, first, second, admitted: admitted.body };
  }

  it('gives the slot of an admitted fan who holds nothing and is silent past the limit to the next fan', async () => {
    const { eventId, first, second, admitted } = await fullRoom();
    // The page is told how long it may stay silent.
    expect(admitted.idleLimitSeconds).toBe(Math.ceil(IDLE_MS / 1000));
    await pause(IDLE_MS + 300);
    await queue.service.step();
    // The admission the reservation service checks before a hold is gone with the slot.
    expect(await lapseOf(eventId, first.id)).toBeNull();
    expect((await queueStatus(queue.url, first.token, eventId)).status).toBe(404);
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('admitted');
  });

  it('keeps the slot of an admitted fan whose page keeps asking for the status', async () => {
    const { eventId, first, second } = await fullRoom();
    for (let i = 0; i < 3; i++) {
      await pause(IDLE_MS * 0.6);
      expect((await queueStatus(queue.url, first.token, eventId)).body.state).toBe('admitted');
      await queue.service.step();
    }
    // Three idle limits' worth of time have passed since the admission.
    expect((await queueStatus(queue.url, first.token, eventId)).body.state).toBe('admitted');
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');
  });

  it('keeps the slot of a silent fan whose hold is live', async () => {
    const { eventId, first, second } = await fullRoom();
    await holdUnderAdmission(queue.bus, redis, eventId, first.id);
    await pause(IDLE_MS + 300);
    await queue.service.step();
    expect(await lapseOf(eventId, first.id)).not.toBeNull();
    await queue.service.step();
    expect((await queueStatus(queue.url, second.token, eventId)).body.state).toBe('waiting');
  });
});
