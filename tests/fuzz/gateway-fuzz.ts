import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, call } from '../support/api.ts';
import { documentedRoutes, fill, type JsonSchema, type Route, sample } from '../support/openapi.ts';
import { DATABASES, type DbOwner, type IsolatedPlatform } from '../support/platform.ts';
import { proof } from '../support/proof.ts';

const REQUESTS = 10_000;
const CONCURRENCY = 12;
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_124);

/** Small, seeded and fast: a failing run is replayed exactly with FUZZ_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)] as T };
}
type Rng = ReturnType<typeof rng>;

/** Values that have broken real parsers, queries and renderers. */
const NASTY_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE reservations; --",
  '1; select pg_sleep(5)--',
  '" OR ""="',
  '{"$gt": ""}',
  '{"$where": "sleep(1000)"}',
  '$ne',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '..\\..\\..\\windows\\win.ini',
  '%00',
  '\u0000',
  'null\u0000byte',
  '\uD800',
  'seat\uDC00',
  'emoji cut in half \uD83C',
  '\uFFFF\uFFFE',
  '\u202Eevil',
  'Z̤̺̦̤̰̲͍a̵̻̼͈͔l͓g̶o̠̤̩',
  '👩‍👩‍👧‍👦🎫'.repeat(50),
  '콘서트',
  '<script>alert(1)</script>',
  '{{7*7}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
  '${7*7}',
  '%s%s%s%n',
  'a'.repeat(10_000),
  '0x7fffffff',
  'NaN',
  'Infinity',
  '-1',
  '1e400',
  'true',
  'null',
  '[]',
  '2026-02-30T25:61:61Z',
  '0000-00-00',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const NASTY_VALUES: unknown[] = [
  ...NASTY_STRINGS,
  0,
  -1,
  -99_999_999_999,
  2 ** 31,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  1.5,
  -0.000001,
  1e300,
  true,
  false,
  null,
  [],
  {},
  [null],
  { $gt: '' },
  { $ne: null },
  { __proto__: { admin: true } },
  { constructor: { prototype: { admin: true } } },
  Array.from({ length: 500 }, (_, i) => i),
  JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`),
];

/** Header values must be Latin-1 to be sent at all. */
const HEADER_VALUES = NASTY_STRINGS.filter((s) => /^[\x20-\x7e]+$/.test(s)).map((s) => s.slice(0, 500));

/**
 * Already percent-encoded path and query values no encoder would produce: NUL, and the bytes of a lone
 * surrogate (ED A0 80, which UTF-8 forbids) or of a cut-off character.
 */
const RAW_ENCODED = ['%00', 'a%00b', '%ED%A0%80', 'x%ED%B0%80', '%F0%9F', '%C0%AF'];

/** Real ids of the platform under test, spelled in random letter case: one id must stay one id. */
function spelled(r: Rng, ids: readonly string[]): string {
  return [...r.pick(ids)].map((c) => (r.int(2) ? c.toUpperCase() : c)).join('');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `value` with every string replaced by what `change` makes of it (keys kept). */
function mapStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, change));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, change)]));
  return value;
}

type FuzzRequest = {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** The owned route (`METHOD /path`) the request names a real resource of. */
  owned?: string;
};

function mutateBody(
  r: Rng,
  schema: JsonSchema | undefined,
  ids: readonly string[],
): Pick<FuzzRequest, 'body' | 'raw' | 'headers'> {
  const valid = sample(schema, r.int(5));
  switch (r.int(12)) {
    case 10:
      // A valid body naming real ids in another letter case.
      return { body: mapStrings(valid, (text) => (UUID.test(text) ? spelled(r, ids) : text)) };
    case 11: {
      // A valid body with NUL or a lone surrogate inside its text, which passes every other rule.
      const bad = r.pick(['\u0000', '\uD800', '\uDFFF', 'a\u0000b']);
      return { body: mapStrings(valid, (text) => (r.int(2) ? `${text}${bad}` : text)) };
    }
    case 0:
      return {
        raw: r.pick(['{', '{"a":}', 'nul', '[1,2', '{"a":1}}', '\u0000', '{"a":"\\ud800"}', "{'a':1}"]),
        headers: { 'content-type': 'application/json' },
      };
    case 1:
      return { raw: '', headers: { 'content-type': 'application/json' } };
    case 2:
      return { body: r.pick(NASTY_VALUES) };
    case 3:
      return {
        raw: 'a=1&b=2',
        headers: {
          'content-type': r.pick([
            'application/x-www-form-urlencoded',
            'text/plain',
            'application/xml',
            'multipart/form-data; boundary=x',
          ]),
        },
      };
    case 4: {
      // A body over the gateway's 1 MiB limit, now and then.
      if (r.int(20) === 0)
        return { raw: `{"a":"${'x'.repeat(1_100_000)}"}`, headers: { 'content-type': 'application/json' } };
      return { body: { ...(valid as object), extra: 'x'.repeat(r.int(50_000)) } };
    }
    default: {
      if (!valid || typeof valid !== 'object' || Array.isArray(valid)) return { body: r.pick(NASTY_VALUES) };
      const body: Record<string, unknown> = { ...(valid as Record<string, unknown>) };
      const keys = Object.keys(body);
      const times = 1 + r.int(3);
      for (let i = 0; i < times; i++) {
        const key =
          keys.length && r.int(5)
            ? r.pick(keys)
            : r.pick(['__proto__', 'role', 'id', 'userId', 'amount', 'status']);
        if (r.int(6) === 0) delete body[key];
        else body[key] = r.pick(NASTY_VALUES);
      }
      return { body };
    }
  }
}

function fuzzPath(r: Rng, route: Route, ids: readonly string[]): string {
  // fill() encodes what it is given: a raw value goes in through a marker that encoding leaves alone.
  const raw = r.int(10) === 0 ? r.pick(RAW_ENCODED) : undefined;
  const path = fill(route, () => {
    const roll = r.int(4);
    if (raw) return 'RAW-VALUE';
    if (roll === 0) return '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    if (roll === 1) return spelled(r, ids);
    return String(r.pick(NASTY_STRINGS)).slice(0, 3000);
  }).replaceAll('RAW-VALUE', raw ?? '');
  if (!route.query || r.int(2)) return path;
  const names = [...Object.keys(route.query), 'page', 'pageSize', 'limit', 'q', 'sort'];
  const value = () => {
    const roll = r.int(6);
    if (roll === 0) return r.pick(RAW_ENCODED);
    if (roll === 1) return spelled(r, ids);
    return encodeURIComponent(String(r.pick(NASTY_VALUES)).slice(0, 2000).toWellFormed());
  };
  const query = names
    .filter(() => r.int(2))
    .map((n) => `${encodeURIComponent(n)}=${value()}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

/** Uploads whose file names climb out of the storage folder, or which are not images at all. */
function upload(r: Rng, token: string): FuzzRequest {
  const boundary = `fuzz${r.int(1e9)}`;
  const filename = r.pick([
    '../../../../etc/passwd',
    '..\\..\\boot.ini',
    '/etc/shadow',
    'a\u0000.png',
    '.png',
    'x.png/../../y',
    '%2e%2e%2fx.png',
    'poster.png',
  ]);
  const content = r.pick([
    Buffer.from('not an image at all'),
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('truncated')]),
    Buffer.alloc(0),
  ]);
  const type = r.pick(['image/png', 'image/svg+xml', 'application/octet-stream', 'text/html']);
  const raw = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return {
    method: 'POST',
    path: '/api/media',
    token,
    raw,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const DOT_PATHS = [
  '/media/images/../../../etc/passwd',
  '/media/%2e%2e/%2e%2e/etc/passwd',
  '/api/events/..%2f..%2finternal%2freservations',
  '/api/events/%2e%2e/%2e%2e/internal/events/x/stats',
  '/media/images/x/..%5c..%5cwin.ini',
  '/api/%zz',
  '/internal/reservations/x',
  '/api/media/../../internal/queue/x/stats',
];

export function fuzzSuite() {
  describe('fuzz: malformed requests across every public endpoint', () => {
    let p: IsolatedPlatform;
    let routes: Route[];
    let user: Account;
    let admin: Account;
    let ids: string[];
    /**
     * Routes whose handler does its work only on a real resource of the caller's: with random ids they
     * answer 404 and no more, so part of the requests name the resource, sent by its owner.
     */
    let owned: { route: Route; id: string; token: string }[];

    beforeAll(async () => {
      ({ p, admin } = proof());
      const api = proof().api;
      user = await api.signUp('fuzz');
      const sale = await api.onSaleEvent(admin, 4);
      routes = (await documentedRoutes(p)).filter(
        (r) => r.path.startsWith('/api/') || r.path.startsWith('/media'),
      );
      const routeOf = (key: string) => {
        const route = routes.find((r) => `${r.method} ${r.path}` === key);
        if (!route) throw new Error(`${key} is not documented`);
        return route;
      };
      const applyVoucher = routeOf('PUT /api/reservations/:id/voucher');
      const held = await api.hold(user, sale.eventId, [sale.seatIds[0] as string]);
      expect(held.status, held.text).toBe(201);
      // Its code is the one a valid fuzzed body types, so such a request gets as far as using it.
      const voucher = await api.gw('POST', `/api/admin/events/${sale.eventId}/vouchers`, {
        token: admin.token,
        body: { ...(sample(applyVoucher.body) as object), kind: 'amount', value: 1000, maxUses: 100 },
      });
      expect(voucher.status, voucher.text).toBe(201);
      ids = [sale.eventId, ...sale.seatIds, user.id, admin.id, held.body.reservationId, voucher.body.id];
      owned = [
        { route: applyVoucher, id: held.body.reservationId, token: user.token },
        { route: routeOf('PUT /api/admin/vouchers/:id'), id: voucher.body.id, token: admin.token },
      ];
    });

    async function rowCounts(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      for (const owner of Object.keys(DATABASES) as DbOwner[]) {
        const { rows } = await p
          .db(owner)
          .query(
            `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
          );
        for (const { table_name } of rows) {
          const { rows: n } = await p.db(owner).query(`select count(*)::int as n from "${table_name}"`);
          counts.set(`${owner}.${table_name}`, n[0].n);
        }
      }
      return counts;
    }

    it(`fuzz-gateway: ${REQUESTS} generated bad requests get 0 server errors and write no row`, async () => {
      const r = rng(SEED);
      const before = await rowCounts();
      const serverErrors: string[] = [];
      const accepted: string[] = [];
      const statuses = new Map<number, number>();
      /** What each owned route answered. */
      const ownedAnswers = new Map<string, Set<number>>();
      let sent = 0;

      const picked = new Set<Route>();
      const next = (): FuzzRequest => {
        const token = r.pick([undefined, user.token, admin.token]);
        const roll = r.int(100);
        if (roll < 3) return upload(r, admin.token);
        if (roll < 5)
          return { method: r.pick(['GET', 'POST']), path: r.pick(DOT_PATHS), ...(token ? { token } : {}) };
        if (roll < 8) {
          const { route, id, token } = r.pick(owned);
          return {
            method: route.method,
            path: fill(route, () => id),
            token,
            ...mutateBody(r, route.body, ids),
            owned: `${route.method} ${route.path}`,
          };
        }
        const route = r.pick(routes);
        picked.add(route);
        const method = r.int(25) === 0 ? r.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS']) : route.method;
        const hasBody = method !== 'GET' && method !== 'DELETE' && method !== 'OPTIONS';
        return {
          method,
          path: fuzzPath(r, route, ids),
          ...(token ? { token } : {}),
          ...(r.int(30) === 0
            ? {
                headers: {
                  'x-internal-token': 'tiketi-local-internal-token',
                  'x-queue-token': r.pick(HEADER_VALUES),
                },
              }
            : {}),
          ...(hasBody ? mutateBody(r, route.body, ids) : {}),
        };
      };
      // Requests are generated up front, in order, so the seed alone decides the run.
      const queue = Array.from({ length: REQUESTS }, next);
      // Every documented route gets its share of the requests: a route the seed never picks is not fuzzed.
      expect(
        routes.filter((route) => !picked.has(route)).map((route) => `${route.method} ${route.path}`),
        `seed ${SEED}: routes never picked`,
      ).toEqual([]);

      async function worker() {
        for (;;) {
          const req = queue.shift();
          if (!req) return;
          sent++;
          const label = `${req.method} ${req.path.slice(0, 160)}`;
          try {
            const res = await call(p.gateway, req.method, req.path, req);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (req.owned)
              ownedAnswers.set(req.owned, (ownedAnswers.get(req.owned) ?? new Set()).add(res.status));
            if (res.status >= 500) serverErrors.push(`${label} → ${res.status} ${res.text.slice(0, 160)}`);
            else if (res.status < 400 && req.method !== 'GET' && req.method !== 'OPTIONS')
              accepted.push(label);
          } catch (error) {
            serverErrors.push(`${label} → ${(error as Error).message}`);
          }
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      expect(sent).toBe(REQUESTS);
      expect(serverErrors, `seed ${SEED}; logged:\n${p.errors()}`).toEqual([]);
      // The owned routes' handlers did their work: an answer only they give (applied, or refused by a
      // rule of the reservation or the voucher), not only the validation's 400 or a 404.
      for (const { route } of owned) {
        const key = `${route.method} ${route.path}`;
        const answers = [...(ownedAnswers.get(key) ?? [])];
        expect(
          answers.filter((s) => s === 200 || s === 409 || s === 422),
          `${key}: ${answers}`,
        ).not.toEqual([]);
      }

      // Background work settles (outbox relays mark rows, consumers write inbox rows) before counting.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await rowCounts();
      const changed = [...after]
        .filter(([table, n]) => before.get(table) !== n)
        .map(([table, n]) => `${table}: ${before.get(table)} → ${n}`);
      // A write is only allowed where a fuzzed request happened to be valid and was accepted.
      if (changed.length)
        expect(
          accepted.length,
          `rows changed (${changed.join(', ')}) with no accepted write`,
        ).toBeGreaterThan(0);
      expect(
        changed.filter((c) => !accepted.some((a) => tableServedBy(c, a))),
        `accepted: ${accepted.slice(0, 10).join('; ')}`,
      ).toEqual([]);
      // Most of what was sent was refused as bad input, not waved through.
      const refused = [...statuses].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
      expect(refused).toBeGreaterThan(REQUESTS * 0.8);
    }, 240_000);
  });
}

const OWNER_PREFIXES: Record<string, string[]> = {
  user: ['/api/auth', '/api/users'],
  event: ['/api/events', '/api/artists', '/api/venues'],
  // The admin service keeps nothing: its writes are the reservation or payment service's.
  reservation: [
    '/api/reservations',
    '/api/tickets',
    '/api/waitlist',
    '/api/admin/vouchers',
    '/api/admin/events',
  ],
  payment: ['/api/payments', '/api/admin/payments'],
  analytics: ['/api/analytics'],
  media: ['/api/media'],
  notification: ['/api/notifications'],
};
/** Services whose writes publish events that other services consume. */
const PUBLISHERS = ['user', 'event', 'reservation', 'payment'];

/**
 * Whether an accepted request (`METHOD /path`) explains the changed table: it went to the service owning
 * the table, or the table is one that events write and the request went to a service that publishes events:
 * a consumer's inbox (an accepted cancellation of an event is consumed by reservation and payment, each
 * recording it once), analytics' record of the sale's events (an accepted cancellation of a hold is a
 * `reservation.cancelled` there), or the notification service's tables (an operator's accepted request to
 * mail a fan a reset link becomes a mail there).
 */
function tableServedBy(change: string, acceptedRequest: string): boolean {
  const [owner = '', table = ''] = change.split(':')[0]?.split('.') ?? [];
  const path = acceptedRequest.split(' ')[1] ?? '';
  const served = (service: string) =>
    (OWNER_PREFIXES[service] ?? []).some((prefix) => path.startsWith(prefix));
  if (served(owner)) return true;
  const writtenByEvents =
    table === 'inbox' ||
    owner === 'notification' ||
    (owner === 'analytics' && table.startsWith('raw_events'));
  return writtenByEvents && PUBLISHERS.some(served);
}
