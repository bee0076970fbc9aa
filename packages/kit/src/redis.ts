import { Redis } from 'ioredis';

export { Redis };

/** ioredis with every key under the service's prefix (tests use a prefix of their own). */
export function createRedis(url: string, keyPrefix: string): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors surface on the commands that fail; the connection itself keeps retrying.
  redis.on('error', () => undefined);
  return redis;
}
