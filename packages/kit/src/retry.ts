/** Answers worth another attempt: the upstream or a proxy in front of it was briefly unable to answer. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);

export type RetryPolicy = {
  /** Extra attempts after the first. */
  retries: number;
  /** The wait before the first retry; it doubles for each further one. */
  baseDelayMs: number;
};

/** How every outgoing HTTP call of the platform retries, to our services and to Toss alike. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 50 };

/**
 * The wait before retry `n` (1 for the first): doubling, plus up to one base at random, so that the callers
 * a short outage failed together do not all come back in the same instant.
 */
export function retryDelayMs(policy: RetryPolicy, n: number): number {
  return policy.baseDelayMs * 2 ** (n - 1) + Math.random() * policy.baseDelayMs;
}

/** What one attempt came to: an answer to return, or a failure another attempt may cure. */
export type Attempt<T> = { answer: T } | { retry: unknown };

/**
 * Runs `attempt` until it answers, at most `policy.retries` more times, waiting `retryDelayMs` between.
 * `last` tells the attempt that no other follows (it should then answer what it got). When every attempt
 * asked for a retry, `giveUp` makes the error thrown from the last failure. An attempt that throws ends
 * the calls at once: only what the attempt itself calls retryable is retried.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number, last: boolean) => Promise<Attempt<T>>,
  giveUp: (lastFailure: unknown) => Error,
): Promise<T> {
  let failure: unknown;
  for (let n = 1; n <= policy.retries + 1; n++) {
    if (n > 1) await new Promise((resolve) => setTimeout(resolve, retryDelayMs(policy, n - 1)));
    const outcome = await attempt(n, n === policy.retries + 1);
    if ('answer' in outcome) return outcome.answer;
    failure = outcome.retry;
  }
  throw giveUp(failure);
}
