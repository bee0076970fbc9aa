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

/** The bot defence's state in Redis: operators' difficulty per event and joins counted per second. */
export function challengeRepository(redis: Redis) {
  const scripts = redisScripts(redis, { challengeSaveSetting: { keys: 1, lua: saveSettingScript } });

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
    async countJoin(eventId: string, nowMs: number): Promise<void> {
      const key = joinsKey(eventId, Math.floor(nowMs / 1000));
      await redis.multi().incr(key).expire(key, COUNT_TTL_SECONDS).exec();
    },

    /** Joins per second over the last `seconds` whole seconds and the current one. */
    async joinsPerSecond(eventId: string, nowMs: number, seconds: number): Promise<number> {
      const now = Math.floor(nowMs / 1000);
      const keys = Array.from({ length: seconds + 1 }, (_, i) => joinsKey(eventId, now - i));
      const counts = await redis.mget(...keys);
      const total = counts.reduce((sum, count) => sum + Number(count ?? 0), 0);
      return total / seconds;
    },
  };
}

export type ChallengeRepository = ReturnType<typeof challengeRepository>;
