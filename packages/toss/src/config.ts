import { env } from '@tiketi/kit';

/**
 * Toss settings for a service's config shape. `npm start` points TOSS_API_URL at the local sandbox; with
 * real Toss test keys and no TOSS_API_URL the same client talks to Toss.
 */
export const tossConfigShape = {
  TOSS_API_URL: env.url('https://api.tosspayments.com'),
  TOSS_SECRET_KEY: env.string('test_sk_tiketi_local_sandbox'),
  TOSS_TIMEOUT_MS: env.int(10_000),
};
