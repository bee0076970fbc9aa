import { createHash, randomUUID } from 'node:crypto';
import { challengeHeader } from '@tiketi/kit/testing';
import { awaitMail, verificationLink } from '@tiketi/sandbox-mail/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Account, Reply } from '../support/api.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof } from '../support/proof.ts';

/** A browser as far as sign-in needs one: follows nothing by itself and keeps the cookies it is given. */
function browser() {
  const jar = new Map<string, string>();
  return {
    jar,
    async get(url: string): Promise<Response> {
      const headers: Record<string, string> = {};
      if (jar.size) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const res = await fetch(url, { redirect: 'manual', headers, signal: AbortSignal.timeout(20_000) });
      for (const line of res.headers.getSetCookie()) {
        const pair = line.split(';')[0] ?? '';
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (value && !/max-age=0/i.test(line)) jar.set(name, value);
        else jar.delete(name);
      }
      return res;
    },
  };
}
type Browser = ReturnType<typeof browser>;

const redirectOf = (res: Response) => {
  expect(res.status, `expected a redirect, got ${res.status}`).toBe(302);
  return new URL(res.headers.get('location') ?? '');
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
/** Every key path of a JSON value: two answers of one shape have the same. */
function shapeOf(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${prefix}:${typeof value}`];
  return Object.entries(value as Record<string, unknown>)
    .flatMap(([key, inner]) => shapeOf(inner, `${prefix}.${key}`))
    .sort();
}

/**
 * Issue 17, points 4, 5 and 14: an account belongs to whoever proves its address. Pre-hijacking through
 * Google sign-in, holds by unverified accounts, login CSRF on the Google callback, and register telling
 * which addresses have accounts, each tried as an attacker would through the gateway.
 */
export function accountsSuite() {
  describe('sec-accounts: an account belongs to whoever proves its address', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let admin: Account;
    let eventId: string;
    let seatIds: string[];

    beforeAll(async () => {
      ({ p, api, admin } = proof());
      ({ eventId, seatIds } = await api.onSaleEvent(admin, 4));
    });

    const mailbox = () => p.url('sandbox-mail');
    const holdOne = (token: string, seat = seatIds[0] as string) =>
      api.gw('POST', '/api/reservations', { token, body: { eventId, seatIds: [seat] } });
    const expectNotVerified = (res: Reply) => {
      expect(res.status, res.text).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('EMAIL_NOT_VERIFIED');
    };
    const register = async (email: string, password: string, name = 'Fan') => {
      const headers = await challengeHeader(p.gateway, 'register');
      const started = performance.now();
      const res = await api.gw('POST', '/api/auth/register', { body: { email, password, name }, headers });
      const ms = performance.now() - started;
      if (res.status === 201) api.issued.push(password, res.body.accessToken, res.body.refreshToken);
      return { res, ms };
    };

    /** Starts Google sign-in at the gateway in `b`; the provider signs in `email`; answers the callback URL. */
    async function googleCallback(b: Browser, email: string): Promise<URL> {
      const authorize = redirectOf(await b.get(`${p.gateway}/api/auth/google`));
      authorize.searchParams.set('login_hint', email);
      return redirectOf(await b.get(authorize.href));
    }
    /** Delivers the provider's redirect to the gateway in `b`; answers the web app's fragment. */
    async function finishGoogle(b: Browser, callback: URL): Promise<URLSearchParams> {
      const landing = redirectOf(await b.get(`${p.gateway}${callback.pathname}${callback.search}`));
      const fragment = new URLSearchParams(landing.hash.slice(1));
      for (const key of ['accessToken', 'refreshToken']) {
        const token = fragment.get(key);
        if (token) api.issued.push(token);
      }
      return fragment;
    }

    it('lets an unverified account hold nothing, and takes only tokens signed after the proof', async () => {
      const fan = await api.signUpUnverified('unverified');
      expectNotVerified(await holdOne(fan.token));

      const link = await verificationLink(mailbox(), fan.email, { timeoutMs: 30_000 });
      // WEB_ORIGIN: the web app's port is the gateway's minus one (3000 and 3001), shifted alike.
      expect(`${link.origin}${link.pathname}`).toBe(`http://localhost:${p.port('gateway') - 1}/verify-email`);
      const token = link.searchParams.get('token') ?? '';
      api.issued.push(token);
      const verified = await api.gw('POST', '/api/auth/verify-email', { body: { token } });
      expect(verified.status, verified.text).toBe(200);
      expect(verified.body.user).toMatchObject({ id: fan.id, emailVerified: true });

      // The token signed before the proof says what was true then: replaying it still holds nothing.
      expectNotVerified(await holdOne(fan.token));
      const fresh = await api.gw('POST', '/api/auth/refresh', { body: { refreshToken: fan.refreshToken } });
      expect(fresh.status).toBe(200);
      api.issued.push(fresh.body.accessToken, fresh.body.refreshToken);
      expect(fresh.body.user.emailVerified).toBe(true);
      const held = await holdOne(fresh.body.accessToken);
      expect(held.status, held.text).toBe(201);
      const released = await api.gw('DELETE', `/api/reservations/${held.body.reservationId}`, {
        token: fresh.body.accessToken,
      });
      expect(released.status).toBeLessThan(300);
    });

    it('uses a verification token once, keeps only its hash, and refuses bad and expired ones as problems', async () => {
      const fan = await api.signUpUnverified('tokens');
      const token = (await verificationLink(mailbox(), fan.email, { timeoutMs: 30_000 })).searchParams.get(
        'token',
      ) as string;
      api.issued.push(token);
      const { rows } = await p
        .db('user')
        .query('select token_hash from email_tokens where user_id = $1', [fan.id]);
      expect(rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(token).digest('hex')]);

      const malformed = await api.gw('POST', '/api/auth/verify-email', { body: { token: 'not a token' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors?.[0]?.field).toBe('body.token');
      const unknown = await api.gw('POST', '/api/auth/verify-email', {
        body: { token: 'A'.repeat(43) },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('VERIFICATION_TOKEN_INVALID');

      await p
        .db('user')
        .query(`update email_tokens set expires_at = now() - interval '1 minute' where user_id = $1`, [
          fan.id,
        ]);
      const expired = await api.gw('POST', '/api/auth/verify-email', { body: { token } });
      expect(expired.status).toBe(410);
      expect(expired.body.code).toBe('VERIFICATION_TOKEN_EXPIRED');
      expect(expired.headers.get('content-type')).toMatch(/application\/problem\+json/);

      // A new link, asked for by the signed-in fan, at most once a minute.
      const resent = await api.gw('POST', '/api/auth/verify-email/resend', { token: fan.token });
      expect(resent.status, resent.text).toBe(202);
      const again = await api.gw('POST', '/api/auth/verify-email/resend', { token: fan.token });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      const { match } = await awaitMail(
        mailbox(),
        { to: fan.email, matches: new RegExp(`verify-email\\?token=(?!${token})([A-Za-z0-9_-]{43})`) },
        { timeoutMs: 30_000 },
      );
      const second = match[1] as string;
      api.issued.push(second);
      const used = await api.gw('POST', '/api/auth/verify-email', { body: { token: second } });
      expect(used.status, used.text).toBe(200);
      const twice = await api.gw('POST', '/api/auth/verify-email', { body: { token: second } });
      expect(twice.status).toBe(409);
      expect(twice.body.code).toBe('VERIFICATION_TOKEN_USED');
    });

    it('does not let a password planted on the address survive the owner signing in with Google (pre-hijacking)', async () => {
      const email = `victim-${randomUUID().slice(0, 8)}@example.com`;
      const attackerPassword = `attacker-${randomUUID()}`;
      const { res: planted } = await register(email, attackerPassword, 'Victim');
      expect(planted.status).toBe(201);
      expectNotVerified(await holdOne(planted.body.accessToken));

      const owner = browser();
      const fragment = await finishGoogle(owner, await googleCallback(owner, email));
      const ownerToken = fragment.get('accessToken');
      expect(ownerToken, `Google sign-in failed: ${fragment}`).toBeTruthy();
      const me = await api.gw('GET', '/api/users/me', { token: ownerToken as string });
      expect(me.body).toMatchObject({ email, emailVerified: true });

      // Whatever the attacker set or was given leads nowhere now.
      const login = await api.gw('POST', '/api/auth/login', { body: { email, password: attackerPassword } });
      expect(login.status).toBe(401);
      const refresh = await api.gw('POST', '/api/auth/refresh', {
        body: { refreshToken: planted.body.refreshToken },
      });
      expect(refresh.status).toBe(401);
      expect(me.body.id).not.toBe(planted.body.user.id);
      const tickets = await api.gw('GET', '/api/tickets', { token: planted.body.accessToken });
      expect(tickets.body.items ?? tickets.body).toEqual([]);
    });

    it('finishes a Google sign-in only in the browser that started it (login CSRF)', async () => {
      const attacker = browser();
      const start = await attacker.get(`${p.gateway}/api/auth/google`);
      const cookie = start.headers.getSetCookie().find((line) => line.startsWith('tiketi_oidc='));
      expect(cookie, 'the start binds the login to this browser').toBeDefined();
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      expect(cookie).toMatch(/;\s*Path=\/api\/auth\/google/i);
      expect(cookie).toMatch(/;\s*Max-Age=\d+/i);
      const authorize = redirectOf(start);
      authorize.searchParams.set('login_hint', `attacker-${randomUUID().slice(0, 8)}@example.com`);
      const prepared = redirectOf(await attacker.get(authorize.href));

      // The prepared URL opened by someone else: a fresh browser, and one in the middle of its own sign-in.
      const fresh = await finishGoogle(browser(), prepared);
      expect(fresh.get('accessToken')).toBeNull();
      expect(fresh.get('error')).toBe('invalid_state');
      const busy = browser();
      await googleCallback(busy, `someone-${randomUUID().slice(0, 8)}@example.com`);
      const alsoRefused = await finishGoogle(busy, prepared);
      expect(alsoRefused.get('accessToken')).toBeNull();

      // The browser that started a login finishes it.
      const own = browser();
      const mine = await finishGoogle(
        own,
        await googleCallback(own, `own-${randomUUID().slice(0, 8)}@example.com`),
      );
      expect(mine.get('accessToken')).toBeTruthy();
    });

    it('answers register alike whether or not the address has an account, and tells the owner instead', async () => {
      const owner = await api.signUp('owner');
      const attackerPassword = `attacker-${randomUUID()}`;
      const taken: Reply[] = [];
      const fresh: Reply[] = [];
      const times = { taken: [] as number[], fresh: [] as number[] };
      for (let i = 0; i < 5; i++) {
        const a = await register(owner.email, attackerPassword, 'Copy');
        const b = await register(`fresh-${randomUUID().slice(0, 8)}@example.com`, attackerPassword, 'Copy');
        taken.push(a.res);
        fresh.push(b.res);
        times.taken.push(a.ms);
        times.fresh.push(b.ms);
      }
      for (const [i, res] of taken.entries()) {
        const other = fresh[i] as Reply;
        expect(res.status, res.text).toBe(201);
        expect(res.status).toBe(other.status);
        expect(shapeOf(res.body)).toEqual(shapeOf(other.body));
        expect(res.headers.get('content-type')).toBe(other.headers.get('content-type'));
        expect(res.body.user).toMatchObject({ email: owner.email, emailVerified: false, role: 'user' });
      }
      // Roughly the same time: both hash the password and write in one transaction.
      const [mTaken, mFresh] = [median(times.taken), median(times.fresh)];
      expect(Math.abs(mTaken - mFresh), `taken ${mTaken} ms, fresh ${mFresh} ms`).toBeLessThan(
        Math.max(150, mFresh),
      );

      // The owner's account is untouched and told; the attacker's password opens nothing.
      const { rows } = await p.db('user').query('select id from users where email = $1', [owner.email]);
      expect(rows).toEqual([{ id: owner.id }]);
      expect(
        (await api.gw('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } }))
          .status,
      ).toBe(200);
      expect(
        (
          await api.gw('POST', '/api/auth/login', {
            body: { email: owner.email, password: attackerPassword },
          })
        ).status,
      ).toBe(401);
      await awaitMail(
        mailbox(),
        { to: owner.email, matches: /가입을 시도|tried to sign up/ },
        { timeoutMs: 30_000 },
      );
      // One warning for the five tries: a stranger cannot flood the owner's mailbox through register.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const warnings = await fetch(`${mailbox()}/api/messages?to=${encodeURIComponent(owner.email)}`);
      const { items } = (await warnings.json()) as { items: { text: string }[] };
      expect(items.filter((m) => /가입을 시도|tried to sign up/.test(m.text))).toHaveLength(1);
    });

    it('deletes an account only once nothing ties it to a sale, then forgets who it was everywhere', async () => {
      const fan = await api.signUp('leaver');
      const remove = (body: object, token = fan.token) => api.gw('DELETE', '/api/users/me', { token, body });
      const order = await api.checkout(fan, eventId, [seatIds[3] as string]);
      const inUse = await remove({ password: fan.password });
      expect(inUse.status, inUse.text).toBe(409);
      expect(inUse.body).toMatchObject({ code: 'ACCOUNT_IN_USE', holds: 1, upcomingTickets: 0 });
      const confirmed = await api.confirm(fan, order.paid);
      expect(confirmed.status, confirmed.text).toBe(200);
      // Each try checks the password, and tries count against the account: wait for the ticket, then try.
      await eventually(async () => {
        const tickets = await api.gw('GET', '/api/tickets', { token: fan.token });
        expect(tickets.body.total).toBe(1);
      });
      const ticketed = await remove({ password: fan.password });
      expect(ticketed.body).toMatchObject({ code: 'ACCOUNT_IN_USE', holds: 0, upcomingTickets: 1 });
      const cancelled = await api.gw('POST', `/api/payments/${order.paymentId}/cancel`, {
        token: fan.token,
        body: { reason: 'cannot come after all' },
      });
      expect(cancelled.status, cancelled.text).toBe(200);
      // The order's mails (tickets, refund) may still be on their way: each is either sent before the
      // account goes, its address then forgotten, or skipped after.

      const wrong = await remove({ password: 'not-my-password' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe('WRONG_PASSWORD');
      await eventually(async () => {
        const deleted = await remove({ password: fan.password });
        expect(deleted.status, deleted.text).toBe(204);
      });

      // Signed out everywhere, and the address is free again.
      expect((await api.gw('GET', '/api/users/me', { token: fan.token })).status).toBe(401);
      expect(
        (await api.gw('POST', '/api/auth/refresh', { body: { refreshToken: fan.refreshToken } })).status,
      ).toBe(401);
      const login = await api.gw('POST', '/api/auth/login', {
        body: { email: fan.email, password: fan.password },
      });
      expect(login.status).toBe(401);
      // The payment stays for the books, without the customer's name and address; the mail service forgets
      // the address too.
      await eventually(async () => {
        const { rows } = await p
          .db('payment')
          .query('select status, customer_name, customer_email from payments where id = $1', [
            order.paymentId,
          ]);
        expect(rows).toEqual([{ status: 'REFUNDED', customer_name: '', customer_email: '' }]);
        const known = await p
          .db('notification')
          .query('select email from recipients where user_id = $1', [fan.id]);
        expect(known.rows).toEqual([]);
        const sent = await p
          .db('notification')
          .query(
            'select count(*)::int as n from notifications where user_id = $1 and recipient is not null',
            [fan.id],
          );
        expect(sent.rows).toEqual([{ n: 0 }]);
      });
      const again = await register(fan.email, `pw-${fan.password}`, 'Returning fan');
      expect(again.res.status, again.res.text).toBe(201);
      expect(again.res.body.user.id).not.toBe(fan.id);
    });
  });
}
