import { randomUUID } from 'node:crypto';
import { createRedis } from '@tiketi/kit';
import { caseSpellings, challengeHeader } from '@tiketi/kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, call, type Reply } from '../support/api.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof } from '../support/proof.ts';

/** A 1×1 PNG: an upload media accepts, so only its alt text can be what is refused. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function expectInvalidText(res: Reply, field: string) {
  expect(res.status, res.text).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ code: 'INVALID_TEXT', errors: [{ field }] });
}

/**
 * Input an attacker shapes to slip past keys and parsers (docs/reliability.md): ids in other letter cases,
 * and text holding NUL or a lone surrogate.
 */
export function inputSuite() {
  describe('sec-input: hostile spellings and text through the gateway', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let admin: Account;

    beforeAll(() => {
      ({ p, api, admin } = proof());
    });

    /** Keys of the platform's Redis that name `id` in any spelling. */
    async function redisKeysNaming(id: string): Promise<string[]> {
      const redis = createRedis('redis://127.0.0.1:6379', '');
      try {
        const keys = await redis.keys(`${p.names.REDIS_PREFIX}*`);
        return keys.filter((k) => k.toLowerCase().includes(id)).sort();
      } finally {
        redis.disconnect();
      }
    }

    describe('sec-ids: every letter-case spelling of an id is the same id', () => {
      it('sec-ids-queue: a join under another spelling takes a place in the event’s own line', async () => {
        const { eventId } = await api.onSaleEvent(admin, 2, {
          waitingRoom: { enabled: true, admissionRatePerMinute: 1, maxActiveShoppers: 1 },
        });
        const [lower, upper, mixed] = caseSpellings(eventId, 3) as [string, string, string];
        const [fan, other] = await Promise.all([api.signUp('ids-fan'), api.signUp('ids-other')]);
        const joined = await api.gw('POST', `/api/queue/${lower}/join`, {
          token: fan.token,
          headers: await challengeHeader(p.gateway, 'join', eventId),
        });
        expect(joined.status, joined.text).toBe(201);
        const again = await api.gw('POST', `/api/queue/${upper}/join`, {
          token: fan.token,
          headers: await challengeHeader(p.gateway, 'join', eventId),
        });
        expect(again.status, again.text).toBe(200);
        expect(again.body).toMatchObject({ queueId: joined.body.queueId, eventId: lower });
        const behind = await api.gw('POST', `/api/queue/${mixed}/join`, {
          token: other.token,
          headers: await challengeHeader(p.gateway, 'join', eventId),
        });
        expect(behind.body.eventId).toBe(lower);
        const status = await api.gw('GET', `/api/queue/${upper}/status`, { token: other.token });
        expect(status.body.queueId).toBe(behind.body.queueId);
        // One line: the second fan is behind the first, not first in a room of their own.
        const numbered = await eventually(async () => {
          const [a, b] = await Promise.all([
            api.gw('GET', `/api/queue/${lower}/status`, { token: fan.token }),
            api.gw('GET', `/api/queue/${lower}/status`, { token: other.token }),
          ]);
          expect(a.body.number).not.toBeNull();
          expect(b.body.number).not.toBeNull();
          return [a.body.number as number, b.body.number as number];
        });
        expect(numbered[1]).toBeGreaterThan(numbered[0] as number);
      });

      it('sec-ids-limit: ten holds at once under ten spellings keep the per-user limit of four', async () => {
        const { eventId, seatIds } = await api.onSaleEvent(admin, 10, { perUserLimit: 4 });
        const spellings = caseSpellings(eventId, 10);
        const fan = await api.signUp('ids-limit');
        const answers = await Promise.all(
          spellings.map((spelling, i) => api.hold(fan, spelling, [(seatIds[i] as string).toUpperCase()])),
        );
        const statuses = answers.map((a) => a.status);
        expect(
          statuses.filter((s) => s === 201),
          statuses.join(' '),
        ).toHaveLength(4);
        for (const refused of answers.filter((a) => a.status !== 201)) {
          expect(refused.body?.code, refused.text).toBe('PER_USER_LIMIT');
        }
        const { rows } = await p.db('reservation').query(
          `select count(*)::int as n from reservation_seats rs join reservations r on r.id = rs.reservation_id
             where r.user_id = $1 and rs.active`,
          [fan.id],
        );
        expect(rows[0].n).toBe(4);
        // Given back rather than left to expire: four expiry emails alike would read as one sent four times.
        for (const held of answers.filter((a) => a.status === 201)) {
          const back = await api.gw('DELETE', `/api/reservations/${held.body.reservationId}`, {
            token: fan.token,
          });
          expect(back.status, back.text).toBe(200);
        }
      });

      it('sec-ids-seatmap: one cached seat map for every spelling, and a held seat is held in each', async () => {
        const { eventId, seatIds } = await api.onSaleEvent(admin, 4);
        const spellings = caseSpellings(eventId, 10);
        const keys = await redisKeysNaming(eventId);
        for (const spelling of spellings) {
          const map = await api.gw('GET', `/api/seats/event/${spelling}`);
          expect(map.status, map.text).toBe(200);
        }
        expect(await redisKeysNaming(eventId)).toEqual(keys);
        expect(keys.filter((k) => /[A-F]/.test(k.slice(p.names.REDIS_PREFIX.length)))).toEqual([]);

        const fan = await api.signUp('ids-map');
        const held = await api.hold(fan, spellings[1] as string, [seatIds[0] as string]);
        expect(held.status, held.text).toBe(201);
        for (const spelling of spellings) {
          const map = await api.gw('GET', `/api/seats/event/${spelling}`);
          const seat = (map.body.seats as { id: string; status: string }[]).find((s) => s.id === seatIds[0]);
          expect(seat?.status, spelling).toBe('held');
          expect(map.body.eventId).toBe(eventId);
        }
      });
    });

    describe('sec-text: a NUL or a lone surrogate is refused as 400 INVALID_TEXT, before any change', () => {
      it('refuses them in a query, login, sign-up, profile, admin search, event title and media alt', async () => {
        const fan = await api.signUp('text');
        expectInvalidText(await api.gw('GET', '/api/events?q=%00'), 'querystring.q');
        expectInvalidText(
          await api.gw('POST', '/api/auth/login', {
            body: { email: fan.email, password: `${fan.password}\u0000` },
          }),
          'body.password',
        );
        const email = `text-${randomUUID().slice(0, 8)}@example.com`;
        expectInvalidText(
          await api.gw('POST', '/api/auth/register', {
            body: { email, password: `pw-${randomUUID()}`, name: 'Min\u0000ji' },
          }),
          'body.name',
        );
        const registered = await p.db('user').query('select 1 from users where email = $1', [email]);
        expect(registered.rowCount).toBe(0);
        expectInvalidText(
          await api.gw('PATCH', '/api/users/me', { token: fan.token, body: { name: 'Fan\u0000' } }),
          'body.name',
        );
        expectInvalidText(
          await api.gw('GET', '/api/admin/users?query=a%00b', { token: admin.token }),
          'querystring.query',
        );

        const { eventId } = await api.onSaleEvent(admin, 1);
        expectInvalidText(
          await api.gw('PATCH', `/api/events/${eventId}`, {
            token: admin.token,
            body: { title: 'Proof\u0000Night' },
          }),
          'body.title',
        );
        const titles = await p.db('event').query('select title from events where id = $1', [eventId]);
        expect(titles.rows[0].title).toBe('Proof Night');

        const media = async () =>
          (await p.db('media').query('select count(*)::int as n from media')).rows[0].n;
        const stored = await media();
        const boundary = `alt${randomUUID()}`;
        const form = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nposter\u0000\r\n`),
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`,
          ),
          PNG,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        expectInvalidText(
          await call(p.gateway, 'POST', '/api/media', {
            token: admin.token,
            raw: form,
            headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          }),
          'alt',
        );
        expect(await media()).toBe(stored);
      });

      it('refuses them in a checkout name, a paymentKey and a cancel reason, and refunds nothing', async () => {
        const { eventId, seatIds } = await api.onSaleEvent(admin, 3);
        const fan = await api.signUp('text-pay');
        const held = await api.hold(fan, eventId, [seatIds[0] as string]);
        expect(held.status, held.text).toBe(201);
        expectInvalidText(
          await api.gw('POST', '/api/payments/toss/request', {
            token: fan.token,
            body: {
              reservationId: held.body.reservationId,
              amount: held.body.amount,
              customerInfo: { name: 'Fan\u0000', email: fan.email },
            },
          }),
          'body.customerInfo.name',
        );
        const opened = await p
          .db('payment')
          .query('select 1 from payments where reservation_id = $1', [held.body.reservationId]);
        expect(opened.rowCount).toBe(0);

        const order = await api.checkout(fan, eventId, [seatIds[1] as string]);
        expectInvalidText(
          await api.confirm(fan, { ...order.paid, paymentKey: `${order.paid.paymentKey}\u0000` }),
          'body.paymentKey',
        );
        const confirmed = await api.confirm(fan, order.paid);
        expect(confirmed.status, confirmed.text).toBe(200);

        expectInvalidText(
          await api.gw('POST', `/api/payments/${order.paymentId}/cancel`, {
            token: fan.token,
            body: { reason: 'plans changed \ud800' },
          }),
          'body.reason',
        );
        const payment = await api.gw('GET', `/api/payments/${order.paymentId}`, { token: fan.token });
        expect(payment.body).toMatchObject({ status: 'COMPLETED', refundedAmount: 0 });
        const refunds = await p
          .db('payment')
          .query('select count(*)::int as n from refunds where payment_id = $1', [order.paymentId]);
        expect(refunds.rows[0].n).toBe(0);
      });
    });
  });
}
