import { describe, expect, it } from 'vitest';
import { memoryCache, producedOnce, sharedRuns } from '../src/memory-cache.ts';

describe('the one in-memory cache: bounded, every entry with a lifetime', () => {
  it('drops the least recently used entry when full', () => {
    const cache = memoryCache<string>({ max: 2, ttlMs: 60_000 });
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.size).toBe(2);
  });

  it('never keeps an entry past the cache lifetime, even when asked to', () => {
    let clock = 1_000_000;
    const cache = memoryCache<string>({ max: 10, ttlMs: 1_000, now: () => clock });
    cache.set('long', 'L', 3_600_000);
    cache.set('short', 'S', 100);
    clock += 101;
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long')).toBe('L');
    clock += 1_000;
    expect(cache.get('long')).toBeUndefined();
  });

  it('keeps to its byte budget and refuses an entry larger than all of it', () => {
    const cache = memoryCache<Buffer>({ max: 10, ttlMs: 60_000, maxBytes: 10, sizeOf: (b) => b.length });
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    cache.set('c', Buffer.alloc(4));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(8);
    cache.set('huge', Buffer.alloc(11));
    expect(cache.get('huge')).toBeUndefined();
  });

  it('keeps nothing when its size or lifetime is 0 (a cache turned off)', () => {
    for (const limits of [
      { max: 0, ttlMs: 60_000 },
      { max: 10, ttlMs: 0 },
    ]) {
      const cache = memoryCache<string>(limits);
      cache.set('a', 'A');
      expect(cache.get('a')).toBeUndefined();
    }
  });
});

describe('a cache in front of what it keeps', () => {
  it('produces a missing value once for every caller that asks meanwhile, then hands out the kept one', async () => {
    let made = 0;
    let finish: (value: string) => void = () => undefined;
    const get = producedOnce(memoryCache<string>({ max: 10, ttlMs: 60_000 }));
    const produce = () => {
      made++;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    };
    const asked = [get('a', produce), get('a', produce), get('a', produce)];
    finish('drawn');
    expect(await Promise.all(asked)).toEqual(['drawn', 'drawn', 'drawn']);
    expect(await get('a', produce)).toBe('drawn');
    expect(made).toBe(1);
  });

  it('keeps no failure: the next caller tries again', async () => {
    const get = producedOnce(memoryCache<string>({ max: 10, ttlMs: 60_000 }));
    await expect(get('a', () => Promise.reject(new Error('worker gone')))).rejects.toThrow('worker gone');
    expect(await get('a', () => Promise.resolve('drawn'))).toBe('drawn');
  });
});

describe('work shared while it runs', () => {
  it('shares a run with the callers that ask meanwhile, and keeps nothing begun before a forget', async () => {
    const runs = sharedRuns<string>();
    const kept: string[] = [];
    const finishers: ((value: string) => void)[] = [];
    const work = () => new Promise<string>((resolve) => finishers.push(resolve));
    const before = runs.run('event', work, (value) => kept.push(value));
    expect(runs.run('event', work, (value) => kept.push(value))).toBe(before);
    runs.forget('event');
    const after = runs.run('event', work, (value) => kept.push(value));
    expect(after).not.toBe(before);
    expect(finishers).toHaveLength(2);
    finishers[0]?.('old');
    finishers[1]?.('new');
    expect([await before, await after]).toEqual(['old', 'new']);
    expect(kept).toEqual(['new']);
    // Done runs are not shared: the next caller starts afresh.
    const next = runs.run('event', () => Promise.resolve('next'));
    expect(await next).toBe('next');
  });
});
