import { type Redis, redisScripts } from '@tiketi/kit';
import { seatCacheKeys } from './seat-cache.ts';

/** The lock of one seat while a hold of it is under way. */
export const seatLockKey = (seatId: string) => `lock:seat:${seatId}`;

/**
 * Takes every lock or none (`SET lock:seat:{id} <reservation> NX EX ttl` per seat), after turning away
 * seats the seat cache already shows as held or sold. Answers the seats that were refused.
 * KEYS: the event's seat-state hash, then one lock key per seat; ARGV: owner, ttl, seat ids.
 */
const ACQUIRE = `
local taken = {}
for i = 3, #ARGV do
  local state = redis.call('HGET', KEYS[1], ARGV[i])
  if state and string.sub(state, 1, 1) ~= 'a' then taken[#taken + 1] = ARGV[i] end
end
if #taken > 0 then return taken end
local got = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'EX', ARGV[2]) then
    got[#got + 1] = KEYS[i]
  else
    taken[#taken + 1] = ARGV[i + 1]
  end
end
if #taken > 0 then
  for _, key in ipairs(got) do redis.call('DEL', key) end
end
return taken
`;

/** Deletes the locks still owned by this reservation (never someone else's). */
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
`;

/**
 * The Redis seat locks: a fast filter that turns most losers of a popular seat away before they reach
 * the database. Never the guard itself: PostgreSQL decides, whatever these say.
 */
export function seatLocks(redis: Redis, ttlSeconds: number) {
  const scripts = redisScripts(redis, {
    reservationSeatLockAcquire: { lua: ACQUIRE },
    reservationSeatLockRelease: { lua: RELEASE },
  });
  return {
    async acquire(eventId: string, seatIds: string[], owner: string): Promise<string[]> {
      const keys = [seatCacheKeys.states(eventId), ...seatIds.map(seatLockKey)];
      return (await scripts.reservationSeatLockAcquire(
        keys.length,
        ...keys,
        owner,
        ttlSeconds,
        ...seatIds,
      )) as string[];
    },
    async release(seatIds: string[], owner: string): Promise<void> {
      if (seatIds.length)
        await scripts.reservationSeatLockRelease(seatIds.length, ...seatIds.map(seatLockKey), owner);
    },
  };
}

export type SeatLocks = ReturnType<typeof seatLocks>;
