import { underPrefix } from './access.ts';

export type RateLimitSettings = {
  /** Window every limit counts in, in milliseconds. */
  windowMs: number;
  /**
   * Sign-up, password login and password reset, per client IP: slows password guessing, mass sign-ups and
   * reset mails sent to other people's addresses.
   */
  auth: number;
  /** Joining a waiting room, per user. */
  queueJoin: number;
  /** Bot-defence challenges, per user when signed in, per IP otherwise: one per sign-up or join. */
  challenge: number;
  /** Everything else, per user when signed in, per IP otherwise. */
  general: number;
};

export type RateLimitGroup = {
  name: 'auth' | 'queue-join' | 'challenge' | 'general';
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
        (underPrefix(path, '/api/auth/login') ||
          underPrefix(path, '/api/auth/register') ||
          underPrefix(path, '/api/auth/password')),
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
