import { underPrefix } from './access.ts';

export type RateLimitSettings = {
  /** Window every limit counts in, in milliseconds. */
  windowMs: number;
  /**
   * Password sign-in and sign-up, per client IP. Many fans share one address (carrier-grade NAT on Korean
   * mobile networks, a venue's or campus's Wi-Fi) and all sign in at a drop, so this is sized for a crowd,
   * not a person: guessing one account is slowed by the user service's per-account count, past which every
   * guess costs a proof of work, and sign-up costs one always. What is left here is a cap on one address
   * spraying many accounts, which a stranger on the same address can spend for everyone there: the higher
   * it is, the more that costs them.
   */
  auth: number;
  /**
   * Password reset and change, per client IP. A reset request mails whoever owns the address typed in, so
   * it stays a person's few a minute rather than a crowd's: fans seldom reset at the same minute, and a
   * looser limit would let one client mail reset links to a list of strangers' addresses.
   */
  password: number;
  /** Joining a waiting room, per user. */
  queueJoin: number;
  /**
   * Bot-defence challenges, per user when signed in, per IP otherwise: one per sign-up or join, and per
   * sign-in to an account strangers have been guessing at.
   */
  challenge: number;
  /** Everything else, per user when signed in, per IP otherwise. */
  general: number;
};

export type RateLimitGroup = {
  name: 'auth' | 'password' | 'queue-join' | 'challenge' | 'general';
  max: number;
  /** Count per client IP even for signed-in callers. */
  perIp: boolean;
  matches: (method: string, path: string) => boolean;
};

// With or without the trailing slash the services route alike (`ignoreTrailingSlash`).
const QUEUE_JOIN = /^\/api\/queue\/[^/]+\/join\/?$/;

/** Most specific first: a request counts against the first group it matches, only. */
export function rateLimitGroups(settings: RateLimitSettings): RateLimitGroup[] {
  return [
    {
      name: 'auth',
      max: settings.auth,
      perIp: true,
      matches: (method, path) =>
        method === 'POST' &&
        (underPrefix(path, '/api/auth/login') || underPrefix(path, '/api/auth/register')),
    },
    {
      name: 'password',
      max: settings.password,
      perIp: true,
      matches: (method, path) => method === 'POST' && underPrefix(path, '/api/auth/password'),
    },
    {
      name: 'queue-join',
      max: settings.queueJoin,
      perIp: false,
      matches: (method, path) => method === 'POST' && QUEUE_JOIN.test(path),
    },
    {
      name: 'challenge',
      max: settings.challenge,
      perIp: false,
      matches: (_method, path) => underPrefix(path, '/api/challenge'),
    },
    { name: 'general', max: settings.general, perIp: false, matches: () => true },
  ];
}
