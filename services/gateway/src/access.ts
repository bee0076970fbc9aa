import { routeTable } from './route-table.ts';

/**
 * Who may pass the gateway on each path. Public routes are readable by anyone (a valid token is still
 * checked when sent); every other routed path needs a signed-in caller. Services enforce roles and
 * ownership themselves: the gateway only turns away callers who could never succeed.
 */
const PUBLIC: { methods: readonly string[] | 'any'; prefix: string }[] = [
  { methods: ['GET', 'HEAD'], prefix: '/api/events' },
  { methods: ['GET', 'HEAD'], prefix: '/api/artists' },
  { methods: ['GET', 'HEAD'], prefix: '/api/venues' },
  { methods: ['GET', 'HEAD'], prefix: '/api/seats' },
  { methods: 'any', prefix: '/api/auth' },
  { methods: ['POST'], prefix: '/api/payments/toss/webhook' },
  { methods: ['POST'], prefix: '/api/analytics/track' },
  // The bot defence's challenge comes before an account exists (registering needs one solved).
  { methods: ['GET'], prefix: '/api/challenge' },
  // An image's metadata is as public as the image files themselves; uploads and deletes need an admin.
  { methods: ['GET', 'HEAD'], prefix: '/api/media' },
  { methods: ['GET', 'HEAD'], prefix: '/media' },
  // Socket.IO: the token rides in the handshake payload and the queue service checks it there.
  { methods: 'any', prefix: '/queue' },
];

export function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function routeFor(path: string) {
  return routeTable.find((route) => underPrefix(path, route.prefix));
}

export function isPublic(method: string, path: string): boolean {
  return PUBLIC.some(
    (rule) => (rule.methods === 'any' || rule.methods.includes(method)) && underPrefix(path, rule.prefix),
  );
}

/**
 * Auth routes never have the bearer token checked: a client refreshing an expired session naturally still
 * holds the expired access token, and these routes do not read it.
 */
export function ignoresBearer(path: string): boolean {
  return underPrefix(path, '/api/auth');
}

/** The path without query string, percent-decoded; undefined when it cannot be decoded. */
export function pathOf(url: string): string | undefined {
  const raw = url.split('?')[0] ?? '/';
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** `.` and `..` segments could climb out of a routed prefix at a service (`/api/events/../../internal`). */
export function hasDotSegments(path: string): boolean {
  return path.split('/').some((segment) => segment === '.' || segment === '..');
}
