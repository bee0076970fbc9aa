import { formatTicketCode } from '@tiketi/contracts';
import { awaitMail } from '@tiketi/sandbox-mail/client';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_SHIFT } from '../../../scripts/lib/isolated-platform.ts';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  MAIL_INBOX,
  screenshotAtWidths,
  signIn,
  signInAsOperator,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * Standing areas (스탠딩) in a real browser against the whole platform: an operator lays out a venue with
 * a seated section and two standing areas; a fan picks a number of places (not seats) in one, from the
 * keyboard too, sees the other sold out, pays at Toss and finds an entry number on each ticket.
 */

const TOSS_CHECKOUT = new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`);
const stamp = Date.now();
const venue = { name: `Standing Hall ${stamp}`, city: 'Seoul', id: '' };
const concert = { id: '' };
const fan = {
  name: 'Lee Floor',
  email: `fan-standing-${stamp}@example.com`,
  password: 'correct-horse-battery',
};

const site = siteOnPlatform({
  label: 'web_standing',
  // The concert is weeks away; the doors are open here so a standing ticket can be checked in.
  env: { CHECK_IN_OPENS_MINUTES_BEFORE: String(366 * 24 * 60) },
});
const codes: string[] = [];

describe('an operator laying out a venue with standing areas', () => {
  it(
    'makes Floor (20 places, arrival order) and Pit (1 place) standing areas beside a seated section',
    site.step(async () => {
      const page = site.page;
      await signInAsOperator(page, '/admin/venues');
      const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create', exact: true }) });
      await form.getByLabel('Name').fill(venue.name);
      await form.getByLabel('City').fill(venue.city);
      await form.getByRole('button', { name: 'Add section' }).click();
      const sections = form.locator('.tier-row');
      await expect.poll(() => sections.count(), { timeout: UI_TIMEOUT }).toBe(3);
      const areas = [
        { row: sections.nth(1), name: 'Floor', places: '20', order: 'In order of confirmed payment' },
        { row: sections.nth(2), name: 'Pit', places: '1', order: 'By draw among buyers' },
      ];
      for (const area of areas) {
        await area.row.getByLabel('Section', { exact: true }).fill(area.name);
        await area.row.getByLabel('Kind').selectOption({ label: 'Standing' });
        await area.row.getByLabel('Places').fill(area.places);
        await area.row.getByLabel('Entry numbers').selectOption({ label: area.order });
        await area.row.getByLabel('Tier key').fill('ST');
      }
      await form.getByText('Layout preview (50 seats and 21 standing places)').waitFor();
      await form.getByRole('button', { name: 'Create', exact: true }).click();
      await form.getByText(`Venue created: ${venue.name} (${venue.city}).`).waitFor();
      // Its link to a new concert there names it by id.
      const newEvent = await form.getByRole('link', { name: 'New event' }).getAttribute('href');
      venue.id = new URL(newEvent ?? '', WEB).searchParams.get('venueId') ?? '';
      const saved = await apiJson<{ sections: { name: string; standing: unknown }[] }>(
        `/api/venues/${venue.id}`,
      );
      expect(saved.sections).toEqual([
        expect.objectContaining({ name: 'A', standing: null }),
        expect.objectContaining({ name: 'Floor', standing: { capacity: 20, entryOrder: 'arrival' } }),
        expect.objectContaining({ name: 'Pit', standing: { capacity: 1, entryOrder: 'draw' } }),
      ]);

      // A concert there on sale now; the operator holds Pit's one place, so fans see it sold out.
      const artists = await apiJson<{ items: { id: string }[] }>('/api/artists');
      const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
      const event = await asOperator('POST', '/api/events', {
        artistId: artists.items[0]?.id,
        venueId: venue.id,
        title: `Standing Night ${stamp}`,
        startsAt: at(20),
        saleOpensAt: at(-1 / 24),
        saleClosesAt: at(19),
        perUserLimit: 4,
        priceTiers: [
          { key: 'R', name: 'R seat', price: 99_000 },
          { key: 'ST', name: 'Standing', price: 110_000 },
        ],
      });
      concert.id = String(event.id);
      await asOperator('POST', `/api/events/${concert.id}/publish`);
      const seatCount = () =>
        apiJson<{ seats: unknown[] }>(`/api/seats/event/${concert.id}`)
          .then((map) => map.seats.length)
          .catch(() => 0);
      await expect.poll(seatCount, { timeout: UI_TIMEOUT }).toBe(71);
      await asOperator('POST', '/api/reservations', {
        eventId: concert.id,
        standing: [{ section: 'Pit', quantity: 1 }],
      });
      await page.getByRole('button', { name: 'Log out' }).click();
    }),
    120_000,
  );
});

describe('a fan buying standing places', () => {
  it(
    'shows each standing area as one card with its price and places left, not as seats',
    site.step(async () => {
      const page = site.page;
      await signUpVerified(page, fan);
      // The concert's prices count the standing tier's places as places, not as seats.
      await page.goto(`/events/${concert.id}`);
      const tiers = page.locator('ul.tiers li');
      await expect
        .poll(() => tiers.allInnerTexts(), { timeout: UI_TIMEOUT })
        .toEqual(['R seat ₩99,000 · 50 seats', 'Standing ₩110,000 · 21 standing places']);
      await page.goto(`/events/${concert.id}/seats`);
      const floor = page.locator('[data-standing="Floor"]');
      await floor.getByTestId('standing-left').getByText('20 places left').waitFor();
      expect(await page.title()).toBe(`Choose your seats · Standing Night ${stamp} · Tiketi`);
      expect(await floor.innerText()).toContain('Standing · ₩110,000');
      expect(await floor.innerText()).toContain('Entry numbers follow the order in which orders are paid.');
      const pit = page.locator('[data-standing="Pit"]');
      await expect
        .poll(() => pit.getByTestId('standing-left').innerText(), { timeout: UI_TIMEOUT })
        .toBe('Sold out');
      expect(await pit.getByRole('spinbutton').count()).toBe(0);
      // The page's count is of seats: the areas' places are counted on their cards.
      expect(await page.getByTestId('seats-left').innerText()).toBe('50 seats left');
      // Only the seated section is a map of seats.
      expect(await page.locator('figure[data-section]').count()).toBe(1);
      expect(await page.locator('figure[data-section="Floor"], rect[data-label^="Floor-"]').count()).toBe(0);
      await screenshotAtWidths(page, 'standing-01-areas');
    }),
    120_000,
  );

  it(
    'picks two places from the keyboard, bounded by the per-user limit, and holds them',
    site.step(async () => {
      const page = site.page;
      const floor = page.locator('[data-standing="Floor"]');
      const quantity = floor.getByLabel('Places');
      const more = floor.getByRole('button', { name: 'One place more in Floor' });
      await more.focus();
      await page.keyboard.press('Enter');
      await quantity.focus();
      await page.keyboard.press('ArrowUp');
      expect(await quantity.inputValue()).toBe('2');
      // One seat too: the limit of four counts seats and places together.
      await page.locator('figure[data-section="A"] rect[data-status="available"]').first().click();
      await page.getByRole('heading', { name: 'Selected: 3 / 4' }).waitFor();
      await page.getByRole('button', { name: 'Hold these seats and places' }).waitFor();
      await quantity.fill('9');
      expect(await quantity.inputValue()).toBe('3');
      expect(await more.isDisabled()).toBe(true);
      await floor.getByRole('button', { name: 'One place fewer in Floor' }).click();
      await page.locator('figure[data-section="A"] rect[aria-checked="true"]').click();
      await page.getByRole('heading', { name: 'Selected: 2 / 4' }).waitFor();
      const line = page.locator('[data-standing-line="Floor"]');
      expect(await line.innerText()).toMatch(/^Floor standing × 2\s+₩220,000$/);
      await screenshotAtWidths(page, 'standing-02-picked');

      // A double tap, both before the page has drawn the first one's answer: one hold of two places, not
      // two holds of two places each (the per-user limit of four would let both through).
      const sent: string[] = [];
      const onRequest = (request: { method: () => string; url: () => string }) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/reservations')
          sent.push(request.url());
      };
      page.on('request', onRequest);
      await page.getByRole('button', { name: 'Hold 2 places' }).evaluate((button: HTMLButtonElement) => {
        button.click();
        button.click();
      });
      await page.waitForURL(/\/checkout\//);
      page.off('request', onRequest);
      expect(sent.length).toBeGreaterThan(0);
      const holds = await apiJson<{ total: number }>(
        `/api/reservations?eventId=${concert.id}&status=PENDING`,
        await accessTokenOf(page),
      );
      expect(holds.total).toBe(1);
      await page.getByTestId('amount').waitFor();
      expect(await page.getByTestId('amount').innerText()).toBe('₩220,000');
      expect(await page.locator('.checkout .lines').first().innerText()).toMatch(
        /^Floor standing × 2\s+₩220,000$/,
      );
      await screenshotAtWidths(page, 'standing-03-checkout');
    }),
    120_000,
  );

  it(
    'pays at Toss and shows an entry number on each ticket',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: 'Pay with Toss' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('Payment complete').waitFor();
      // What was paid for reads as on the checkout page: the area's places, not the places picked.
      await expect
        .poll(() => page.getByTestId('paid-places').innerText(), { timeout: UI_TIMEOUT })
        .toBe('Floor standing × 2');
      expect(await page.title()).toBe('Checkout · Tiketi');
      await page.getByRole('link', { name: 'See my tickets' }).click();
      await page.waitForURL(`${WEB}/me/tickets`);
      const places = page.getByTestId('ticket-place');
      await expect
        .poll(() => places.allInnerTexts(), { timeout: UI_TIMEOUT })
        .toEqual(['Floor standing, entry no. 1', 'Floor standing, entry no. 2']);
      expect(await page.title()).toBe('My tickets · Tiketi');
      await expect.poll(() => page.locator('img.qr').count(), { timeout: UI_TIMEOUT }).toBe(2);
      await screenshotAtWidths(page, 'standing-04-tickets');

      // The confirmation mail (in the fan's language) names each place by its entry number, never by the
      // place picked for it; each QR rides inline and the PDF is attached.
      const place = (n: number) =>
        new RegExp(`Floor (standing, entry no\\. ${n}\\b|스탠딩 입장 번호 ${n}번)`);
      const { message } = await awaitMail(
        MAIL_INBOX,
        { to: fan.email, matches: place(1) },
        { timeoutMs: UI_TIMEOUT },
      );
      expect(message.text).toMatch(place(2));
      expect(message.text).not.toMatch(/Floor-P\d/);
      expect(message.attachments.filter((a) => a.inline).map((a) => a.contentType)).toEqual([
        'image/png',
        'image/png',
      ]);
      const pdf = message.attachments.find((a) => !a.inline);
      expect(pdf?.contentType).toBe('application/pdf');
      const bytes = await fetch(`${MAIL_INBOX}/api/messages/${message.id}/attachments/${pdf?.index}`);
      expect(
        Buffer.from(await bytes.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');

      const tickets = await apiJson<{ items: { code: string; entryNumber: number }[] }>(
        '/api/tickets',
        await accessTokenOf(page),
      );
      codes.push(...tickets.items.sort((a, b) => a.entryNumber - b.entryNumber).map((t) => t.code));

      // Back on the seat page, the area has two places fewer.
      await page.goto(`/events/${concert.id}/seats`);
      await page.locator('[data-standing="Floor"]').getByText('18 places left').waitFor();
      await page.getByRole('button', { name: 'Log out' }).click();
    }),
    120_000,
  );
});

describe('the door', () => {
  it(
    'checks a standing ticket in by its area and entry number, not the place the server picked',
    site.step(async () => {
      const page = site.page;
      await signInAsOperator(page, '/admin/check-in');
      // A typed code names a ticket within its concert, which is then asked for.
      await page.getByLabel('QR or ticket code').fill(codes[0] ?? '');
      await page.locator('select[name="eventId"]').selectOption(concert.id);
      await page.getByRole('button', { name: 'Check in' }).click();
      await page.getByTestId('checkin-ok').waitFor();
      expect(await page.getByTestId('checkin-ok').innerText()).toBe(
        `Checked in: Floor standing, entry no. 1 (${formatTicketCode(codes[0] ?? '')})`,
      );
      await screenshotAtWidths(page, 'standing-05-check-in');
    }),
    120_000,
  );
});

describe('an order with standing places after the sale', () => {
  it(
    "shows the operator the fan's payment by area, and refunds part of it",
    site.step(async () => {
      const page = site.page;
      await page.goto('/admin/sales');
      // The operator knows the fan by the address they wrote from, not by an account id.
      const who = page.getByLabel('Fan (email or user id)');
      await who.fill(`nobody-${stamp}@example.com`);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No account has this email address.').waitFor();
      await who.fill(fan.email.toUpperCase());
      await page.locator('select[name="eventId"]').selectOption(concert.id);
      await page.getByRole('button', { name: 'Search' }).click();
      const row = page.locator('tr[data-payment-id]');
      await expect.poll(() => row.count(), { timeout: UI_TIMEOUT }).toBe(1);
      await expect
        .poll(() => row.getByTestId('order-places').innerText(), { timeout: UI_TIMEOUT })
        .toBe('Floor standing × 2');
      expect(await page.title()).toBe('Orders · Tiketi');
      await row.getByRole('button', { name: 'Refund' }).click();
      await row.getByLabel('Refund reason').fill('Late doors');
      await row.getByLabel('Refund amount (empty = all)').fill('10000');
      await row.getByRole('button', { name: 'Refund' }).click();
      await row.getByText('Refund done.').waitFor();
      await page.getByRole('button', { name: 'Log out' }).click();
    }),
    120_000,
  );

  it(
    'shows the fan what was refunded of the order, in either language',
    site.step(async () => {
      const page = site.page;
      await signIn(page, fan, '/me/tickets');
      const refunded = page.getByTestId('order-refunded');
      await expect.poll(() => refunded.innerText(), { timeout: UI_TIMEOUT }).toBe('Refunded ₩10,000');
      // Part of the money came back, not the places: the ticket not yet checked in stays valid.
      expect(await page.getByTestId('ticket-status').allInnerTexts()).toEqual(['Checked in', 'Valid']);
      await page.getByLabel('Language').selectOption('ko');
      await expect.poll(() => refunded.innerText(), { timeout: UI_TIMEOUT }).toBe('10,000원 환불됨');
      expect(await page.title()).toBe('내 티켓 · 티켓이');
      await screenshotAtWidths(page, 'standing-06-refunded');
    }),
    120_000,
  );
});
