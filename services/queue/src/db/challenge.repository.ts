import { type Redis, redisScripts } from '@tiketi/kit';

/** Applies an event's difficulty only when its stamp (the time of the change) is newer than what is kept. */
const saveSettingScript = `
local kept = tonumber(redis.call('HGET', KEYS[1], 'stamp') or '-1')
if kept >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'stamp', ARGV[1], 'maxNumber', ARGV[2])
return 1
`;

/** Seconds a per-second join count is kept: longer than any window the rule reads. */
const COUNT_TTL_SECONDS = 60;

const settingKey = (eventId: string) => `challenge:{${eventId}}:settings`;
const joinsKey = (eventId: string, second: number) => `challenge:{${eventId}}:joins:${second}`;

/** How long joins are counted in this process before they are added to Redis in one write per second. */
const COUNT_FLUSH_MS = 250;

/**
 * The bot defence's state in Redis: operators' difficulty per event and joins counted per second. Joins
 * are counted in this process and added to Redis every COUNT_FLUSH_MS: a drop brings thousands of joins a
 * second, and the spike rule needs their rate, not a Redis write for each. This instance's counts not yet
 * written are added to what it reads; the other instances' reach it within COUNT_FLUSH_MS.
 */
export function challengeRepository(redis: Redis) {
  const scripts = redisScripts(redis, { challengeSaveSetting: { keys: 1, lua: saveSettingScript } });
  /** Joins not yet written, per event and then per counter key (one event's keys share a hash slot). */
  const pending = new Map<string, Map<string, number>>();
  let flushing: NodeJS.Timeout | undefined;

  function flush(): Promise<unknown> {
    flushing = undefined;
    const writes = [...pending.values()].map((counts) => {
      const batch = redis.multi();
      for (const [key, count] of counts) batch.incrby(key, count).expire(key, COUNT_TTL_SECONDS);
      // A rate signal: a write lost to a Redis outage only lowers the difficulty for a moment.
      return batch.exec().catch(() => undefined);
    });
    pending.clear();
    return Promise.all(writes);
  }

  return {
    /** The operator's base difficulty for the event; null when none was set (or no event told us yet). */
    async maxNumber(eventId: string): Promise<number | null> {
      const kept = await redis.hget(settingKey(eventId), 'maxNumber');
      return kept ? Number(kept) : null;
    },

    async saveMaxNumber(eventId: string, stamp: number, maxNumber: number | null): Promise<void> {
      await scripts.challengeSaveSetting(
        settingKey(eventId),
        stamp,
        maxNumber === null ? '' : String(maxNumber),
      );
    },

    /** One more join with a redeemed solution, counted in the current second. */
    countJoin(eventId: string, nowMs: number): void {
      const key = joinsKey(eventId, Math.floor(nowMs / 1000));
      const counts = pending.get(eventId) ?? new Map<string, number>();
      pending.set(eventId, counts);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      flushing ??= setTimeout(() => void flush(), COUNT_FLUSH_MS).unref();
    },

    /** Joins per second over the last `seconds` whole seconds and the current one. */
    async joinsPerSecond(eventId: string, nowMs: number, seconds: number): Promise<number> {
      const now = Math.floor(nowMs / 1000);
      const keys = Array.from({ length: seconds + 1 }, (_, i) => joinsKey(eventId, now - i));
      const counts = await redis.mget(...keys);
      const unwritten = pending.get(eventId);
      const total = counts.reduce(
        (sum, count, i) => sum + Number(count ?? 0) + (unwritten?.get(keys[i] as string) ?? 0),
        0,
      );
      return total / seconds;
    },

    /** Writes what is counted now (on shutdown), before the connection closes. */
    async flushJoinCounts(): Promise<void> {
      clearTimeout(flushing);
      await flush();
    },
  };
}

export type ChallengeRepository = ReturnType<typeof challengeRepository>;
