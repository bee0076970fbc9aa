import { challengeHeader } from '@tiketi/kit/testing';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_SHIFT } from '../../../scripts/lib/isolated-platform.ts';
import {
  accessTokenOf,
  apiJson,
  buyThroughApi,
  concertOnSale,
  freeSeats,
  holdsGivenBack,
  operatorToken,
  postJson,
  screenshot,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * A fan's account in a real browser against the whole platform: signing in with Google (the sandbox
 * OpenID provider stands in for it), buying a seat of a concert without a waiting room, and handing the
 * paid order back for a refund from "my tickets".
 */

/** The demo seed's concert without a waiting room: Blue Square, sections A–C. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
/** Whom the sandbox provider signs in: a real Google account would be the fan's own. */
const GOOGLE_FAN = { email: 'minji.google@example.com', name: 'Minji Google' };

type Me = { id: string; email: string; name: string };
type Payment = { id: string; status: string; amount: number; refundedAmount: number };
type Listing<T> = { items: T[] };

const account: { userId?: string; seatId?: string; reservationId?: string; givenBack?: string } = {};
const site = siteOnPlatform({
  label: 'web_fan',
  env: {
    OIDC_DEMO_EMAIL: GOOGLE_FAN.email,
    OIDC_DEMO_NAME: GOOGLE_FAN.name,
    // Strangers' guesses at one account reach its limit quickly; every test client here is one address.
    LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
    RATE_LIMIT_AUTH: '100',
  },
});

async function signInWithGoogle(next: string): Promise<void> {
  await site.page.goto(`/login?next=${encodeURIComponent(next)}`);
  await site.page.getByRole('link', { name: 'Sign in with Google' }).click();
  await site.page.waitForURL(`${WEB}${next}`);
  await site.page.getByRole('button', { name: 'Log out' }).waitFor();
}

describe('a fan signing in with Google', () => {
  it(
    'comes back from the provider signed in, on the page the sign-in started from',
    site.step(async () => {
      await signInWithGoogle('/me/tickets');
      await site.page.getByRole('heading', { name: 'My tickets' }).waitFor();
      // The tokens travel in the fragment, which the callback page must not leave in the address bar.
      expect(new URL(site.page.url()).hash).toBe('');
      const me = await apiJson<Me>('/api/users/me', await accessTokenOf(site.page));
      expect(me).toMatchObject({ email: GOOGLE_FAN.email, name: GOOGLE_FAN.name });
      account.userId = me.id;
      await screenshot(site.page, 'fan-01-google-signed-in');
    }),
    60_000,
  );

  it(
    'finds the same account when the fan signs in with Google again',
    site.step(async () => {
      await site.page.getByRole('button', { name: 'Log out' }).click();
      await site.page.getByRole('link', { name: 'Log in' }).waitFor();
      await signInWithGoogle('/');
      const me = await apiJson<Me>('/api/users/me', await accessTokenOf(site.page));
      expect(me.id).toBe(account.userId);
    }),
    60_000,
  );
});

describe('a fan refunding a paid order', () => {
  it(
    'buys a seat and pays for it in the Toss sandbox',
    site.step(async () => {
      await site.page.goto(`/events/${OPEN_EVENT}`);
      // The concert's time is Seoul's, and the page says so: a fan abroad must not take it for local time.
      const { startsAt } = await apiJson<{ startsAt: string }>(`/api/events/${OPEN_EVENT}`);
      const seoul = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Seoul',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(startsAt));
      expect(await site.page.locator('dl.facts dd').first().textContent()).toMatch(
        new RegExp(`${seoul} KST$`),
      );
      await site.page.getByRole('link', { name: 'Book tickets' }).click();
      await site.page.waitForURL(`${WEB}/events/${OPEN_EVENT}/seats`);
      const seat = site.page.locator('figure[data-section="A"] rect[data-status="available"]').first();
      account.seatId = (await seat.getAttribute('data-seat-id')) ?? undefined;
      await seat.click();
      await site.page.getByRole('button', { name: 'Hold these seats' }).click();
      await site.page.waitForURL(/\/checkout\//);
      account.reservationId = new URL(site.page.url()).pathname.split('/').pop();
      await site.page.getByRole('button', { name: 'Pay with Toss' }).click();
      await site.page.waitForURL(new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`));
      await site.page.locator('#pay').click();
      await site.page.waitForURL(/\/payments\/success\?/);
      await site.page.getByText('Payment complete').waitFor();
    }),
    90_000,
  );

  it(
    'asks for a refund on "my tickets" and sees the order refunded and the ticket void',
    site.step(async () => {
      await site.page.getByRole('link', { name: 'See my tickets' }).click();
      await site.page.waitForURL(`${WEB}/me/tickets`);
      await site.page.locator('img.qr').waitFor();
      const order = site.page.locator('.order', {
        has: site.page.getByText('Paid', { exact: true }),
      });
      await screenshot(site.page, 'fan-02-paid-order');

      // The first answer is lost on the way back, after the payment service refunded: the page asks
      // again with the same Idempotency-Key and gets that refund's answer, not a second refund or a refusal.
      const keys: string[] = [];
      let lost = false;
      await site.page.route('**/api/payments/*/cancel', async (route) => {
        keys.push((await route.request().allHeaders())['idempotency-key'] ?? '');
        if (lost) return route.continue();
        lost = true;
        await route.fetch();
        return route.abort('connectionreset');
      });
      // The page asks before it gives the tickets back, naming the order as the page does; the fan says yes.
      let asked = '';
      site.page.once('dialog', (dialog) => {
        asked = dialog.message();
        void dialog.accept();
      });
      await order.getByRole('button', { name: 'Request a refund' }).click();
      await site.page.getByText('Refund requested.').waitFor();
      expect(asked).toBe('Refund this order? The tickets stop working.');
      await site.page.unroute('**/api/payments/*/cancel');
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
      await site.page
        .locator('.order .badge.res-REFUNDED', { hasText: 'Refunded' })
        .waitFor({ timeout: UI_TIMEOUT });
      await site.page.locator('.ticket .badge', { hasText: 'Void' }).waitFor({ timeout: UI_TIMEOUT });
      await expect(site.page.locator('img.qr').count()).resolves.toBe(0);
      await screenshot(site.page, 'fan-03-refunded');

      const token = await accessTokenOf(site.page);
      const payments = await apiJson<Listing<Payment>>(
        `/api/payments?reservationId=${account.reservationId}`,
        token,
      );
      expect(payments.items).toHaveLength(1);
      const [payment] = payments.items;
      expect(payment?.status).toBe('REFUNDED');
      expect(payment?.refundedAmount).toBe(payment?.amount);
      expect(payment?.amount).toBeGreaterThan(0);
    }),
    90_000,
  );

  it('puts the refunded seat back on sale', async () => {
    const seats = () =>
      apiJson<{ seats: { id: string; status: string }[] }>(`/api/seats/event/${OPEN_EVENT}`).then(
        (map) => map.seats.find((s) => s.id === account.seatId)?.status,
      );
    await expect.poll(seats, { timeout: UI_TIMEOUT }).toBe('available');
    await site.page.goto(`/events/${OPEN_EVENT}/seats`);
    await site.page.locator(`rect[data-seat-id="${account.seatId}"][data-status="available"]`).waitFor();
    expect(site.blocked).toEqual([]);
  }, 60_000);
});

describe('a fan giving back one ticket of an order', () => {
  it(
    'refunds that ticket only from "my tickets": it goes void, the other keeps its QR code',
    site.step(async () => {
      const page = site.page;
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      const free = page.locator('figure[data-section="B"] rect[data-status="available"]');
      const seatIds = [
        await free.nth(0).getAttribute('data-seat-id'),
        await free.nth(1).getAttribute('data-seat-id'),
      ];
      for (const id of seatIds) await page.locator(`rect[data-seat-id="${id}"]`).click();
      await page.getByRole('button', { name: 'Hold these seats' }).click();
      await page.waitForURL(/\/checkout\//);
      const reservationId = new URL(page.url()).pathname.split('/').pop();
      await page.getByRole('button', { name: 'Pay with Toss' }).click();
      await page.waitForURL(new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`));
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('Payment complete').waitFor();
      await page.getByRole('link', { name: 'See my tickets' }).click();
      const order = page.locator(`.order[data-reservation-id="${reservationId}"]`);
      await expect.poll(() => order.locator('img.qr').count(), { timeout: UI_TIMEOUT }).toBe(2);
      expect(await order.locator('.order-head').innerText()).toMatch(/· 2 tickets$/m);

      // Each ticket of the order offers to give back that one alone, named for a screen reader, as is the
      // PDF of each (not two buttons both called "PDF").
      const [first, second] = await order.getByTestId('ticket-place').allInnerTexts();
      for (const place of [first, second])
        await order.getByRole('button', { name: `Download the PDF ticket: ${place}` }).waitFor();
      const refundSecond = order.getByRole('button', { name: `Refund this ticket: ${second}` });
      page.once('dialog', (dialog) => void dialog.accept());
      await refundSecond.click();
      await order.getByText('Refund requested.').waitFor();
      const kept = order.locator('.ticket', { hasText: first ?? '' });
      const given = order.locator('.ticket', { hasText: second ?? '' });
      await given.locator('.badge', { hasText: 'Void' }).waitFor({ timeout: UI_TIMEOUT });
      expect(await kept.getByTestId('ticket-status').innerText()).toBe('Valid');
      expect(await kept.locator('img.qr').count()).toBe(1);
      await order
        .locator('.order-head .badge', { hasText: 'Partly refunded' })
        .waitFor({ timeout: UI_TIMEOUT });
      // One ticket left: giving it back is the order's refund, not a ticket's, and it is still offered.
      expect(await order.getByTestId('ticket-refund').count()).toBe(0);
      expect(await order.getByRole('button', { name: 'Request a refund' }).isEnabled()).toBe(true);
      await screenshot(page, 'fan-04-one-ticket-refunded');

      const payments = await apiJson<Listing<Payment>>(
        `/api/payments?reservationId=${reservationId}`,
        await accessTokenOf(page),
      );
      expect(payments.items[0]?.status).toBe('PARTIALLY_REFUNDED');
      expect(payments.items[0]?.refundedAmount).toBe(110_000);
    }),
    120_000,
  );

  it(
    'counts the ticket kept toward the per-person limit on the seat map, as the server does',
    site.step(async () => {
      const page = site.page;
      const asked: URL[] = [];
      const onRequest = (request: { url: () => string }) => {
        const url = new URL(request.url());
        if (url.pathname === '/api/tickets') asked.push(url);
      };
      page.on('request', onRequest);
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      // Two per person; the fan kept one: one more, said before a hold is refused for it.
      await page.getByRole('heading', { name: 'Selected: 0 / 1' }).waitFor();
      page.off('request', onRequest);
      // The count comes from this concert's tickets alone, not from every ticket the fan has.
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.map((url) => url.searchParams.get('eventId'))).toEqual(asked.map(() => OPEN_EVENT));
      expect(await page.getByTestId('limit-owned').innerText()).toBe(
        'One person may have 2 tickets for this concert and you already have 1 (bought or held): you can choose 1 more.',
      );
      const free = page.locator('figure[data-section="C"] rect[data-status="available"]');
      await free.nth(0).click();
      await free.nth(1).click();
      await page.getByRole('heading', { name: 'Selected: 1 / 1' }).waitFor();
      expect(await page.locator('.basket [role="status"], .basket .notice').last().innerText()).toContain(
        'you can choose 1 more',
      );
      await page.locator('figure[data-section="C"] rect[aria-checked="true"]').click();
    }),
    60_000,
  );

  it(
    'cuts a choice down when a hold in another tab takes what was left of the limit, and says why',
    site.step(async () => {
      const page = site.page;
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      await page.getByRole('heading', { name: 'Selected: 0 / 1' }).waitFor();
      await page.locator('figure[data-section="C"] rect[data-status="available"]').first().click();
      await page.getByRole('heading', { name: 'Selected: 1 / 1' }).waitFor();

      // The last ticket of the limit, held in another tab meanwhile.
      const other = await page.context().newPage();
      let held = '';
      try {
        await other.goto(`/events/${OPEN_EVENT}/seats`);
        await other.locator('figure[data-section="C"] rect[data-status="available"]').nth(3).click();
        await other.getByRole('button', { name: 'Hold these seats' }).click();
        await other.waitForURL(/\/checkout\//);
        held = new URL(other.url()).pathname.split('/').pop() ?? '';
        account.givenBack = held;
      } finally {
        await other.close();
      }

      await page.getByRole('heading', { name: 'Your selection' }).waitFor({ timeout: UI_TIMEOUT });
      expect(await page.getByTestId('limit-trimmed').innerText()).toBe(
        'You now have 2 of the 2 tickets one person may have for this concert (bought or held, perhaps in another window), so no more can be chosen: your selection was cleared.',
      );
      expect(await page.locator('figure rect[aria-checked="true"]').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Hold these seats' }).isDisabled()).toBe(true);
      // Beside that note, nothing offers "0 more".
      expect(await page.locator('.basket').innerText()).not.toMatch(/choose 0 more/);
      await screenshot(page, 'fan-05-limit-taken-elsewhere');

      // Another seat tried: the limit said as it is, once, as the word on the refused choice.
      await page.locator('figure[data-section="C"] rect[data-status="available"]').first().click();
      const reached =
        'One person may have 2 tickets for this concert and you already have 2 (bought or held): no more can be chosen.';
      expect(await page.locator('.basket .notice').last().innerText()).toBe(reached);
      expect(await page.getByTestId('limit-owned').count()).toBe(0);
      expect((await page.locator('.basket').innerText()).split(reached)).toHaveLength(2);
      expect(await page.locator('figure rect[aria-checked="true"]').count()).toBe(0);

      const released = await fetch(`${WEB}/api/reservations/${held}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await accessTokenOf(page)}` },
      });
      expect(released.ok).toBe(true);
    }),
    60_000,
  );
});

describe('a fan with more tickets and reservations than one page shows', () => {
  it(
    'reads the older ones on "my tickets" with "show more", each order whole with its status',
    site.step(async () => {
      const page = site.page;
      const token = await accessTokenOf(page);
      // Twenty-one tickets more, ten a person at most: orders of ten, ten and one, each of its own concert.
      const orders: string[] = [];
      for (const count of [10, 10, 1]) {
        const eventId = await concertOnSale('Many tickets', { perUserLimit: 10 });
        orders.push(await buyThroughApi(token, GOOGLE_FAN, eventId, await freeSeats(eventId, count)));
      }
      // And more than a page of reservations: holds given back.
      await holdsGivenBack(token, await concertOnSale('Given back', { perUserLimit: 1 }), 20);
      const total = (await apiJson<{ total: number }>('/api/tickets', token)).total;
      expect(total).toBeGreaterThan(20);

      await page.goto('/me/tickets');
      const tickets = page.locator('.order-list .ticket');
      await expect.poll(() => tickets.count(), { timeout: UI_TIMEOUT }).toBe(20);
      // The first order, refunded at the start, is past the first page; so is the hold given back above.
      const firstOrder = page.locator(`.order[data-reservation-id="${account.reservationId}"]`);
      const givenBack = page.locator(`.reservation-row[data-reservation-id="${account.givenBack}"]`);
      expect(await firstOrder.count()).toBe(0);
      expect(await givenBack.count()).toBe(0);
      // The oldest of the orders of ten is already on the page with its status, though its reservation is not.
      await page
        .locator(`.order[data-reservation-id="${orders[0]}"] .badge.res-CONFIRMED`, { hasText: 'Paid' })
        .waitFor();

      await page.getByRole('button', { name: 'Show more tickets' }).click();
      await expect.poll(() => tickets.count(), { timeout: UI_TIMEOUT }).toBe(total);
      // That order comes together whole, not split between two lists.
      expect(
        await page.locator(`.order[data-reservation-id="${orders[0]}"]`).locator('.ticket').count(),
      ).toBe(10);
      await firstOrder.locator('.badge.res-REFUNDED', { hasText: 'Refunded' }).waitFor();
      expect(await page.getByRole('button', { name: 'Show more tickets' }).count()).toBe(0);

      await page.getByRole('button', { name: 'Show more reservations' }).click();
      await givenBack.locator('.badge.res-CANCELLED').waitFor({ timeout: UI_TIMEOUT });
      await screenshot(page, 'fan-06-show-more');
    }),
    180_000,
  );
});

describe('a fan whose concert was called off', () => {
  it(
    'is told on "my tickets" that the concert was cancelled, and why, beside the refunded order',
    site.step(async () => {
      const page = site.page;
      const token = await accessTokenOf(page);
      const eventId = await concertOnSale('Called off');
      const reservationId = await buyThroughApi(token, GOOGLE_FAN, eventId, await freeSeats(eventId, 1));
      const cancelled = await fetch(`${WEB}/api/events/${eventId}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await operatorToken()}` },
        body: JSON.stringify({ reason: 'The artist is ill.' }),
      });
      expect(cancelled.status, await cancelled.text()).toBe(200);

      await page.goto(`/me/tickets?order=${reservationId}`);
      const order = page.locator(`.order[data-reservation-id="${reservationId}"]`);
      await expect
        .poll(
          () =>
            order
              .getByTestId('concert-cancelled')
              .innerText()
              .catch(() => ''),
          { timeout: UI_TIMEOUT },
        )
        .toBe(
          'This concert was cancelled: its tickets are refunded in full. The organiser says: The artist is ill.',
        );
    }),
    90_000,
  );
});

describe('a fan whose account strangers have been guessing at', () => {
  it(
    'still signs in with the password, the page proving a person is there on its own, and the count starts over',
    site.step(async () => {
      const who = {
        email: `guessed-${Date.now()}@example.com`,
        password: 'correct-horse-battery',
        name: 'Guessed',
      };
      await postJson('/api/auth/register', who, undefined, await challengeHeader(WEB, 'register'));
      const attempt = (password: string) =>
        fetch(`${WEB}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: who.email, password }),
        });
      for (let i = 0; i < 3; i++) expect((await attempt(`guess-${i}`)).status).toBe(401);
      const locked = await attempt(who.password);
      expect(locked.status).toBe(403);
      expect(await locked.json()).toMatchObject({ code: 'CHALLENGE_REQUIRED' });

      const browser = site.page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const context = await browser.newContext({ baseURL: WEB });
      try {
        const page = await context.newPage();
        const asked: string[] = [];
        page.on('request', (req) => {
          const url = new URL(req.url());
          if (url.pathname === '/api/challenge') asked.push(`challenge ${url.searchParams.get('purpose')}`);
          if (url.pathname === '/api/auth/login')
            asked.push(`login ${req.headers()['x-altcha'] ? 'solved' : 'bare'}`);
        });
        await page.goto('/login');
        await page.getByLabel('Email').fill(who.email);
        await page.getByLabel('Password').fill(who.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL(`${WEB}/`, { timeout: UI_TIMEOUT });
        await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: UI_TIMEOUT });
        const me = await apiJson<Me>('/api/users/me', await accessTokenOf(page));
        expect(me.email).toBe(who.email);
        // Asked for the check, solved it as the sign-up page does, and sent the sign-in once more.
        expect(asked).toEqual(['login bare', 'challenge login', 'login solved']);
      } finally {
        await context.close();
      }
      // Signed in, the account is no longer one strangers are guessing at: no check next time.
      expect((await attempt(who.password)).status).toBe(200);
    }),
    60_000,
  );
});
