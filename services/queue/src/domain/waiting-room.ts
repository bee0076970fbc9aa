import { randomBytes } from 'node:crypto';
import {
  boundedWait,
  type EventSaleInfo,
  estimateWait,
  type QueueClosed,
  type QueueLeft,
  type QueueStats,
  type QueueStatus,
} from '@tiketi/contracts';
import type { AnyEnvelope } from '@tiketi/kit';
import { HttpProblem, problems, signAdmissionToken } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { EventServiceClient } from '../clients/event-service.client.ts';
import type { ReservationServiceClient } from '../clients/reservation-service.client.ts';
import type { RoomSettings, StoredPlace, WaitingRoomRepository } from '../db/waiting-room.repository.ts';
import type { QueueNotifier } from './admission-loop.ts';

export const WAITING_ROOM_EVENTS = [
  'event.published',
  'event.updated',
  'event.cancelled',
  'reservation.created',
  'reservation.extended',
  'reservation.confirmed',
  'reservation.cancelled',
  'reservation.expired',
] as const;
export type WaitingRoomEvent = AnyEnvelope<(typeof WAITING_ROOM_EVENTS)[number]>;

export type WaitingRoomDeps = {
  repo: WaitingRoomRepository;
  events: Pick<EventServiceClient, 'saleInfo'>;
  reservations: Pick<ReservationServiceClient, 'liveHolds'>;
  tokenSecret: string;
  /** How long an admitted fan holding nothing may stay silent before the slot goes on (0: no limit). */
  admittedIdleMs: number;
};

const SELLING = new Set(['published', 'on_sale']);

/** A live hold still counts the caller's shopping slot. */
function holdInProgress(detail: string): HttpProblem {
  return new HttpProblem(409, 'HOLD_IN_PROGRESS', detail);
}

/**
 * The waiting room's rules: who may take a place, what a place looks like to its holder, and how the
 * catalogue's and reservation's events change the room. Ordering and admission themselves are the
 * atomic Redis steps of the repository.
 */
export function createWaitingRoom(deps: WaitingRoomDeps) {
  const { repo } = deps;

  async function settingsFor(eventId: string): Promise<RoomSettings> {
    let settings = await repo.settings(eventId);
    if (settings === undefined) {
      const info = await deps.events.saleInfo(eventId);
      if (!info) throw problems.notFound('Event');
      // Stamped 0 so that any catalogue event, which carries the real time of the change, wins over it.
      await repo.saveSettings(eventId, 0, settingsFromSaleInfo(info));
      settings = await repo.settings(eventId);
    }
    if (settings === 'cancelled' || settings?.status === 'cancelled') throw eventCancelled();
    if (!settings) throw problems.notFound('Event');
    return settings;
  }

  async function toStatus(
    eventId: string,
    userId: string,
    place: StoredPlace,
    settings: RoomSettings | undefined,
  ): Promise<QueueStatus> {
    const opensAt = settings ? settings.opensAt : place.now;
    const base = {
      queueId: place.queueId,
      eventId,
      number: place.number,
      nowServing: place.served,
      opensAt: new Date(opensAt).toISOString(),
      joinedAt: new Date(place.joinedAt).toISOString(),
    };
    if (place.state === 'admitted' && place.admittedUntil !== null) {
      const ttlSeconds = Math.floor((place.admittedUntil - place.now) / 1000);
      return {
        ...base,
        state: 'admitted',
        position: 0,
        peopleAhead: 0,
        etaSeconds: 0,
        etaBeyondLimit: false,
        admissionToken: await signAdmissionToken(deps.tokenSecret, userId, eventId, ttlSeconds),
        admissionExpiresAt: new Date(place.now + ttlSeconds * 1000).toISOString(),
        ...(deps.admittedIdleMs > 0 ? { idleLimitSeconds: Math.ceil(deps.admittedIdleMs / 1000) } : {}),
      };
    }
    if (place.rank === null) {
      const untilDraw = boundedWait(Math.max(0, Math.ceil((opensAt - place.now) / 1000)));
      return {
        ...base,
        state: 'waiting',
        position: null,
        peopleAhead: null,
        etaSeconds: untilDraw.seconds,
        etaBeyondLimit: untilDraw.beyondLimit,
      };
    }
    const eta = estimateWait(place.rank + 1, place.pace);
    return {
      ...base,
      state: 'waiting',
      position: place.rank + 1,
      peopleAhead: place.rank,
      etaSeconds: eta?.seconds ?? null,
      etaBeyondLimit: eta?.beyondLimit ?? false,
    };
  }

  /** An admission whose last second has run out no longer counts: its slot is freed now. */
  function lapsed(place: StoredPlace): boolean {
    return place.state === 'admitted' && (place.admittedUntil ?? 0) - place.now < 1000;
  }

  return {
    /** One place per user per event: joining again returns the same place. */
    async join(eventId: string, userId: string): Promise<{ status: QueueStatus; created: boolean }> {
      const settings = await settingsFor(eventId);
      if (!settings.enabled) throw closedProblem(closedNotice(eventId, 'WAITING_ROOM_OFF'));
      if (!SELLING.has(settings.status)) {
        throw new HttpProblem(409, 'SALE_NOT_AVAILABLE', `This event is not on sale (${settings.status}).`);
      }
      if (Date.now() >= settings.closesAt) throw closedProblem(closedNotice(eventId, 'SALE_CLOSED'));
      let place = await repo.join(eventId, userId, uuidv7(), randomDraw());
      if (lapsed(place)) {
        // Going back in line would free the slot while the user is still paying for seats, and let one
        // more shopper in than the event allows.
        if ((await repo.releaseLapsed(eventId, userId)) === 'held') {
          throw holdInProgress(
            'Your admission has ended but your seats are still held: pay for them or cancel the reservation, then join again.',
          );
        }
        place = await repo.join(eventId, userId, uuidv7(), randomDraw());
      }
      return { status: await toStatus(eventId, userId, place, settings), created: place.created };
    },

    /**
     * The caller leaves the room: an admitted fan done shopping gives their slot to the next fan at once
     * (rather than keeping it until the admission lapses, and with it the admission token), a waiting fan
     * gives up their place. Refused while a hold of theirs is live: it still counts the slot. The fan's
     * sockets are told, so that another window of theirs stops showing the place.
     *
     * The room hears of a hold through its announcement, which may come a second after the hold (outbox,
     * relay, broker): a fan who left within that second would hand the slot on while holding seats, one
     * shopper over the cap. So a slot the room knows no live hold of goes only once the reservation
     * service, which made the hold, says there is none (it waits for a hold being written). Only a hold
     * whose admission check passed before the question and whose write starts after the answer, a few
     * milliseconds of the fan's own concurrent requests, could still be missed. When the reservation
     * service cannot be asked the answer is 503 and nothing changes: the slot stays the fan's until they
     * leave again or the admission ends.
     */
    async leave(eventId: string, userId: string, notifier: Pick<QueueNotifier, 'left'>): Promise<QueueLeft> {
      let left = await repo.leave(eventId, userId, false);
      if (left === 'unchecked') {
        const holds = await deps.reservations.liveHolds(eventId, userId);
        left = holds > 0 ? 'held' : await repo.leave(eventId, userId, true);
      }
      if (left === 'held' || left === 'unchecked') {
        throw holdInProgress(
          'Your seats are still held: pay for them or cancel the reservation, then leave.',
        );
      }
      if (left !== 'nothing') notifier.left(eventId, userId, { eventId, left });
      return { left };
    },

    /** The caller's place; asking counts as a sign of life. */
    async status(eventId: string, userId: string): Promise<QueueStatus> {
      const settings = await repo.settings(eventId);
      // A place in a cancelled, closed or switched-off room leads nowhere: say why rather than show a line
      // that will not move.
      if (settings === 'cancelled') throw eventCancelled();
      const closed = settings && closedCode(settings);
      if (closed) throw closedProblem(closedNotice(eventId, closed));
      const place = await repo.status(eventId, userId);
      if (!place || lapsed(place)) {
        throw new HttpProblem(
          404,
          'NOT_IN_QUEUE',
          'You have no place in this waiting room (never joined, left too long, or your admission ended): join again.',
        );
      }
      return toStatus(eventId, userId, place, settings);
    },

    /** The operator's read of one room; asks nobody else, so an unknown event is simply an empty room. */
    async stats(eventId: string): Promise<QueueStats> {
      const room = await repo.stats(eventId);
      const { settings } = room;
      return {
        eventId,
        live: room.live,
        opened: room.opened,
        waiting: room.waiting,
        activeShoppers: room.active,
        peakActiveShoppers: room.peak,
        nowServing: room.served,
        admissionsPerMinute: Math.round(room.measuredRate * 60 * 100) / 100,
        settings: settings
          ? {
              enabled: settings.enabled,
              admissionRatePerMinute: settings.admissionRatePerMinute,
              maxActiveShoppers: settings.maxActiveShoppers,
              opensAt: new Date(settings.opensAt).toISOString(),
              closesAt: new Date(settings.closesAt).toISOString(),
              status: settings.status,
            }
          : null,
      };
    },

    /**
     * Keeps the room in step with the catalogue and frees shoppers' slots; safe to repeat. Everyone waiting
     * for a cancelled event is told at once (again on a redelivery, which a client takes the same way).
     */
    async onEvent(
      event: WaitingRoomEvent,
      notifier: Pick<QueueNotifier, 'cancelled' | 'closed'>,
    ): Promise<void> {
      const stamp = Date.parse(event.occurredAt);
      switch (event.type) {
        case 'event.published':
        case 'event.updated': {
          const { eventId, status, saleOpensAt, saleClosesAt, waitingRoom } = event.data;
          const settings = {
            enabled: waitingRoom.enabled,
            admissionRatePerMinute: waitingRoom.admissionRatePerMinute,
            maxActiveShoppers: waitingRoom.maxActiveShoppers,
            opensAt: Date.parse(saleOpensAt),
            closesAt: Date.parse(saleClosesAt),
            status,
          };
          const applied = await repo.saveSettings(eventId, stamp, settings);
          // Those in line are told at once when the operator switches the room off or ends the sale (a
          // newly published event has nobody in line yet).
          const closed = event.type === 'event.updated' && closedCode(settings);
          if (applied && closed) notifier.closed(eventId, closedNotice(eventId, closed));
          return;
        }
        case 'event.cancelled': {
          const { eventId, reason } = event.data;
          if (await repo.cancel(eventId, stamp)) notifier.cancelled(eventId, { eventId, reason });
          return;
        }
        /*
         * A shopper's slot counts until their last live hold ends, even past the admission, so that a
         * payment begun late does not let another waiter in over the cap. It follows the expiries the
         * reservation service announces (at creation, then on each extension) rather than assuming every
         * hold may last HOLD_MAX_SECONDS from its creation: that would copy the reservation service's
         * ceiling into this service's config, where the two could drift apart, and a hold that is never
         * extended would keep its slot until the ceiling whenever its `reservation.expired` is late
         * (sweeper or relay behind), instead of freeing it at the expiry it really has.
         */
        case 'reservation.created':
        case 'reservation.extended': {
          const { eventId, userId, reservationId, expiresAt } = event.data;
          await repo.holdUntil(eventId, userId, reservationId, Date.parse(expiresAt));
          return;
        }
        case 'reservation.confirmed':
        case 'reservation.cancelled':
        case 'reservation.expired':
          await repo.holdEnded(
            event.data.eventId,
            event.data.userId,
            event.data.reservationId,
            event.type === 'reservation.confirmed',
          );
          return;
      }
    },
  };
}

export type WaitingRoom = ReturnType<typeof createWaitingRoom>;

/** Why a room's line leads nowhere any more, if it does not (a cancellation is told apart). */
function closedCode(settings: RoomSettings): QueueClosed['code'] | undefined {
  if (!settings.enabled) return 'WAITING_ROOM_OFF';
  if (settings.status === 'ended' || Date.now() >= settings.closesAt) return 'SALE_CLOSED';
  return undefined;
}

const CLOSED_DETAIL: Record<QueueClosed['code'], string> = {
  WAITING_ROOM_OFF: 'This event has no waiting room now: go straight to the seat map.',
  SALE_CLOSED: 'The sale for this event has closed: nobody more is let in.',
};

/** What a closed room is told, and what its join and status answer. */
export function closedNotice(eventId: string, code: QueueClosed['code']): QueueClosed {
  return { eventId, code, detail: CLOSED_DETAIL[code] };
}

function closedProblem(notice: QueueClosed): HttpProblem {
  return new HttpProblem(409, notice.code, notice.detail);
}

function eventCancelled(): HttpProblem {
  return new HttpProblem(409, 'EVENT_CANCELLED', 'This event was cancelled: its waiting room is closed.');
}

function settingsFromSaleInfo(info: EventSaleInfo): RoomSettings {
  return {
    enabled: info.waitingRoom.enabled,
    admissionRatePerMinute: info.waitingRoom.admissionRatePerMinute,
    maxActiveShoppers: info.waitingRoom.maxActiveShoppers,
    opensAt: Date.parse(info.saleOpensAt),
    closesAt: Date.parse(info.saleClosesAt),
    status: info.status,
  };
}

/** A 48-bit cryptographically random draw: the order of the arrivals before the opening. */
function randomDraw(): number {
  return randomBytes(6).readUIntBE(0, 6);
}
