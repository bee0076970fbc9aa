import { createHash } from 'node:crypto';
import type { Redis } from '@tiketi/kit';

/**
 * A Lua script run by its SHA (the text is sent only when Redis does not know it yet). Keys go through
 * ioredis, so they get the service's key prefix like every other command.
 */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
