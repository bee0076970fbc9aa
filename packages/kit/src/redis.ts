import { Redis } from 'ioredis';

export { Redis };

/** ioredis with every key under the service's prefix (tests use a prefix of their own). */
export function createRedis(url: string, keyPrefix: string): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick leave in one write: under load, one socket write (a system call)
    // carries the commands of many requests instead of one each.
    enableAutoPipelining: true,
  });
  // Errors surface on the commands that fail; the connection itself keeps retrying.
  redis.on('error', () => undefined);
  return redis;
}

export type RedisScript = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Lua scripts registered on the connection with ioredis `defineCommand`: each call goes by SHA and ioredis
 * sends the text again when Redis answers NOSCRIPT (after a restart or a SCRIPT FLUSH). Keys get the
 * connection's prefix like any other command. With `keys` given, the first that many arguments are keys;
 * without it, the first argument says how many keys follow.
 */
export function redisScripts<Name extends string>(
  redis: Redis,
  scripts: Record<Name, { lua: string; keys?: number }>,
): Record<Name, RedisScript> {
  const commands = redis as unknown as Record<string, RedisScript>;
  const bound = {} as Record<Name, RedisScript>;
  for (const [name, { lua, keys }] of Object.entries(scripts) as [Name, { lua: string; keys?: number }][]) {
    // One connection may be handed to several repositories; a name is defined on it only once.
    if (!(name in redis))
      redis.defineCommand(name, keys === undefined ? { lua } : { numberOfKeys: keys, lua });
    bound[name] = (...args) => (commands[name] as RedisScript).apply(redis, args);
  }
  return bound;
}
