import { describe, expect, it } from 'vitest';
import { onSaleEvent, reservationSuite } from '../../reservation/test/helpers.ts';
import { eventually, joinQueue, publishedEvent, queueSuite } from './support.ts';

/*
 * A line for a sale that has sold out waited on as if seats were still there. The waiting room now tells its
 * line how many seats are left, read from the real reservation service, and 0 once every seat is taken.
 */
describe('the seats left, told to the line', () => {
  // Three seats, sold by the reservation service; its room in the waiting room lets one fan in at a time.
  const sale = onSaleEvent(3);
  const reservation = reservationSuite('queue-seats-left-resv', {
    instances: [{ listen: true }],
    events: [sale],
  });
  const { queue, user, announce, watch } = queueSuite(
    'queue-seats-left',
    {
      ADMISSION_TICK_MS: 60_000,
      PROGRESS_HEARTBEAT_MS: 100,
      PROGRESS_MIN_GAP_MS: 0,
      SEATS_LEFT_REFRESH_MS: 50,
    },
    { config: () => ({ RESERVATION_SERVICE_URL: reservation.svc.url }) },
  );

  it('says how many seats are left with the line’s progress, and 0 once they are all held', async () => {
    await announce(publishedEvent({ eventId: sale.eventId, maxActiveShoppers: 1 }));
    const [first, second] = [await user(), await user()];
    await joinQueue(queue.url, first.token, sale.eventId);
    await joinQueue(queue.url, second.token, sale.eventId);
    const waiter = watch(queue.url, second, sale.eventId);
    await waiter.connected();

    const lastTold = async () => {
      await queue.service.step();
      return waiter.progress.at(-1)?.seatsLeft;
    };
    await eventually(async () => (await lastTold()) === 3, 'the line to hear of 3 seats left');

    const buyer = await reservation.userToken();
    const held = await fetch(`${reservation.svc.url}/api/reservations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventId: sale.eventId, seatIds: sale.seats.map((s) => s.id) }),
    });
    expect(held.status).toBe(201);
    await eventually(async () => (await lastTold()) === 0, 'the line to hear that nothing is left');
  });
});
