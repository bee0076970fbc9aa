import { awaitMail } from '@tiketi/sandbox-mail/client';
import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  endHoldNow,
  linksIn,
  MAIL_INBOX,
  screenshotAtWidths,
  signIn,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  verifyEmailInBrowser,
  WEB,
} from './browser.ts';

/*
 * A Korean fan on the waiting list of a sold-out concert, in a real browser against the whole platform:
 * joins it from the concert page and sees the place; a seat comes back and the emailed link opens the
 * checkout (through the login when signed out), which says the seat is held for them and until when.
 */

const fan = { email: `fan-waitlist-${Date.now()}@example.com`, password: 'correct-horse-battery' };
const concert: { id?: string; holds: string[] } = { holds: [] };
/** The fan after them on the list, who gets the seat when the first fan gives it back. */
const next = {
  name: 'Next Fan',
  email: `fan-waitlist-next-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
  token: '',
};

/** The offer the next fan got when the first gave the seat back. */
const offered = { next: '' };

const site = siteOnPlatform({ label: 'web_waitlist' });

/** A two-seat concert on sale now whose two seats the operator holds: sold out. */
async function soldOutConcert(): Promise<string> {
  const venue = await asOperator('POST', '/api/venues', {
    name: `작은 무대 ${Date.now()}`,
    city: '서울',
    sections: [{ name: 'A', rows: [{ label: '1', seatCount: 2, tierKey: 'R' }] }],
  });
  const artists = await apiJson<{ items: { id: string }[] }>('/api/artists');
  const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const created = await asOperator('POST', '/api/events', {
    artistId: artists.items[0]?.id,
    venueId: venue.id,
    title: `매진 공연 ${Date.now()}`,
    startsAt: at(20),
    saleOpensAt: at(-1 / 24),
    saleClosesAt: at(19),
    perUserLimit: 2,
    waitlistOfferMinutes: 15,
    priceTiers: [{ key: 'R', name: 'R석', price: 77_000 }],
  });
  const eventId = String(created.id);
  await asOperator('POST', `/api/events/${eventId}/publish`);
  const seatsOf = () =>
    apiJson<{ seats: { id: string }[] }>(`/api/seats/event/${eventId}`).catch(() => ({ seats: [] }));
  await expect.poll(async () => (await seatsOf()).seats.length, { timeout: UI_TIMEOUT }).toBe(2);
  const seats = await seatsOf();
  for (const seat of seats.seats) {
    const held = await asOperator('POST', '/api/reservations', { eventId, seatIds: [seat.id] });
    concert.holds.push(String(held.reservationId));
  }
  return eventId;
}

describe('the waiting list of a sold-out concert', () => {
  it(
    'lets a signed-in fan join it from the concert page and shows their place',
    site.step(async () => {
      const page = site.page;
      await page.goto('/register');
      await page.getByLabel('Name').fill('한대기');
      await page.getByLabel('Email').fill(fan.email);
      await page.getByLabel('Password').fill(fan.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${WEB}/`);
      await verifyEmailInBrowser(page, fan.email);
      // The fan switches the site to Korean: the account takes the language, and the mails follow it.
      const saved = page.waitForResponse(
        (r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname === '/api/users/me',
      );
      await page.getByLabel('Language').selectOption('ko');
      expect((await saved).status()).toBe(200);

      concert.id = await soldOutConcert();
      await page.goto(`/events/${concert.id}`);
      await page.getByText('지금은 모든 좌석이 매진되었습니다.').waitFor();
      expect(await page.getByRole('link', { name: '예매하기' }).count()).toBe(0);
      expect(await page.getByTestId('event-status').innerText()).toBe('매진');
      // The catalogue hears it from the reservation service's look at its sales: the list says so too.
      await expect
        .poll(
          async () =>
            (await apiJson<{ items: { id: string }[] }>('/api/events?status=sold_out')).items.map(
              (e) => e.id,
            ),
          { timeout: UI_TIMEOUT },
        )
        .toContain(concert.id);
      await page.getByText('좌석은 15분 동안 회원님을 위해 잡아 두며').waitFor();
      await screenshotAtWidths(page, 'waitlist-01-sold-out');

      await page.getByLabel('매수').selectOption('1');
      await page.getByRole('button', { name: '대기 명단 신청' }).click();
      expect(await page.getByTestId('waitlist-place').innerText()).toBe('대기 순번 1번입니다.');
      const token = await accessTokenOf(page);
      const status = await apiJson<{ entry: { place: number; quantity: number } }>(
        `/api/waitlist/${concert.id}`,
        token,
      );
      expect(status.entry).toMatchObject({ place: 1, quantity: 1 });
      await screenshotAtWidths(page, 'waitlist-02-place');

      // Another fan, in a browser of their own, joins the list after them.
      const browser = page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const elsewhere = await browser.newContext({ baseURL: WEB });
      try {
        const other = await elsewhere.newPage();
        await signUpVerified(other, next);
        next.token = await accessTokenOf(other);
        await other.goto(`/events/${concert.id}`);
        await other.getByRole('button', { name: 'Join the waiting list' }).click();
        await other.getByTestId('waitlist-place').waitFor();
        expect(await other.getByTestId('waitlist-place').innerText()).toBe(
          'You are number 2 on the waiting list.',
        );
        // What was asked for, in the sentence's own case, and how it goes from here (no call to join).
        const panel = await other.locator('.waitlist').innerText();
        expect(panel).toContain('Waiting for 1 seat of any tier.');
        expect(panel).not.toContain('Join the waiting list:');
      } finally {
        await elsewhere.close();
      }
    }),
    600_000,
  );

  it(
    'mails the fan a link when a seat comes back, which opens the checkout after signing in',
    site.step(async () => {
      const page = site.page;
      await asOperator('DELETE', `/api/reservations/${concert.holds[0]}`);
      const { message } = await awaitMail(
        MAIL_INBOX,
        { to: fan.email, matches: /대기하신 좌석이 나왔습니다|\/checkout\// },
        { timeoutMs: UI_TIMEOUT },
      );
      expect(message.subject).toBe('[Tiketi] 대기하신 좌석이 나왔습니다');
      const link = linksIn(message.html ?? '').find((href) => href.includes('/checkout/'));
      if (!link) throw new Error('the offer mail has no checkout link');

      // The concert page says the seat is held and leads to the checkout too.
      await page.goto(`/events/${concert.id}`);
      await page.getByTestId('waitlist-offered').waitFor();
      // Not "every seat is taken" above the seats held for this fan.
      expect(await page.locator('.waitlist').innerText()).not.toContain('지금은 모든 좌석이');
      await screenshotAtWidths(page, 'waitlist-03-offered');

      const url = new URL(link);
      // Opened where another account is signed in (a shared computer): not a "page not found", but who is
      // signed in and the way to the account the mail was sent to, back to the same checkout.
      const browser = page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const shared = await browser.newContext({ baseURL: WEB });
      try {
        const other = await shared.newPage();
        await signIn(other, next, '/');
        // The mail is Korean, and so is the page its link opens, whatever this browser's language.
        await other.goto(`${url.pathname}${url.search}`);
        await other.getByText(`지금 ${next.email} 계정으로 로그인되어 있으며`).waitFor();
        expect(await other.getByTestId('not-found').count()).toBe(0);
        await other.getByRole('button', { name: '다른 계정으로 로그인' }).click();
        await other.waitForURL(`${WEB}/login?next=${encodeURIComponent(url.pathname)}`);
      } finally {
        await shared.close();
      }

      // Signed out, the mail's link goes through the login and lands on the checkout.
      await page.getByRole('button', { name: '로그아웃' }).click();
      await page.goto(`${url.pathname}${url.search}`);
      await page.waitForURL(/\/login\?next=/);
      await page.getByLabel('이메일').fill(fan.email);
      await page.getByLabel('비밀번호').fill(fan.password);
      await page.locator('main').getByRole('button', { name: '로그인' }).click();
      await page.waitForURL(`${WEB}${url.pathname}`);
      const notice = page.getByTestId('waitlist-offer');
      await notice.waitFor();
      // Held for the operator's 15 minutes from the offer, and the page says until when, in Seoul time.
      const token = await accessTokenOf(page);
      const { entry } = await apiJson<{ entry: { offer: { reservationId: string; expiresAt: string } } }>(
        `/api/waitlist/${concert.id}`,
        token,
      );
      const offered = await apiJson<{ createdAt: string }>(
        `/api/reservations/${entry.offer.reservationId}`,
        token,
      );
      expect(url.pathname).toBe(`/checkout/${entry.offer.reservationId}`);
      const minutes = (Date.parse(entry.offer.expiresAt) - Date.parse(offered.createdAt)) / 60_000;
      expect(Math.round(minutes)).toBe(15);
      const until = `${new Date(entry.offer.expiresAt).toLocaleString('ko-KR', {
        timeZone: 'Asia/Seoul',
        dateStyle: 'medium',
        timeStyle: 'short',
      })} KST`;
      expect(await notice.innerText()).toMatch(/^대기 명단에서 회원님께 돌아온 좌석입니다\. /);
      expect(await notice.innerText()).toContain(`${until}까지 결제하지 않으면`);
      expect(await page.getByTestId('amount').innerText()).toBe('77,000원');
      await page.getByRole('button', { name: '토스로 결제하기' }).waitFor();
      expect(await page.getByTestId('hold-rule').count()).toBe(0);
      await screenshotAtWidths(page, 'waitlist-04-checkout');
      expect(site.blocked).toEqual([]);
    }),
    120_000,
  );

  it(
    'gives the offered seat back with one Idempotency-Key for the click and its retry after a network failure',
    site.step(async () => {
      const page = site.page;
      const sent: string[] = [];
      let failed = false;
      await page.route('**/api/reservations/*', async (route) => {
        const request = route.request();
        if (request.method() !== 'DELETE') return route.continue();
        sent.push((await request.allHeaders())['idempotency-key'] ?? '');
        // The first try never reaches the server, as when the connection drops.
        if (!failed) {
          failed = true;
          return route.abort('connectionreset');
        }
        return route.continue();
      });
      const reservationId = new URL(page.url()).pathname.split('/').pop();
      await page.getByRole('button', { name: '좌석 반납하기' }).click();
      await page.waitForURL(`${WEB}/events/${concert.id}/seats`);
      await page.unroute('**/api/reservations/*');
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent[1]).toBe(sent[0]);
      const token = await accessTokenOf(page);
      const given = await apiJson<{ status: string }>(`/api/reservations/${reservationId}`, token);
      expect(given.status).toBe('CANCELLED');
      expect((await apiJson<{ entry: unknown }>(`/api/waitlist/${concert.id}`, token)).entry).toBeNull();

      // The seat passes to the next fan on the list, held for them and mailed with its own link.
      const offer = () =>
        apiJson<{ entry: { status: string; offer: { reservationId: string } | null } | null }>(
          `/api/waitlist/${concert.id}`,
          next.token,
        );
      await expect.poll(async () => (await offer()).entry?.status, { timeout: UI_TIMEOUT }).toBe('OFFERED');
      const passed = (await offer()).entry?.offer?.reservationId;
      expect(passed).not.toBe(reservationId);
      const { message } = await awaitMail(
        MAIL_INBOX,
        { to: next.email, matches: /\/checkout\// },
        { timeoutMs: UI_TIMEOUT },
      );
      expect(
        linksIn(message.html ?? '').some((href) => new URL(href).pathname === `/checkout/${passed}`),
      ).toBe(true);
      offered.next = String(passed);
    }),
    120_000,
  );

  it(
    'tells the next fan whose offer lapsed that it passed on, not that the seat went back on sale, as the mail does',
    site.step(async () => {
      const page = site.page;
      // The operator's shortest offer lasts minutes: its time is made to run out in the reservation database.
      await endHoldNow(site.platform, offered.next);
      const { message } = await awaitMail(
        MAIL_INBOX,
        { to: next.email, matches: /waiting-list offer expired/ },
        { timeoutMs: UI_TIMEOUT },
      );
      expect(message.text).toContain(
        'went to the next fan on the list, or back on sale if nobody was waiting',
      );

      const browser = page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const own = await browser.newContext({ baseURL: WEB });
      try {
        const other = await own.newPage();
        await signIn(other, next, `/checkout/${offered.next}`);
        const lapsed = other.getByTestId('offer-lapsed');
        await lapsed.waitFor();
        expect(await lapsed.innerText()).toContain(
          'were offered to the next fan on the waiting list, or went back on sale if nobody was waiting',
        );
        expect(await other.getByText('The seats went back on sale').count()).toBe(0);
        await other.getByText('you can join its waiting list again on the concert page').waitFor();
        await other.getByRole('link', { name: 'See the concert page' }).click();
        // Nobody else was waiting, so the seat is on sale again there.
        await other.waitForURL(`${WEB}/events/${concert.id}`);
      } finally {
        await own.close();
      }
    }),
    120_000,
  );
});
