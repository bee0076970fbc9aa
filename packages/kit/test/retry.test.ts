import { describe, expect, it } from 'vitest';
import { retryDelayMs, withRetries } from '../src/retry.ts';

describe('the one retry policy (kit HTTP client and Toss client)', () => {
  const policy = { retries: 2, baseDelayMs: 1 };

  it('tries once more per retry, tells the last attempt so, then gives up with the last failure', async () => {
    const seen: [number, boolean][] = [];
    const error = await withRetries<never>(
      policy,
      async (n, last) => {
        seen.push([n, last]);
        return { retry: new Error(`503 on attempt ${n}`) };
      },
      (failure) => new Error('gave up', { cause: failure }),
    ).then(
      () => new Error('answered'),
      (e: Error) => e,
    );
    expect(seen).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(error.message).toBe('gave up');
    expect((error.cause as Error).message).toBe('503 on attempt 3');
  });

  it('returns the first answer and does not retry what the attempt throws', async () => {
    let calls = 0;
    const answer = await withRetries(
      policy,
      async (n) => (n < 2 ? { retry: new Error('reset') } : { answer: `answer ${n}` }),
      () => new Error('gave up'),
    );
    expect(answer).toBe('answer 2');
    const refused = withRetries(
      policy,
      async () => {
        calls++;
        throw new Error('card declined');
      },
      () => new Error('gave up'),
    );
    await expect(refused).rejects.toThrow('card declined');
    expect(calls).toBe(1);
  });

  it('doubles the wait per retry with up to one base of jitter', () => {
    const base = { retries: 3, baseDelayMs: 100 };
    for (const [n, low] of [
      [1, 100],
      [2, 200],
      [3, 400],
    ] as const) {
      const waits = Array.from({ length: 50 }, () => retryDelayMs(base, n));
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(low);
      expect(Math.max(...waits)).toBeLessThan(low + 100);
      expect(new Set(waits).size).toBeGreaterThan(1);
    }
  });
});
