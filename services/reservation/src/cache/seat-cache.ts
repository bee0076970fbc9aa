import { createHash } from 'node:crypto';
import { type Logger, type Redis, redisScripts } from '@tiketi/kit';
import type { SeatChange, SeatStatus } from '../db/schema.ts';

export type SeatLayout = {
  id: string;
  label: string;
  section: string;
  row: string;
  number: number;
  x: number;
  y: number;
  tierId: string;
  price: number;
};
export type SeatState = SeatLayout & { status: SeatStatus; version: number };

const CODE: Record<SeatStatus, string> = { available: 'a', held: 'h', sold: 's' };
const STATUS: Record<string, SeatStatus> = { a: 'available', h: 'held', s: 'sold' };
const COMPLETE = '__complete';
const LAYOUT = '__layout';
const EPOCH = '__epoch';
const GEN = '__gen';
/** Seats per call of the APPLY script (three arguments each). */
const WRITE_CHUNK = 2_000;

/** A version of an event's layout: the same seats, places and prices give the same version anywhere. */
export function layoutVersionOf(layout: SeatLayout[]): string {
  return createHash('sha256').update(JSON.stringify(layout)).digest('base64url').slice(0, 16);
}

/** What the states hash says without its seats: whether it is whole, of which layout and generation. */
export type StatesHead = { layoutVersion: string; generation: string };

/**
 * Writes seat states only when newer than what the cache has (by the seat row's version), so updates
 * from several instances arriving out of order, or racing a rebuild, never bring back an older state.
 * With ARGV[2] = 1 it also marks the hash complete (a full rebuild of layout version ARGV[3]); readers
 * trust only a complete hash. Every call moves the hash's generation (`__epoch`.`__gen`): a rebuild
 * starts a new epoch from the server's clock, each change counts one up, so two different contents of
 * the hash never share a generation and a copy made from one generation is current while it stays.
 */
const APPLY = `
local ttl = tonumber(ARGV[1])
for i = 4, #ARGV, 3 do
  local seat, state, version = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local current = redis.call('HGET', KEYS[1], seat)
  if not current or tonumber(string.sub(current, 3)) < version then
    redis.call('HSET', KEYS[1], seat, state .. ':' .. version)
  end
end
if ARGV[2] == '1' then
  local now = redis.call('TIME')
  redis.call('HSET', KEYS[1], '${COMPLETE}', '1', '${LAYOUT}', ARGV[3], '${EPOCH}', now[1] .. '-' .. now[2], '${GEN}', 0)
  redis.call('EXPIRE', KEYS[1], ttl)
else
  redis.call('HINCRBY', KEYS[1], '${GEN}', 1)
  if redis.call('TTL', KEYS[1]) == -1 then
    redis.call('EXPIRE', KEYS[1], ttl)
  end
end
return 1
`;

export const seatCacheKeys = {
  /** Seat states of an event (the seed's cached_seats:event_{id}): seatId → "<a|h|s>:<version>". */
  states: (eventId: string) => `cached_seats:event_${eventId}`,
  /** The event's seats without their state: changes only when the event is published again. */
  layout: (eventId: string) => `seat_layout:event_${eventId}`,
};

/**
 * The seat map in Redis, kept correct on every change (write-through after each commit, ordered by
 * version) and rebuilt from the database whenever it is missing, incomplete or past its TTL.
 */
export function seatCache(redis: Redis, options: { ttlSeconds: number; logger: Logger }) {
  const { ttlSeconds, logger } = options;
  const scripts = redisScripts(redis, { reservationSeatCacheApply: { keys: 1, lua: APPLY } });

  /**
   * In calls of WRITE_CHUNK seats: a 60,000-seat rebuild in one call was 180,000 arguments, more than a
   * JavaScript call can take, so the cache of a large event was never built and every read went to the
   * database. Only the last call of a rebuild marks the hash complete; the states are ordered by version,
   * so a change applied between two calls is never undone.
   */
  async function write(
    eventId: string,
    seats: { id: string; status: SeatStatus; version: number }[],
    layoutVersion: string | undefined,
  ) {
    for (let start = 0; start === 0 || start < seats.length; start += WRITE_CHUNK) {
      const last = start + WRITE_CHUNK >= seats.length;
      const complete = last && layoutVersion;
      const args: (string | number)[] = [ttlSeconds, complete ? '1' : '0', complete ? layoutVersion : ''];
      for (const s of seats.slice(start, start + WRITE_CHUNK)) args.push(s.id, CODE[s.status], s.version);
      await scripts.reservationSeatCacheApply(seatCacheKeys.states(eventId), ...args);
    }
  }

  return {
    /** The cached seat map, or undefined when it must be rebuilt. */
    async read(eventId: string): Promise<SeatState[] | undefined> {
      try {
        const [layoutRes, statesRes] = (await redis
          .pipeline()
          .get(seatCacheKeys.layout(eventId))
          .hgetall(seatCacheKeys.states(eventId))
          .exec()) as [[Error | null, string | null], [Error | null, Record<string, string>]];
        const layout = layoutRes[1];
        const states = statesRes[1];
        if (layoutRes[0] || statesRes[0] || !layout || !states?.[COMPLETE]) return undefined;
        const seats = JSON.parse(layout) as SeatLayout[];
        const result: SeatState[] = [];
        for (const seat of seats) {
          const state = states[seat.id];
          if (!state) return undefined;
          result.push({
            ...seat,
            status: STATUS[state[0] as string] ?? 'available',
            version: Number(state.slice(2)),
          });
        }
        return result;
      } catch (error) {
        logger.warn({ err: (error as Error).message, eventId }, 'seat cache read failed');
        return undefined;
      }
    },

    /** The head of a complete states hash (one small read), or undefined when it must be rebuilt. */
    async head(eventId: string): Promise<StatesHead | undefined> {
      try {
        const [complete, layoutVersion, epoch, gen] = await redis.hmget(
          seatCacheKeys.states(eventId),
          COMPLETE,
          LAYOUT,
          EPOCH,
          GEN,
        );
        if (!complete || !layoutVersion || !epoch) return undefined;
        return { layoutVersion, generation: `${epoch}.${gen ?? 0}` };
      } catch (error) {
        logger.warn({ err: (error as Error).message, eventId }, 'seat cache read failed');
        return undefined;
      }
    },

    /**
     * Every seat state of a complete hash with its head, read at one instant (the hash changes only
     * through atomic scripts), or undefined when it must be rebuilt.
     */
    async states(
      eventId: string,
    ): Promise<{ head: StatesHead; states: (seatId: string) => SeatStatus | undefined } | undefined> {
      try {
        const all = await redis.hgetall(seatCacheKeys.states(eventId));
        const layoutVersion = all[LAYOUT];
        if (!all[COMPLETE] || !layoutVersion || !all[EPOCH]) return undefined;
        return {
          head: { layoutVersion, generation: `${all[EPOCH]}.${all[GEN] ?? 0}` },
          states: (seatId) => {
            const state = all[seatId];
            return state ? STATUS[state[0] as string] : undefined;
          },
        };
      } catch (error) {
        logger.warn({ err: (error as Error).message, eventId }, 'seat cache read failed');
        return undefined;
      }
    },

    /** The cached layout of an event, or undefined when it must be rebuilt. */
    async layout(eventId: string): Promise<SeatLayout[] | undefined> {
      try {
        const layout = await redis.get(seatCacheKeys.layout(eventId));
        return layout ? (JSON.parse(layout) as SeatLayout[]) : undefined;
      } catch (error) {
        logger.warn({ err: (error as Error).message, eventId }, 'seat cache read failed');
        return undefined;
      }
    },

    async store(eventId: string, seats: SeatState[]): Promise<void> {
      try {
        const layout: SeatLayout[] = seats.map(({ status: _s, version: _v, ...rest }) => rest);
        await redis.set(seatCacheKeys.layout(eventId), JSON.stringify(layout), 'EX', ttlSeconds);
        await write(eventId, seats, layoutVersionOf(layout));
      } catch (error) {
        logger.warn({ err: (error as Error).message, eventId }, 'seat cache rebuild failed');
      }
    },

    /** Records committed seat changes; a failure only leaves the cache to its TTL, never the database. */
    async apply(changes: SeatChange[]): Promise<void> {
      const byEvent = new Map<string, SeatChange[]>();
      for (const c of changes) byEvent.set(c.eventId, [...(byEvent.get(c.eventId) ?? []), c]);
      await Promise.all(
        [...byEvent].map(async ([eventId, seats]) => {
          try {
            await write(eventId, seats, undefined);
          } catch (error) {
            logger.warn({ err: (error as Error).message, eventId }, 'seat cache update failed; dropping it');
            await redis.del(seatCacheKeys.states(eventId)).catch(() => undefined);
          }
        }),
      );
    },

    /** Drops an event's seat map (its layout changed); the next read rebuilds it. */
    async invalidate(eventId: string): Promise<void> {
      await redis.del(seatCacheKeys.layout(eventId), seatCacheKeys.states(eventId));
    },
  };
}

export type SeatCache = ReturnType<typeof seatCache>;
