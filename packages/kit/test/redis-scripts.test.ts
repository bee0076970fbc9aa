import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, redisScripts } from '../src/redis.ts';
import { deleteRedisPrefix, testConfig } from '../src/testing/index.ts';

describe('redis scripts (one way to run Lua for every service)', () => {
  const config = testConfig('kit-scripts');
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  const plain = createRedis(config.REDIS_URL, '');
  afterAll(async () => {
    redis.disconnect();
    plain.disconnect();
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_PREFIX);
  });

  const scripts = redisScripts(redis, {
    kitTestSetIfAbsent: { keys: 1, lua: "return redis.call('SET', KEYS[1], ARGV[1], 'NX') and 1 or 0" },
    kitTestCountKeys: { lua: 'return #KEYS' },
  });

  it('runs a script with a fixed key count under the connection prefix', async () => {
    expect(await scripts.kitTestSetIfAbsent('seat:1', 'first')).toBe(1);
    expect(await scripts.kitTestSetIfAbsent('seat:1', 'second')).toBe(0);
    expect(await plain.get(`${config.REDIS_PREFIX}seat:1`)).toBe('first');
    expect(await plain.get('seat:1')).toBeNull();
  });

  it('takes the key count as the first argument when the script has none fixed', async () => {
    expect(await scripts.kitTestCountKeys(3, 'a', 'b', 'c', 'an argument')).toBe(3);
  });

  it('still runs after Redis forgot every script (NOSCRIPT is answered by sending the text again)', async () => {
    await plain.script('FLUSH');
    expect(await scripts.kitTestSetIfAbsent('seat:2', 'after flush')).toBe(1);
    expect(await plain.get(`${config.REDIS_PREFIX}seat:2`)).toBe('after flush');
  });

  it('defines a name once per connection, so a second repository on it reuses the script', async () => {
    const again = redisScripts(redis, { kitTestCountKeys: { lua: 'return #KEYS' } });
    expect(await again.kitTestCountKeys(1, 'a')).toBe(1);
  });
});
