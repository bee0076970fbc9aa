import { QUEUE_GONE_SENT, type QueuePace, queueRedisKey } from '@tiketi/contracts';
import { type Redis, redisScripts } from '@tiketi/kit';
import {
  EVENT_KEYS,
  holdEndedScript,
  holdScript,
  joinScript,
  leaveScript,
  rateScript,
  releaseScript,
  settingsScript,
  statusScript,
  tickScript,
  touchScript,
} from './waiting-room.scripts.ts';

export type RoomSettings = {
  enabled: boolean;
  admissionRatePerMinute: number;
  maxActiveShoppers: number;
  opensAt: number;
  closesAt: number;
  status: string;
};

/** A place in line as stored; the domain turns it into what the client sees. */
export type StoredPlace = {
  created: boolean;
  queueId: string;
  joinedAt: number;
  state: 'waiting' | 'admitted';
  number: number | null;
  /** People ahead (0-based rank in the line), once numbers are drawn. */
  rank: number | null;
  admittedUntil: number | null;
  now: number;
  opened: boolean;
  /** The highest number admitted so far. */
  served: number;
  /** How fast the line moves now (what a waiter's estimate comes from). */
  pace: QueuePace;
};

export type Admission = { userId: string; number: number; waitedMs: number };

export type TickResult = {
  broadcast: boolean;
  opened: boolean;
  served: number;
  waiting: number;
  active: number;
  measuredRate: number;
  freed: number;
  dropped: number;
  peak: number;
  ratePerMinute: number;
  opensAt: number;
  pace: QueuePace;
  /** The sale has closed: nobody was admitted, and nobody will be. */
  closed: boolean;
  /** With a broadcast: the lowest queue numbers after `served` whose holders left the line. */
  gone: number[];
  admitted: Admission[];
};

/** One room's figures for operators, read in one MULTI so they belong together. */
export type RoomStats = {
  live: boolean;
  opened: boolean;
  waiting: number;
  active: number;
  peak: number;
  served: number;
  /** Admissions per second over the last minute. */
  measuredRate: number;
  settings: RoomSettings | undefined;
};

export type TickOptions = {
  admissionTtlMs: number;
  abandonGraceMs: number;
  /** How long an admitted user holding nothing may stay silent before the slot goes on (0: no limit). */
  admittedIdleMs: number;
  heartbeatMs: number;
  maxPerTick: number;
  /** Shortest gap between two progress broadcasts of one room. */
  progressGapMs: number;
  /** Most progress messages a second one room's broadcasts may send (a longer line hears less often). */
  progressPushesPerSecond: number;
};

/** What the leave script's answers mean. */
const LEFT = { 2: 'slot', 1: 'line', 0: 'nothing', [-1]: 'held', [-2]: 'unchecked' } as const;

const LIVE_EVENTS = 'queue:live-events';
/** How long shoppers stayed in the platform's latest sale that saw enough of them leave (ms). */
const SHOPPER_STAY = 'queue:shopper-stay';
const HISTORY_TTL_SECONDS = 30 * 24 * 3600;

function eventKeys(eventId: string): string[] {
  return EVENT_KEYS.map((name) => queueRedisKey(eventId, name));
}

/** Everything the waiting room keeps, in Redis; nothing else touches these keys. */
export function waitingRoomRepository(redis: Redis) {
  const keys = EVENT_KEYS.length;
  const scripts = redisScripts(redis, {
    queueJoin: { keys, lua: joinScript },
    queueStatus: { keys, lua: statusScript },
    queueTouch: { keys, lua: touchScript },
    queueRelease: { keys, lua: releaseScript },
    queueLeave: { keys, lua: leaveScript },
    queueHold: { keys, lua: holdScript },
    queueHoldEnded: { keys, lua: holdEndedScript },
    queueTick: { keys: keys + 1, lua: tickScript },
    queueRate: { keys, lua: rateScript },
    queueSettings: { keys: 2, lua: settingsScript },
  });
  // The prior for a room's wait estimate (0 while the platform has seen no sale): read once per
  // admission pass, so joins and status asks pay nothing for it.
  let shopperStayMs = 0;

  return {
    async settings(eventId: string): Promise<RoomSettings | 'cancelled' | undefined> {
      const raw = await redis.hgetall(eventKeys(eventId)[0] as string);
      return raw.status === 'cancelled' ? 'cancelled' : roomSettings(raw);
    },

    /** Applies settings stamped with the time of the change they come from; an older stamp loses. */
    async saveSettings(eventId: string, stamp: number, settings: RoomSettings): Promise<boolean> {
      const [settingsKey] = eventKeys(eventId);
      const applied = await scripts.queueSettings(
        settingsKey as string,
        LIVE_EVENTS,
        eventId,
        stamp,
        settings.status,
        settings.enabled ? '1' : '0',
        settings.admissionRatePerMinute,
        settings.maxActiveShoppers,
        settings.opensAt,
        settings.closesAt,
      );
      return applied === 1;
    },

    async cancel(eventId: string, stamp: number): Promise<boolean> {
      const [settingsKey] = eventKeys(eventId);
      return (
        (await scripts.queueSettings(settingsKey as string, LIVE_EVENTS, eventId, stamp, 'cancelled')) === 1
      );
    },

    async stats(eventId: string): Promise<RoomStats> {
      const keys = eventKeys(eventId);
      const [settingsKey, stateKey, preKey, , lineKey, , , activeKey] = keys as string[];
      const tx = redis.multi();
      // A defined command joins a transaction like any other; its typing does not say so.
      (tx as unknown as Record<'queueRate', (...args: string[]) => unknown>).queueRate(...keys);
      const replies = await tx
        .hgetall(settingsKey as string)
        .hmget(stateKey as string, 'opened', 'served', 'peak')
        .zcard(lineKey as string)
        .zcard(preKey as string)
        .zcard(activeKey as string)
        .sismember(LIVE_EVENTS, eventId)
        .exec();
      if (!replies) throw new Error('the stats transaction was aborted');
      for (const [error] of replies) if (error) throw error;
      const [rate, raw, state, line, pre, active, live] = replies.map(([, value]) => value) as [
        string,
        Record<string, string>,
        (string | null)[],
        number,
        number,
        number,
        number,
      ];
      const [opened, served, peak] = state;
      return {
        live: live === 1,
        opened: opened === '1',
        waiting: line + pre,
        active,
        peak: Number(peak ?? 0),
        served: Number(served ?? 0),
        measuredRate: Number(rate),
        settings: roomSettings(raw),
      };
    },

    /** Events whose waiting room runs now: the admission step visits these. */
    liveEvents(): Promise<string[]> {
      return redis.smembers(LIVE_EVENTS);
    },

    /** Reads how long shoppers stayed in recent sales, the estimate's starting point for a new room. */
    async refreshShopperStay(): Promise<void> {
      shopperStayMs = Number(await redis.get(SHOPPER_STAY)) || 0;
    },

    async join(eventId: string, userId: string, queueId: string, draw: number): Promise<StoredPlace> {
      const raw = await scripts.queueJoin(...eventKeys(eventId), userId, queueId, draw, shopperStayMs);
      const place = parsePlace(raw as unknown[]);
      if (!place) throw new Error('a place just taken is missing');
      return place;
    },

    async status(eventId: string, userId: string): Promise<StoredPlace | undefined> {
      return parsePlace(
        (await scripts.queueStatus(...eventKeys(eventId), userId, shopperStayMs)) as unknown[],
      );
    },

    /** Marks connected waiters as present (only those still waiting). */
    async touch(eventId: string, userIds: string[]): Promise<void> {
      if (userIds.length) await scripts.queueTouch(...eventKeys(eventId), ...userIds);
    },

    /** Frees a lapsed admission's slot; 'held' when a live hold of the user still counts it. */
    async releaseLapsed(eventId: string, userId: string): Promise<'freed' | 'absent' | 'held'> {
      const answer = await scripts.queueRelease(...eventKeys(eventId), userId);
      return answer === 1 ? 'freed' : answer === -1 ? 'held' : 'absent';
    },

    /**
     * The user leaves the room: their shopping slot or their place in line; 'held' while a hold counts it.
     * A slot no live hold is known of goes only when `noHolds` says the reservation service was asked and
     * knows none either; else the answer is 'unchecked' and nothing changes.
     */
    async leave(
      eventId: string,
      userId: string,
      noHolds: boolean,
    ): Promise<'slot' | 'line' | 'nothing' | 'held' | 'unchecked'> {
      const answer = await scripts.queueLeave(...eventKeys(eventId), userId, noHolds ? '1' : '0');
      return LEFT[answer as keyof typeof LEFT] ?? 'nothing';
    },

    /** Keeps an admitted user's slot counted until the hold expires; answers whether that moved. */
    async holdUntil(
      eventId: string,
      userId: string,
      reservationId: string,
      expiresAt: number,
    ): Promise<boolean> {
      return (await scripts.queueHold(...eventKeys(eventId), userId, reservationId, expiresAt)) === 1;
    },

    /**
     * The hold ended (`bought` when by a purchase): answers whether that freed the slot (no other live hold
     * of the user counts it, and the admission is over or was spent on a purchase).
     */
    async holdEnded(
      eventId: string,
      userId: string,
      reservationId: string,
      bought: boolean,
    ): Promise<boolean> {
      return (
        (await scripts.queueHoldEnded(...eventKeys(eventId), userId, reservationId, bought ? '1' : '0')) === 1
      );
    },

    async tick(eventId: string, options: TickOptions): Promise<TickResult> {
      const raw = (await scripts.queueTick(
        ...eventKeys(eventId),
        SHOPPER_STAY,
        options.admissionTtlMs,
        options.abandonGraceMs,
        options.heartbeatMs,
        options.maxPerTick,
        shopperStayMs,
        options.progressGapMs,
        HISTORY_TTL_SECONDS,
        options.progressPushesPerSecond,
        options.admittedIdleMs,
        QUEUE_GONE_SENT,
      )) as (string | number)[];
      const admitted: Admission[] = [];
      for (let i = 16; i + 2 < raw.length; i += 3) {
        admitted.push({ userId: String(raw[i]), number: Number(raw[i + 1]), waitedMs: Number(raw[i + 2]) });
      }
      return {
        broadcast: raw[0] === 1,
        opened: raw[1] === 1,
        served: Number(raw[2]),
        waiting: Number(raw[3]),
        active: Number(raw[4]),
        measuredRate: Number(raw[5]),
        freed: Number(raw[6]),
        dropped: Number(raw[7]),
        peak: Number(raw[8]),
        ratePerMinute: Number(raw[9]),
        opensAt: Number(raw[10]),
        pace: paceOf(raw[11], raw[12], raw[13]),
        closed: raw[14] === 1,
        gone: raw[15] ? String(raw[15]).split(',').map(Number) : [],
        admitted,
      };
    },

    /**
     * Takes a room out of the admission loop; true for the one caller that did (every instance steps
     * the live rooms), so that the room is told once.
     */
    async retire(eventId: string): Promise<boolean> {
      return (await redis.srem(LIVE_EVENTS, eventId)) === 1;
    },
  };
}

export type WaitingRoomRepository = ReturnType<typeof waitingRoomRepository>;

/** A room's settings as stored in its settings hash; undefined before any were stored. */
function roomSettings(raw: Record<string, string>): RoomSettings | undefined {
  if (raw.enabled === undefined) return undefined;
  return {
    enabled: raw.enabled === '1',
    admissionRatePerMinute: Number(raw.ratePerMinute),
    maxActiveShoppers: Number(raw.maxActive),
    opensAt: Number(raw.opensAt),
    closesAt: Number(raw.closesAt),
    status: raw.status ?? 'published',
  };
}

/** The scripts measure per second; clients read per minute. */
function paceOf(free: unknown, open: unknown, turnover: unknown): QueuePace {
  return {
    freeSlots: Number(free),
    openPerMinute: Number(open) * 60,
    turnoverPerMinute: Number(turnover) * 60,
  };
}

function parsePlace(raw: unknown[]): StoredPlace | undefined {
  const [found, record, number, rank, admittedUntil, now, opened, served, free, open, turnover, created] =
    raw;
  if (found !== 1 && found !== 2) return undefined;
  const [queueId, joinedAt] = String(record).split(':');
  return {
    created: created === 1,
    queueId: queueId as string,
    joinedAt: Number(joinedAt),
    state: found === 2 ? 'admitted' : 'waiting',
    number: number == null ? null : Number(number),
    rank: rank == null ? null : Number(rank),
    admittedUntil: admittedUntil == null ? null : Number(admittedUntil),
    now: Number(now),
    opened: opened === 1,
    served: Number(served),
    pace: paceOf(free, open, turnover),
  };
}
