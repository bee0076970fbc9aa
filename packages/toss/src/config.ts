import { env } from '@tiketi/kit';

/**
 * Toss settings for a service's config shape. `npm start` points TOSS_API_URL at the local sandbox; with
 * real Toss test keys and no TOSS_API_URL the same client talks to Toss.
 */
export const tossConfigShape = {
  TOSS_API_URL: env.url('https://api.tosspayments.com'),
  /** Issued by Toss (`test_sk_…`/`live_sk_…`); the default is known only to the local sandbox. */
  TOSS_SECRET_KEY: env.secret('test_sk_tiketi_local_sandbox', { minLength: 20 }),
  TOSS_TIMEOUT_MS: env.int(10_000),
};
