import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_TOKEN } from '@tiketi/contracts';
import { createRedis } from '@tiketi/kit';
import { challengeHeader, testLogger } from '@tiketi/kit/testing';
import { generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWebServer } from '../../apps/web/scripts/web-server.ts';
import { routeFor } from '../../services/gateway/src/access.ts';
import { buildApp as buildGateway } from '../../services/gateway/src/app.ts';
import { type Account, call, type client, type Reply } from '../support/api.ts';
import { documentedRoutes, fill, type Route, sample } from '../support/openapi.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof, SECRETS } from '../support/proof.ts';

/**
 * Who may do what, for every route a service documents. A new route fails the matrix until it is given
 * a rule here: `public` (anyone), `user` (any signed-in caller; ownership is checked by the service),
 * `staff` (door staff and admins), `admin`, `internal` (service-to-service, never routed by the gateway), `unrouted` (served by a service
 * but not exposed by the gateway yet).
 */
type Rule = 'public' | 'user' | 'staff' | 'admin' | 'internal' | 'unrouted';
const RULES: Record<string, Rule> = {
  'POST /api/auth/register': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/refresh': 'public',
  'POST /api/auth/logout': 'public',
  'POST /api/auth/verify-email': 'public',
  'POST /api/auth/verify-email/resend': 'user',
  'POST /api/auth/password/forgot': 'public',
  'POST /api/auth/password/reset': 'public',
  'POST /api/auth/password/reset/check': 'public',
  'POST /api/auth/password/change': 'user',
  'GET /api/auth/google': 'public',
  'GET /api/auth/google/callback': 'public',
  'GET /api/users/me': 'user',
  'PATCH /api/users/me': 'user',
  'DELETE /api/users/me': 'user',
  'GET /api/users': 'admin',
  'GET /api/users/:id': 'admin',
  'POST /api/users/staff': 'admin',
  'POST /api/users/:id/password-reset': 'admin',
  'GET /api/events': 'public',
  'GET /api/events/:id': 'public',
  'POST /api/events': 'admin',
  'PATCH /api/events/:id': 'admin',
  'POST /api/events/:id/publish': 'admin',
  'POST /api/events/:id/cancel': 'admin',
  'PUT /api/events/:id/poster': 'admin',
  'GET /api/artists': 'public',
  'GET /api/artists/:id': 'public',
  'POST /api/artists': 'admin',
  'PATCH /api/artists/:id': 'admin',
  'PUT /api/artists/:id/image': 'admin',
  'DELETE /api/artists/:id': 'admin',
  'GET /api/venues': 'public',
  'GET /api/venues/:id': 'public',
  'GET /api/venues/:id/layout': 'public',
  'POST /api/venues': 'admin',
  'PATCH /api/venues/:id': 'admin',
  'PUT /api/venues/:id/layout': 'admin',
  'DELETE /api/venues/:id': 'admin',
  'GET /api/seats/event/:eventId': 'public',
  'GET /api/seats/event/:eventId/layout/:version': 'public',
  'GET /api/seats/event/:eventId/availability': 'public',
  'POST /api/reservations': 'user',
  'GET /api/reservations': 'user',
  'GET /api/reservations/:id': 'user',
  'DELETE /api/reservations/:id': 'user',
  'PUT /api/reservations/:id/voucher': 'user',
  'DELETE /api/reservations/:id/voucher': 'user',
  'POST /api/waitlist/:eventId': 'user',
  'GET /api/waitlist/:eventId': 'user',
  'DELETE /api/waitlist/:eventId': 'user',
  'GET /api/tickets': 'user',
  'GET /api/tickets/:id': 'user',
  'GET /api/tickets/:id/pdf': 'user',
  'POST /api/tickets/check-in': 'staff',
  'GET /api/tickets/check-in/events': 'staff',
  'GET /api/tickets/staff/:userId/events': 'admin',
  'PUT /api/tickets/staff/:userId/events': 'admin',
  'GET /api/payments/toss/rules': 'user',
  'POST /api/payments/toss/request': 'user',
  'POST /api/payments/toss/confirm': 'user',
  'POST /api/payments/toss/webhook': 'public',
  'GET /api/payments': 'user',
  'GET /api/payments/:id': 'user',
  'POST /api/payments/:id/cancel': 'user',
  'POST /api/payments/:id/refund': 'admin',
  'GET /api/payments/events/:eventId/revenue': 'admin',
  'POST /api/queue/:eventId/join': 'user',
  'GET /api/queue/:eventId/status': 'user',
  'DELETE /api/queue/:eventId': 'user',
  'GET /api/challenge': 'public',
  'POST /api/analytics/track': 'public',
  'GET /api/analytics/artist/:id/traffic': 'admin',
  'GET /api/analytics/revenue/daily': 'admin',
  'GET /api/analytics/revenue/monthly': 'admin',
  'GET /api/analytics/dashboard': 'admin',
  'GET /api/admin/dashboard': 'admin',
  'GET /api/admin/events/:id/sales': 'admin',
  'GET /api/admin/events/:id/orders.csv': 'admin',
  'GET /api/admin/events/:id/attendees.csv': 'admin',
  'GET /api/admin/events/:id/vouchers': 'admin',
  'POST /api/admin/events/:id/vouchers': 'admin',
  'PUT /api/admin/vouchers/:id': 'admin',
  'GET /api/admin/queue/:eventId': 'admin',
  'GET /api/admin/users': 'admin',
  'GET /api/admin/users/:id': 'admin',
  'GET /api/admin/reservations': 'admin',
  'GET /api/admin/payments': 'admin',
  'POST /api/admin/payments/:id/refund': 'admin',
  'POST /api/media': 'admin',
  // An image's metadata is as public as the image files.
  'GET /api/media/:id': 'public',
  'GET /media/images/:id/:file': 'public',
  'DELETE /api/media/:id': 'admin',
  'GET /api/notifications': 'admin',
  'POST /api/notifications/:id/send-again': 'admin',
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function securitySuite() {
  describe('sec: security through the gateway', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let signingKey: CryptoKey;
    let signingJwk: JWK;
    let admin: Account;
    let alice: Account;
    let bob: Account;
    let staff: Account;

    beforeAll(async () => {
      ({ p, api, admin, signingKey, signingJwk } = proof());
      [alice, bob, staff] = await Promise.all([
        api.signUp('alice'),
        api.signUp('bob'),
        api.staffAccount(admin),
      ]);
    });

    const sign = (claims: Record<string, unknown>, edit: (jwt: SignJWT) => SignJWT = (j) => j) =>
      edit(
        new SignJWT({ role: 'user', ...claims })
          .setProtectedHeader({ alg: 'EdDSA', kid: 'proof-key' })
          .setIssuer(ACCESS_TOKEN.issuer)
          .setAudience(ACCESS_TOKEN.audience)
          .setSubject(alice.id)
          .setIssuedAt()
          .setExpirationTime('5m'),
      ).sign(signingKey);

    describe('sec-authz: the authorization matrix, from every documented route', () => {
      let routes: Route[];
      beforeAll(async () => {
        routes = await documentedRoutes(p);
      });

      it('has a rule for every route any service serves, and the gateway exposes exactly the routed ones', () => {
        const missing = routes
          .filter((r) => !r.path.startsWith('/internal/') && !r.path.startsWith('/docs'))
          .filter((r) => RULES[`${r.method} ${r.path}`] === undefined)
          .filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/media'))
          .map((r) => `${r.method} ${r.path} (${r.service})`);
        expect(missing, 'routes without an access rule').toEqual([]);
        const routedButMarkedUnrouted = Object.entries(RULES)
          .filter(([key, rule]) => rule === 'unrouted' && routeFor(key.split(' ')[1] as string))
          .map(([key]) => key);
        expect(routedButMarkedUnrouted).toEqual([]);
      });

      it('answers anonymous, user A, user B, door staff and admin as each route’s rule says, never with a 5xx', async () => {
        const callers = {
          anonymous: undefined,
          alice: alice.token,
          bob: bob.token,
          staff: staff.token,
          admin: admin.token,
        };
        const wrong: string[] = [];
        for (const route of routes) {
          const key = `${route.method} ${route.path}`;
          const rule: Rule | undefined = route.path.startsWith('/internal/') ? 'internal' : RULES[key];
          if (!rule || route.path.startsWith('/docs') || route.multipart) continue;
          const path = fill(route, () => randomUUID());
          const query = new URLSearchParams(
            Object.entries(route.query ?? {})
              .filter(([, s]) => s.default === undefined && (s.format === 'date' || s.format === 'date-time'))
              .map(([name, s]) => [name, String(sample(s))]),
          ).toString();
          for (const [who, token] of Object.entries(callers)) {
            // A join passes the bot defence first, as a fan's browser does; the access rule is judged after it.
            const solved =
              key === 'POST /api/queue/:eventId/join'
                ? await challengeHeader(p.gateway, 'join', path.split('/')[3]).catch(() => ({}))
                : {};
            const res = await call(p.gateway, route.method, query ? `${path}?${query}` : path, {
              ...(token ? { token } : {}),
              headers: solved,
              ...(route.body ? { body: sample(route.body) } : {}),
            });
            const verdict = judge(rule, who, res);
            if (verdict)
              wrong.push(
                `${who} ${route.method} ${path}: ${res.status} ${verdict} ${res.text.slice(0, 120)}`,
              );
          }
        }
        expect(wrong).toEqual([]);
      });
    });

    describe('sec-jwt: forged and stale tokens are refused at the gateway and the services', () => {
      it('accepts a token the user service itself signed', async () => {
        const res = await api.gw('GET', '/api/users/me', { token: await sign({}) });
        expect(res.status, res.text).toBe(200);
        expect(res.body.id).toBe(alice.id);
      });

      it('refuses alg none, HS/EdDSA confusion, a foreign key, a tampered role, expiry, wrong audience and issuer', async () => {
        const good = await sign({});
        const [header, payload] = good.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const { createHmac } = await import('node:crypto');
        const hs256 = (() => {
          const head = b64url({ alg: 'HS256', typ: 'JWT', kid: 'proof-key' });
          const body = b64url({ ...claims, role: 'admin' });
          // The classic confusion: the public key used as an HMAC secret.
          const mac = createHmac('sha256', Buffer.from(signingJwk.x ?? '', 'base64url'))
            .update(`${head}.${body}`)
            .digest('base64url');
          return `${head}.${body}.${mac}`;
        })();
        const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        const forged: Record<string, string> = {
          'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, role: 'admin' })}.`,
          'HS256 with the public key': hs256,
          'signed by a foreign key under the real kid': await new SignJWT({ role: 'admin' })
            .setProtectedHeader({ alg: 'EdDSA', kid: 'proof-key' })
            .setIssuer(ACCESS_TOKEN.issuer)
            .setAudience(ACCESS_TOKEN.audience)
            .setSubject(alice.id)
            .setExpirationTime('5m')
            .sign(foreign.privateKey),
          'role raised after signing': `${header}.${b64url({ ...claims, role: 'admin' })}.${good.split('.')[2]}`,
          expired: await sign({}, (j) =>
            j
              .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
              .setExpirationTime(Math.floor(Date.now() / 1000) - 60),
          ),
          'wrong audience': await sign({}, (j) => j.setAudience('someone-else')),
          'wrong issuer': await sign({}, (j) => j.setIssuer('https://evil.example')),
          garbage: 'not.a.jwt',
        };
        for (const [name, token] of Object.entries(forged)) {
          for (const path of ['/api/users/me', '/api/admin/users', '/api/tickets']) {
            const res = await api.gw('GET', path, { token });
            expect(res.status, `${name} on ${path}: ${res.text}`).toBe(401);
          }
          // Services check tokens themselves too: the gateway is not the only wall.
          const direct = await call(p.url('reservation'), 'GET', '/api/tickets', { token });
          expect(direct.status, `${name} straight at the reservation service`).toBe(401);
        }
      });

      it('refuses a replayed refresh token once it has been rotated, and any after logout', async () => {
        const carol = await api.signUp('carol');
        const first = await api.gw('POST', '/api/auth/refresh', {
          body: { refreshToken: carol.refreshToken },
        });
        expect(first.status, first.text).toBe(200);
        api.issued.push(first.body.accessToken, first.body.refreshToken);
        const replay = await api.gw('POST', '/api/auth/refresh', {
          body: { refreshToken: carol.refreshToken },
        });
        expect(replay.status).toBe(401);
        const out = await api.gw('POST', '/api/auth/logout', {
          body: { refreshToken: first.body.refreshToken },
        });
        expect(out.status).toBeLessThan(300);
        const afterLogout = await api.gw('POST', '/api/auth/refresh', {
          body: { refreshToken: first.body.refreshToken },
        });
        expect(afterLogout.status).toBe(401);
      });
    });

    describe('sec-idor, sec-amount, sec-webhook: one fan’s order attacked by another and by forgers', () => {
      let eventId: string;
      let seatIds: string[];
      let order: Awaited<ReturnType<ReturnType<typeof client>['checkout']>>;
      let ticketId: string;

      beforeAll(async () => {
        ({ eventId, seatIds } = await api.onSaleEvent(admin, 6));
        order = await api.checkout(alice, eventId, [seatIds[0] as string]);
        const confirmed = await api.confirm(alice, order.paid);
        expect(confirmed.status, confirmed.text).toBe(200);
        ticketId = await eventually(async () => {
          const mine = await api.gw('GET', '/api/tickets', { token: alice.token });
          expect(mine.body.items).toHaveLength(1);
          return mine.body.items[0].id as string;
        });
      }, 60_000);

      it('sec-idor: user B can neither read nor change user A’s reservation, payment or ticket', async () => {
        const attempts: [string, string][] = [
          ['GET', `/api/reservations/${order.reservationId}`],
          ['DELETE', `/api/reservations/${order.reservationId}`],
          ['GET', `/api/payments/${order.paymentId}`],
          ['POST', `/api/payments/${order.paymentId}/cancel`],
          ['GET', `/api/tickets/${ticketId}`],
        ];
        for (const [method, path] of attempts) {
          const res = await api.gw(method, path, {
            token: bob.token,
            ...(method === 'POST' ? { body: { reason: 'mine now' } } : {}),
          });
          expect([403, 404], `${method} ${path}: ${res.status} ${res.text}`).toContain(res.status);
          expect(res.text).not.toContain(alice.email);
        }
        for (const path of ['/api/tickets', '/api/payments', '/api/reservations']) {
          const mine = await api.gw('GET', path, { token: bob.token });
          expect(mine.text, path).not.toContain(order.reservationId);
        }
        // Alice still sees all of it, unchanged.
        const reservation = await api.gw('GET', `/api/reservations/${order.reservationId}`, {
          token: alice.token,
        });
        expect(reservation.body.status).toBe('CONFIRMED');
        expect((await api.gw('GET', `/api/tickets/${ticketId}`, { token: alice.token })).status).toBe(200);
        const payment = await api.gw('GET', `/api/payments/${order.paymentId}`, { token: alice.token });
        expect(payment.body).toMatchObject({ status: 'COMPLETED', refundedAmount: 0 });
        // And Bob cannot pay for Alice's hold either.
        const held = await api.hold(alice, eventId, [seatIds[1] as string]);
        const pay = await api.requestPayment(bob, held.body.reservationId, held.body.amount);
        expect([403, 404]).toContain(pay.status);
      });

      it('sec-amount: a client amount that differs from the reservation’s is refused and never charged', async () => {
        const held = await api.hold(bob, eventId, [seatIds[2] as string]);
        expect(held.status, held.text).toBe(201);
        for (const amount of [1, 0, -99_000, held.body.amount - 1, held.body.amount + 1, 1e15]) {
          const res = await api.requestPayment(bob, held.body.reservationId, amount);
          expect([400, 422], `amount ${amount}: ${res.text}`).toContain(res.status);
        }
        const { rows } = await p
          .db('payment')
          .query('select count(*)::int as n from payments where reservation_id = $1', [
            held.body.reservationId,
          ]);
        expect(rows[0].n).toBe(0);
        const opened = await api.requestPayment(bob, held.body.reservationId, held.body.amount);
        const paid = await api.payAtToss(opened.body.paymentUrl);
        const low = await api.confirm(bob, { ...paid, amount: 1000 });
        expect(low.status).toBe(422);
        // Whatever happens to this checkout later (reconciliation may finish it), it is for the server's amount.
        const after = await api.gw('GET', `/api/payments/${opened.body.paymentId}`, { token: bob.token });
        expect(after.body.amount).toBe(held.body.amount);
        const charged = await p
          .db('payment')
          .query('select count(*)::int as n from payments where reservation_id = $1 and amount <> $2', [
            held.body.reservationId,
            held.body.amount,
          ]);
        expect(charged.rows[0].n).toBe(0);
      });

      it('sec-webhook: forged webhooks change nothing, and replays of a real one change nothing', async () => {
        const webhook = (data: Record<string, unknown>) =>
          api.gw('POST', '/api/payments/toss/webhook', {
            body: { eventType: 'PAYMENT_STATUS_CHANGED', createdAt: new Date().toISOString(), data },
          });
        const snapshot = async () =>
          (
            await p.db('payment').query(
              `select p.id, p.status, p.refunded_amount, p.approved_at, p.updated_at,
                 (select count(*)::int from refunds r where r.payment_id = p.id) as refunds,
                 (select count(*)::int from outbox o where o.envelope->'data'->>'paymentId' = p.id::text) as events
               from payments p where p.id = any($1) order by p.id`,
              [[opened.body.paymentId, order.paymentId]],
            )
          ).rows;

        // An unpaid checkout claimed DONE, with a made-up key and with its real one.
        const held = await api.hold(bob, eventId, [seatIds[3] as string]);
        const opened = await api.requestPayment(bob, held.body.reservationId, held.body.amount);
        const realKey = new URL(opened.body.paymentUrl).pathname.split('/').pop();
        const before = await snapshot();
        const forgeries = [
          {
            paymentKey: 'tsb_forged',
            orderId: opened.body.orderId,
            status: 'DONE',
            totalAmount: held.body.amount,
          },
          {
            paymentKey: realKey,
            orderId: opened.body.orderId,
            status: 'DONE',
            totalAmount: held.body.amount,
          },
          // A paid order claimed cancelled: a refund is never taken from a webhook's word.
          {
            paymentKey: order.paid.paymentKey,
            orderId: order.paid.orderId,
            status: 'CANCELED',
            totalAmount: 99_000,
          },
        ];
        for (const data of forgeries) {
          const res = await webhook(data);
          expect(res.status, res.text).toBeLessThan(500);
        }
        // A genuine notice, delivered again and again.
        for (let i = 0; i < 5; i++) {
          const res = await webhook({
            paymentKey: order.paid.paymentKey,
            orderId: order.paid.orderId,
            status: 'DONE',
            totalAmount: 99_000,
          });
          expect(res.status).toBe(200);
        }
        expect(await snapshot()).toEqual(before);
        const reservation = await api.gw('GET', `/api/reservations/${held.body.reservationId}`, {
          token: bob.token,
        });
        expect(reservation.body.status).toBe('PENDING');
      });
    });

    describe('sec-ratelimit: password guessing and queue flooding are slowed', () => {
      it('answers 429 past the login and queue-join limits, per IP and per user', async () => {
        const redis = createRedis('redis://127.0.0.1:6379', `${p.names.REDIS_PREFIX}rl:`);
        // A gateway with the production limits shape but small numbers, in front of the real services.
        const upstreams = Object.fromEntries(
          ['user', 'event', 'reservation', 'payment', 'queue', 'analytics', 'admin', 'media'].map((s) => [
            s,
            p.url(s),
          ]),
        );
        const gateway = await buildGateway({
          logger: testLogger(),
          jwks: `${p.url('user')}/.well-known/jwks.json`,
          // The proxy every service uses may be cut by a fault test; this gateway goes straight to Redis.
          redis,
          rateLimits: { windowMs: 60_000, auth: 5, queueJoin: 3, general: 1000 },
          upstreams,
        });
        // An account no other test guessed at: the user service's own count per account is not the one here.
        const guessed = await api.signUp('guessed');
        try {
          const guesses: number[] = [];
          for (let i = 0; i < 7; i++) {
            const res = await gateway.inject({
              method: 'POST',
              url: '/api/auth/login',
              payload: { email: guessed.email, password: `guess-${i}` },
            });
            guesses.push(res.statusCode);
          }
          expect(guesses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
          expect(guesses.slice(5)).toEqual([429, 429]);
          // Even the right password waits: the limit counts attempts, not failures.
          const right = await gateway.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { email: guessed.email, password: guessed.password },
          });
          expect(right.statusCode).toBe(429);

          const { eventId } = await api.onSaleEvent(admin, 1, {
            waitingRoom: { enabled: true, admissionRatePerMinute: 60, maxActiveShoppers: 10 },
          });
          const join = async (token: string) =>
            (
              await gateway.inject({
                method: 'POST',
                url: `/api/queue/${eventId}/join`,
                headers: {
                  authorization: `Bearer ${token}`,
                  ...(await challengeHeader(p.gateway, 'join', eventId)),
                },
              })
            ).statusCode;
          const joins = [];
          for (let i = 0; i < 5; i++) joins.push(await join(bob.token));
          expect(joins.slice(0, 3).every((s) => s < 300)).toBe(true);
          expect(joins.slice(3)).toEqual([429, 429]);
          expect(await join(alice.token)).toBeLessThan(300);
        } finally {
          await gateway.close();
          redis.disconnect();
        }
      });
    });

    describe('sec-headers: the web app', () => {
      it('serves pages with CSP, frame, sniffing and referrer protections', async () => {
        const dist = await mkdtemp(join(tmpdir(), 'tiketi-web-'));
        await writeFile(
          join(dist, 'index.html'),
          '<!doctype html><title>Tiketi</title><div id="root"></div>',
        );
        const web = await createWebServer({ distDir: dist, gatewayUrl: p.gateway });
        try {
          const page = await web.inject({ url: '/' });
          expect(page.statusCode).toBe(200);
          const csp = String(page.headers['content-security-policy']);
          expect(csp).toContain("default-src 'self'");
          expect(csp).toContain("script-src 'self'");
          expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
          expect(csp).toContain("frame-ancestors 'none'");
          expect(csp).toContain("object-src 'none'");
          expect(page.headers['x-frame-options']).toBe('DENY');
          expect(page.headers['x-content-type-options']).toBe('nosniff');
          expect(page.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
          // The API behind it keeps the gateway's CORS: a foreign origin is not allowed to read it.
          const cors = await call(p.gateway, 'GET', '/api/events', {
            headers: { origin: 'https://evil.example' },
          });
          expect(cors.headers.get('access-control-allow-origin')).toBeNull();
        } finally {
          await web.close();
          await rm(dist, { recursive: true, force: true });
        }
      });
    });
  });
}

/** Last of all: the scan of everything every process printed while being attacked, fuzzed and killed. */
export function secretsInLogsSuite() {
  describe('sec-logs: secrets never reach the logs', () => {
    it('prints no password, token, signing key or provider secret in any service’s output', () => {
      const { p, api, signingJwk } = proof();
      expect(p.logs.length).toBeGreaterThan(100);
      const secrets = [...Object.values(SECRETS), signingJwk.d as string, ...api.issued].filter(
        (s) => s.length >= 8,
      );
      const leaks: string[] = [];
      for (const { part, raw } of p.logs) {
        for (const secret of secrets) if (raw.includes(secret)) leaks.push(`${part}: ${raw.slice(0, 200)}`);
        if (/bearer\s+ey/i.test(raw)) leaks.push(`${part}: an authorization header: ${raw.slice(0, 200)}`);
      }
      expect(leaks).toEqual([]);
    });
  });
}

/** Undefined when the reply fits the rule for this caller, else what is wrong. */
function judge(rule: Rule, who: string, res: Reply): string | undefined {
  if (res.status >= 500) return 'server error';
  const refused = res.status === 401 || res.status === 403;
  const authMissing = res.status === 401 && res.body?.code === 'UNAUTHORIZED';
  switch (rule) {
    case 'internal':
    case 'unrouted':
      return res.status === 404 ? undefined : 'reachable from outside';
    case 'public':
      return authMissing || res.status === 403 ? 'refused on a public route' : undefined;
    case 'user':
      if (who === 'anonymous') return res.status === 401 ? undefined : 'anonymous let in';
      // Door staff buy nothing: the one refusal they get on a fan's route says so.
      if (who === 'staff' && res.body?.code === 'STAFF_CANNOT_BUY') return undefined;
      return refused ? 'signed-in caller refused' : undefined;
    case 'staff':
      if (who === 'anonymous') return res.status === 401 ? undefined : 'anonymous let in';
      if (who === 'admin') return refused ? 'admin refused' : undefined;
      // Staff reach the route; a door they were not assigned to is the service's refusal, named.
      if (who === 'staff')
        return refused && res.body?.code !== 'CHECK_IN_NOT_ASSIGNED' ? 'staff refused' : undefined;
      return res.status === 403 ? undefined : 'fan let in';
    case 'admin':
      if (who === 'anonymous') return res.status === 401 ? undefined : 'anonymous let in';
      if (who === 'admin') return refused ? 'admin refused' : undefined;
      return res.status === 403 ? undefined : 'non-admin let in';
  }
}
