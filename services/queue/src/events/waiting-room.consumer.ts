import { HOLD_UNDER_ADMISSION } from '@tiketi/contracts';
import type { Bus } from '@tiketi/kit';
import type { QueueNotifier } from '../domain/admission-loop.ts';
import { WAITING_ROOM_EVENTS, type WaitingRoom } from '../domain/waiting-room.ts';

/**
 * One durable queue shared by every instance (each event is handled once, by any of them; the notifier's
 * broadcasts reach the sockets of all instances). No inbox: the handlers are idempotent by themselves
 * (settings carry the time of their change, a freed slot stays free, a hold's expiry only moves later
 * and an ended hold stays ended). Of the new holds it hears only those made under an admission: the
 * holds of events without a waiting room are most of a drop's messages, and they count no slot.
 */
export function subscribeWaitingRoom(bus: Bus, room: WaitingRoom, notifier: QueueNotifier): Promise<void> {
  return bus.subscribe({
    name: 'waiting-room',
    events: WAITING_ROOM_EVENTS,
    tagged: { 'reservation.created': HOLD_UNDER_ADMISSION },
    handler: (event) => room.onEvent(event, notifier),
  });
}
