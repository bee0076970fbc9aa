import { type Redis, redisScripts } from '@tiketi/kit';
import {
  counterKey,
  type Dimension,
  hourField,
  type Increment,
  type Metric,
  visitorsKey,
} from '../domain/counters.ts';
import { dayKey, hourKey } from '../domain/kst.ts';

/**
 * Redis side of analytics. Every increment is written twice in one atomic script: to the live day
 * counter (the seed's key, read by the dashboard, expiring after a few days) and to the hash of its
 * hour (`hour:{yyyymmddhh}`), which the rollup job moves into PostgreSQL exactly once.
 *
 * Idempotency: the script first adds the id of what is being counted (an event envelope id, or a
 * client's event id) to `seen:{yyyymmdd}` and does nothing when it was already there. The service-event
 * consumers call it inside their inbox transaction, before commit: if the commit then fails, the
 * redelivered event runs the handler again and the script refuses the second increment; if the commit
 * succeeds, the inbox absorbs the redelivery. Neither path can count twice, and the id set outlives any
 * realistic redelivery (SEEN_TTL).
 */
const RECORD = `
local id = ARGV[1]
if id ~= '' then
  if redis.call('SADD', KEYS[1], id) == 0 then return 0 end
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local n = tonumber(ARGV[5])
local h = tonumber(ARGV[6])
for i = 1, n do
  local amount = ARGV[8 + n + i]
  redis.call('INCRBY', KEYS[5 + i], amount)
  redis.call('EXPIRE', KEYS[5 + i], ARGV[3])
  redis.call('HINCRBY', KEYS[2], ARGV[8 + i], amount)
end
if n > 0 then redis.call('SADD', KEYS[3], ARGV[4]) end
if ARGV[7] ~= '' then
  redis.call('SADD', KEYS[4], ARGV[7])
  redis.call('EXPIRE', KEYS[4], ARGV[3])
end
for j = 1, h do
  redis.call('PFADD', KEYS[5 + n + j], ARGV[8])
  redis.call('EXPIRE', KEYS[5 + n + j], ARGV[3])
  redis.call('SADD', KEYS[5], ARGV[8 + 2 * n + j])
end
return 1
`;

/** Fixed window: returns the count in the window and the milliseconds left in it. */
const RATE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }
`;

/**
 * Moves an hour's hash to a uniquely named staging key and records it as pending, atomically: an
 * increment lands either before the move (and is in the staging key) or after (and recreates the hour's
 * hash and its entry in the hours set, for the next run). Nothing is lost between read and delete.
 */
const STAGE = `
redis.call('SREM', KEYS[4], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

const HOURS = 'hours';
const PENDING = 'rollup:pending';
const VISITOR_INDEX = 'visitors:index';
const SEEN_TTL_SECONDS = 8 * 86_400;

export type RecordInput = {
  /** Counted once per id; without one, every call counts. */
  id?: string | undefined;
  /** Business time of what is counted: picks the Seoul day and the hour. */
  at: Date;
  increments: Increment[];
  /** Adds the visitor to the day's unique-visitor HyperLogLog of each artist. */
  visitor?: { id: string; artistIds: string[] } | undefined;
  /** Marks an event as active on the day (the dashboard lists the day's events from it). */
  activeEventId?: string | undefined;
};

export type StagedBatch = { name: string; fields: Record<string, string> };

export function counterStore(redis: Redis, options: { counterTtlSeconds: number }) {
  const activeKey = (day: string) => `events:${day}`;
  const stagingPrefix = 'rollup:staging:';
  const scripts = redisScripts(redis, {
    analyticsRecord: { lua: RECORD },
    analyticsRate: { keys: 1, lua: RATE },
    analyticsStage: { keys: 4, lua: STAGE },
  });

  return {
    /** Returns false when this id was already counted. */
    async record(input: RecordInput): Promise<boolean> {
      const day = dayKey(input.at);
      const hour = hourKey(input.at);
      const increments = input.increments.filter((i) => i.amount !== 0);
      const artists = input.visitor ? [...new Set(input.visitor.artistIds)] : [];
      const keys = [
        `seen:${day}`,
        `hour:${hour}`,
        HOURS,
        activeKey(day),
        VISITOR_INDEX,
        ...increments.map((i) => counterKey(i.metric, i.dimension, day)),
        ...artists.map((a) => visitorsKey(a, day)),
      ];
      const args = [
        input.id ?? '',
        SEEN_TTL_SECONDS,
        options.counterTtlSeconds,
        hour,
        increments.length,
        artists.length,
        input.activeEventId ?? '',
        input.visitor?.id ?? '',
        ...increments.map((i) => hourField(i.metric, i.dimension)),
        ...increments.map((i) => i.amount),
        ...artists.map((a) => `${a}|${day}`),
      ];
      const result = await scripts.analyticsRecord(keys.length, ...keys, ...args);
      return result === 1;
    },

    /** Counts a hit in a fixed window; `allowed` is false past the limit. */
    async hit(key: string, limit: number, windowMs: number) {
      const [count, ttl] = (await scripts.analyticsRate(`rate:${key}`, windowMs)) as [number, number];
      return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    },

    /** Live value of day counters (0 when absent). */
    async values(counters: { metric: Metric; dimension: Dimension; day: string }[]): Promise<number[]> {
      if (counters.length === 0) return [];
      const raw = await redis.mget(...counters.map((c) => counterKey(c.metric, c.dimension, c.day)));
      return raw.map((v) => (v === null ? 0 : Number(v)));
    },

    /** Adds a session to those an address used on a day; answers how many that makes (estimated). */
    async sessionsFrom(address: string, day: string, sessionId: string): Promise<number> {
      const key = `sessions:${day}:${address}`;
      const replies = await redis
        .multi()
        .pfadd(key, sessionId)
        .expire(key, 2 * 86_400)
        .pfcount(key)
        .exec();
      return Number(replies?.[2]?.[1] ?? 0);
    },

    async uniqueVisitors(artistId: string, day: string): Promise<number> {
      return redis.pfcount(visitorsKey(artistId, day));
    },

    async activeEvents(day: string): Promise<string[]> {
      return redis.smembers(activeKey(day));
    },

    /** Hours (`yyyymmddhh`) whose increments are still in Redis. */
    async pendingHours(): Promise<string[]> {
      return redis.smembers(HOURS);
    },

    /** Moves an hour's increments to a new staging batch; undefined when the hour had none. */
    async stageHour(hour: string, batchId: string): Promise<string | undefined> {
      const name = `${stagingPrefix}${hour}:${batchId}`;
      const moved = await scripts.analyticsStage(`hour:${hour}`, name, PENDING, HOURS, hour, name);
      return moved === 1 ? name : undefined;
    },

    /** Staging batches not yet deleted: new ones, and any a crashed run left behind. */
    async stagedBatches(): Promise<StagedBatch[]> {
      const names = await redis.smembers(PENDING);
      const batches: StagedBatch[] = [];
      for (const name of names) batches.push({ name, fields: await redis.hgetall(name) });
      return batches;
    },

    async dropBatch(name: string): Promise<void> {
      await redis.multi().del(name).srem(PENDING, name).exec();
    },

    /** The hour a staging batch holds (its name is `rollup:staging:{yyyymmddhh}:{id}`). */
    hourOfBatch(name: string): string {
      return name.slice(stagingPrefix.length).split(':')[0] ?? '';
    },

    /** Artist-days with a unique-visitor HyperLogLog, as `{artistId, day}`. */
    async visitorDays(): Promise<{ artistId: string; day: string }[]> {
      const members = await redis.smembers(VISITOR_INDEX);
      return members.map((m) => {
        const [artistId, day] = m.split('|') as [string, string];
        return { artistId, day };
      });
    },

    async dropVisitors(artistId: string, day: string): Promise<void> {
      await redis.multi().del(visitorsKey(artistId, day)).srem(VISITOR_INDEX, `${artistId}|${day}`).exec();
    },
  };
}

export type CounterStore = ReturnType<typeof counterStore>;
