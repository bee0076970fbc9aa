import { HOLD_UNDER_ADMISSION, type HoldResponse } from '@tiketi/contracts';
import {
  type AuthUser,
  HttpProblem,
  howMany,
  isUniqueViolation,
  type Logger,
  makeEnvelope,
  problems,
  verifyAdmissionToken,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { AdmissionRegister } from '../cache/admissions.ts';
import type { SeatLocks } from '../cache/seat-locks.ts';
import type { HeldSeat, ReservationRepository } from '../db/reservation.repository.ts';
import type { Reservation } from '../db/schema.ts';
import type { StandingRepository } from '../db/standing.repository.ts';
import { assertEmailVerified, assertMayBuy } from './buyer-rules.ts';
import type { SyncRedis } from './redis-sync.ts';
import { assertOnSale, type SaleInfo, type SaleInfoSource } from './sale-info.ts';

export type HoldRules = {
  holdTtlSeconds: number;
  maxSeatsPerRequest: number;
  /** How often an account may let holds of one seat end unpaid within `windowMs` (0: no limit). */
  unpaid: { limit: number; windowMs: number };
  queueTokenSecret: string;
};

export type HoldRequest = {
  eventId: string;
  seatIds: string[];
  /** Places held by count in standing areas, besides `seatIds`. */
  standing?: { section: string; quantity: number }[] | undefined;
  /** The request by count these picked places answer: a retry is compared with it. */
  placesOf?: HoldRequest;
  queueToken: string | undefined;
  idempotencyKey: string | undefined;
};

export type HoldOutcome = { answer: HoldResponse; created: boolean };

/** How many times places taken by someone else in between are picked again before saying so. */
const PLACE_PICKS = 4;

/** Holding seats, and places of standing areas by count: the hot path of a ticket drop. */
export function holdService(deps: {
  reservations: ReservationRepository;
  standing: StandingRepository;
  sales: SaleInfoSource;
  locks: SeatLocks | undefined;
  admissions: AdmissionRegister;
  syncRedis: SyncRedis;
  rules: HoldRules;
  logger: Logger;
}) {
  const { reservations, standing, sales, locks, admissions, syncRedis, rules, logger } = deps;

  function holdAnswer(r: Pick<Reservation, 'id' | 'expiresAt' | 'amount'>): HoldResponse {
    return { reservationId: r.id, expiresAt: r.expiresAt.toISOString(), amount: r.amount };
  }

  async function replay(userId: string, key: string, request: HoldRequest) {
    const existing = await reservations.findByIdempotencyKey(userId, key);
    if (!existing) return undefined;
    const seats = await reservations.seatsOf([existing.id]);
    const same =
      existing.eventId === request.eventId &&
      (await sameSeats(
        existing.eventId,
        seats.map((s) => s.seatId),
        request.placesOf ?? request,
      ));
    if (!same) {
      throw problems.unprocessable(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different reservation request.',
      );
    }
    return holdAnswer(existing);
  }

  /** The seats asked for by id, and as many places in each standing area as asked (whichever they are). */
  async function sameSeats(eventId: string, seatIds: string[], request: HoldRequest): Promise<boolean> {
    const places = request.standing ?? [];
    const wanted = request.seatIds.length + places.reduce((sum, p) => sum + p.quantity, 0);
    if (seatIds.length !== wanted || !request.seatIds.every((id) => seatIds.includes(id))) return false;
    if (places.length === 0) return true;
    const sections = await standing.sectionsOf(
      eventId,
      seatIds.filter((id) => !request.seatIds.includes(id)),
    );
    return places.every(
      (p) => [...sections.values()].filter((section) => section === p.section).length === p.quantity,
    );
  }

  /**
   * Holds places by count: picks free places of each area, then holds them with the seats asked for by id
   * like any seats. Places someone else took in between are picked again, a few times.
   */
  async function holdPlaces(caller: AuthUser, request: HoldRequest): Promise<HoldOutcome> {
    const places = request.standing ?? [];
    if (new Set(places.map((p) => p.section)).size !== places.length) {
      throw problems.badRequest('standing names the same area more than once.', [
        { field: 'body.standing', message: 'names the same area more than once' },
      ]);
    }
    const key = request.idempotencyKey;
    if (key) {
      const previous = await replay(caller.id, key, request);
      if (previous) return { answer: previous, created: false };
    }
    const areas = await standing.areas(request.eventId);
    const notStanding = places.filter((p) => !areas.has(p.section)).map((p) => p.section);
    if (notStanding.length) {
      throw problems.unprocessable(
        'NOT_STANDING_AREA',
        'These sections are not standing areas of this event.',
        {
          sections: notStanding,
        },
      );
    }
    // Places refused so far (taken by others meanwhile, or left for others): not picked again.
    const excluded: string[] = [];
    let refusal: HttpProblem | undefined;
    for (let attempt = 1; ; attempt++) {
      const picked: string[] = [];
      for (const p of places) {
        const ids = await standing.pick(request.eventId, p.section, p.quantity, {
          userId: caller.id,
          windowMs: rules.unpaid.windowMs,
          excluded,
          capacity: areas.get(p.section)?.capacity ?? 1,
        });
        if (ids.length < p.quantity) {
          // The places left are the ones this fan was refused: say why, not that the area sold out.
          if (refusal?.code === 'SEATS_LEFT_FOR_OTHERS') throw refusal;
          throw problems.conflict(
            'STANDING_SOLD_OUT',
            ids.length === 0
              ? `No places are left in ${p.section}.`
              : `Only ${howMany(ids.length, 'place is', 'places are')} left in ${p.section}.`,
            { section: p.section, left: ids.length },
          );
        }
        picked.push(...ids);
      }
      try {
        return await hold(caller, {
          ...request,
          seatIds: [...request.seatIds, ...picked],
          standing: undefined,
          placesOf: request,
        });
      } catch (error) {
        // Places taken meanwhile, or left for others (this fan let them go unpaid twice): pick others.
        const taken =
          error instanceof HttpProblem && ['SEATS_TAKEN', 'SEATS_LEFT_FOR_OTHERS'].includes(error.code);
        const refused = taken ? ((error.extra?.seatIds ?? []) as string[]) : [];
        const onlyPlaces = taken && refused.every((id) => picked.includes(id));
        if (!onlyPlaces || attempt >= PLACE_PICKS) throw error;
        excluded.push(...refused);
        refusal = error;
      }
    }
  }

  async function takenAnswer(eventId: string, seatIds: string[], held: HeldSeat[]): Promise<HttpProblem> {
    const known = await reservations.existingSeatIds(eventId, seatIds);
    const unknown = seatIds.filter((id) => !known.has(id));
    if (unknown.length) {
      return problems.unprocessable('UNKNOWN_SEATS', 'Some seats are not seats of this event.', {
        seatIds: unknown,
      });
    }
    const heldIds = new Set(held.map((s) => s.id));
    return seatsTaken(seatIds.filter((id) => !heldIds.has(id)));
  }

  /** 'taken' (with the refused seats) when Redis turned the request away; 'skipped' when locks are off or down. */
  async function acquireLocks(
    eventId: string,
    seatIds: string[],
    owner: string,
  ): Promise<{ state: 'locked' | 'skipped' } | { state: 'taken'; taken: string[] }> {
    if (!locks) return { state: 'skipped' };
    try {
      const taken = await locks.acquire(eventId, seatIds, owner);
      return taken.length ? { state: 'taken', taken } : { state: 'locked' };
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'seat locks unavailable; the database decides alone');
      return { state: 'skipped' };
    }
  }

  /**
   * Holds seats for the caller: a proved email address, sale open, admission token for a queued event,
   * per-user limit, Redis locks as the fast path, then one transaction in PostgreSQL that holds all seats
   * or none.
   */
  async function hold(caller: AuthUser, request: HoldRequest): Promise<HoldOutcome> {
    assertMayBuy(caller);
    assertEmailVerified(caller);
    if (request.standing?.length) return holdPlaces(caller, request);
    const { eventId, seatIds } = request;
    if (new Set(seatIds).size !== seatIds.length) {
      throw problems.badRequest('seatIds has the same seat more than once.', [
        { field: 'body.seatIds', message: 'has the same seat more than once' },
      ]);
    }
    if (seatIds.length > rules.maxSeatsPerRequest) {
      throw problems.badRequest(`At most ${rules.maxSeatsPerRequest} seats can be held at once.`, [
        { field: 'body.seatIds', message: `has more than ${rules.maxSeatsPerRequest} seats` },
      ]);
    }
    const key = request.idempotencyKey;
    // A retried request whose first attempt won answers that attempt's reservation, not a refusal. It is
    // looked up only when this attempt cannot hold (a refusal below, the seats taken, the key's unique
    // index): a first attempt, the hot path of a drop, spends no query on it.
    const replayed = async () => {
      const again = key ? await replay(caller.id, key, request) : undefined;
      return again ? { answer: again, created: false } : undefined;
    };
    let sale: SaleInfo;
    try {
      const found = await sales.get(eventId);
      if (!found) throw problems.notFound('The event');
      sale = found;
      assertOnSale(sale, new Date());
      if (sale.waitingRoom.enabled) {
        await verifyAdmissionToken(rules.queueTokenSecret, request.queueToken, caller.id, eventId);
        if (!(await admissions.isLive(eventId, caller.id))) throw admissionEnded();
      }
      if (seatIds.length > sale.perUserLimit) throw limitExceeded(sale.perUserLimit);
    } catch (error) {
      const again = error instanceof HttpProblem ? await replayed() : undefined;
      if (again) return again;
      throw error;
    }

    const reservationId = uuidv7();
    const locked = await acquireLocks(eventId, seatIds, reservationId);
    const unlock = async () => {
      if (locked.state === 'locked') await locks?.release(seatIds, reservationId).catch(() => undefined);
    };
    if (locked.state === 'taken') {
      const again = await replayed();
      if (again) return again;
      throw seatsTaken(locked.taken);
    }
    const expiresAt = new Date(Date.now() + rules.holdTtlSeconds * 1000);
    let result: Awaited<ReturnType<ReservationRepository['hold']>>;
    try {
      result = await reservations.hold({
        reservationId,
        userId: caller.id,
        eventId,
        seatIds,
        expiresAt,
        idempotencyKey: key ?? null,
        perUserLimit: sale.perUserLimit,
        unpaid: rules.unpaid,
        // The amount is the seats' price sum, which only the hold statement knows: it fills it in. A hold
        // made under an admission is tagged so: the waiting room hears no other.
        announcement: makeEnvelope(
          'reservation.created',
          {
            reservationId,
            eventId,
            userId: caller.id,
            seatIds,
            amount: 0,
            expiresAt: expiresAt.toISOString(),
          },
          { tag: sale.waitingRoom.enabled ? HOLD_UNDER_ADMISSION : undefined },
        ),
      });
    } catch (error) {
      await unlock();
      if (isUniqueViolation(error)) {
        const again = await replayed();
        if (again) return again;
      }
      if (isUniqueViolation(error, 'reservation_seats_one_active')) {
        throw await takenAnswer(eventId, seatIds, []);
      }
      throw error;
    }
    if (!result.created) {
      await unlock();
      const again = await replayed();
      if (again) return again;
      // The statement's own read of the sale: a cancellation may have come after the cached one above.
      if (!result.onSale) {
        throw new HttpProblem(409, 'EVENT_NOT_ON_SALE', 'This event is not on sale any more.');
      }
      if (result.spun) throw leftForOthers(rules.unpaid.limit, result.spun);
      if (result.active + seatIds.length > sale.perUserLimit) {
        throw limitExceeded(sale.perUserLimit, result.active);
      }
      throw await takenAnswer(eventId, seatIds, result.held);
    }
    const held = result.held;
    await syncRedis({
      seats: held.map((s) => ({ id: s.id, eventId, status: 'held', version: s.version })),
      unlock: new Map(),
    });
    const amount = held.reduce((sum, s) => sum + s.price, 0);
    return { answer: holdAnswer({ id: reservationId, expiresAt, amount }), created: true };
  }

  return { hold };
}

export type HoldService = ReturnType<typeof holdService>;

function seatsTaken(seatIds: string[]) {
  return problems.conflict('SEATS_TAKEN', 'Some of these seats were just taken by someone else.', {
    seatIds,
  });
}

/**
 * Seat spinning: holds let lapse or given back only for the same account to take the seats again keep them
 * from every other fan. A fan who fumbled a payment may take the seats back; past that they go to the others.
 */
function leftForOthers(limit: number, spun: { seatIds: string[]; until: Date }) {
  const seconds = Math.max(1, Math.ceil((spun.until.getTime() - Date.now()) / 1000));
  const minutes = Math.ceil(seconds / 60);
  return new HttpProblem(
    409,
    'SEATS_LEFT_FOR_OTHERS',
    `Your holds of some of these seats ended unpaid ${limit} times lately: they are left for other fans for ${howMany(minutes, 'minute', 'minutes')}. Choose other seats.`,
    { headers: { 'retry-after': String(seconds) }, extra: { seatIds: spun.seatIds, limit, minutes } },
  );
}

function limitExceeded(limit: number, active = 0) {
  return problems.conflict(
    'PER_USER_LIMIT',
    `At most ${limit} seats per person for this event${active ? ` (you already hold ${active})` : ''}.`,
    { limit, active },
  );
}

function admissionEnded(): HttpProblem {
  return new HttpProblem(
    403,
    'QUEUE_ADMISSION_ENDED',
    'Your admission has ended (its purchase is over, it was cancelled or it lapsed): join the waiting room again.',
  );
}
