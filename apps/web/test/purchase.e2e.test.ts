import { WEB_LANGUAGE_PARAM } from '@tiketi/contracts';
import { eventually } from '@tiketi/kit/testing';
import { listMail } from '@tiketi/sandbox-mail/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IsolatedPlatform,
  startIsolatedPlatform,
  TEST_PORT_SHIFT,
} from '../../../scripts/lib/isolated-platform.ts';
import {
  failWithContext,
  launchChromium,
  linksIn,
  MAIL_INBOX,
  openSite,
  screenshot,
  signInAsOperator,
  signUpVerified,
  verifyEmailInBrowser,
  WEB,
} from './browser.ts';

/*
 * The whole purchase in a real browser against the whole platform: a fan signs up, waits in the queue of
 * the demo ticket drop, is admitted, holds seats, pays in the Toss sandbox and gets QR tickets; another
 * browser sees those seats sold; an operator sees the sale on the dashboard and checks a ticket in.
 */

/** The demo seed's ticket drop: KSPO Dome, waiting room on. */
const QUEUED_EVENT = '01936b2a-0000-7000-8000-000000000001';
const UI_TIMEOUT = 30_000;

let platform: IsolatedPlatform | undefined;
let browser: Browser | undefined;
let fan: BrowserContext;
let page: Page;
const bought: { seatIds: string[]; reservationId?: string; qr?: string } = { seatIds: [] };
const fanLogin = { email: `fan-${Date.now()}@example.com`, password: 'correct-horse-battery' };
/** What the app's Content-Security-Policy blocked: the app must never need more than it allows. */
const blocked: string[] = [];
/** The bot defence's header on each register and join the pages sent (solved in the browser's workers). */
const challenged: { path: string; altcha: boolean }[] = [];
const watchChallenges = (context: BrowserContext) =>
  context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === 'POST' && (path === '/api/auth/register' || path.endsWith('/join')))
      challenged.push({ path, altcha: request.headers()['x-altcha'] !== undefined });
  });
const watchCsp = (context: BrowserContext) =>
  context.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) blocked.push(message.text());
  });

beforeAll(async () => {
  // The standard ports, as a person's browser reaches them; its own databases, keys and exchange.
  platform = await startIsolatedPlatform({
    label: 'web_e2e',
    portOffset: TEST_PORT_SHIFT,
    // The demo concert starts weeks from now; the operator checks a ticket in at the end.
    env: { CHECK_IN_OPENS_MINUTES_BEFORE: String(366 * 24 * 60) },
  });
  browser = await launchChromium();
  fan = await browser.newContext({ baseURL: WEB, locale: 'en-US', viewport: { width: 1280, height: 900 } });
  fan.setDefaultTimeout(UI_TIMEOUT);
  watchCsp(fan);
  watchChallenges(fan);
  page = await fan.newPage();
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
}, 60_000);

/** Adds what the page showed and the platform's last log lines to a failure. */
const failWithLogs = (error: unknown, shown: Page = page) =>
  failWithContext(error, shown, platform?.lines ?? []);

describe('buying a ticket in the browser', () => {
  it('lets a fan sign up, verify the address from the mail and see the concerts', async () => {
    const { email } = fanLogin;
    await page.goto('/register');
    await page.getByLabel('Name').fill('Kim Fan');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(fanLogin.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${WEB}/`);
    await expect(page.getByRole('button', { name: 'Log out' }).isVisible()).resolves.toBe(true);
    const banner = page.getByText('Verify your email address to book seats');
    await banner.waitFor();
    await screenshot(page, '01-verify-banner');
    await verifyEmailInBrowser(page, email);
    await screenshot(page, '01-email-verified');
    await page.getByRole('link', { name: 'Browse concerts' }).click();
    await page.locator(`a[data-event-id="${QUEUED_EVENT}"]`).waitFor();
    expect(await banner.count()).toBe(0);
    await screenshot(page, '01-events');
  }, 90_000);

  it('admits the fan from the waiting room to the seat map', async () => {
    try {
      await page.locator(`a[data-event-id="${QUEUED_EVENT}"]`).click();
      const enter = page.getByRole('link', { name: 'Enter the waiting room' });
      await enter.waitFor();
      await screenshot(page, '02-event');
      await enter.click();
      await page.waitForURL(/\/queue$/);
      await screenshot(page, '03-waiting-room');
      await page.waitForURL(`${WEB}/events/${QUEUED_EVENT}/seats`, { timeout: 60_000 });
      await page.locator('rect[data-status="available"]').first().waitFor();
      // Sign-up and join each carried a challenge solved by the page, inside the CSP.
      expect(new Set(challenged.map((c) => c.path))).toEqual(
        new Set(['/api/auth/register', `/api/queue/${QUEUED_EVENT}/join`]),
      );
      expect(challenged.filter((c) => !c.altcha)).toEqual([]);
    } catch (error) {
      await failWithLogs(error);
    }
  }, 90_000);

  it('holds two seats and pays for them in the Toss sandbox', async () => {
    try {
      const free = page.locator('figure[data-section="A"] rect[data-status="available"]');
      for (const seat of [free.nth(0), free.nth(1)]) {
        bought.seatIds.push((await seat.getAttribute('data-seat-id')) ?? '');
      }
      for (const id of bought.seatIds) await page.locator(`rect[data-seat-id="${id}"]`).click();
      await expect(page.getByRole('heading', { name: 'Selected: 2 / 4' }).isVisible()).resolves.toBe(true);
      await screenshot(page, '04-seat-map');
      await page.getByRole('button', { name: 'Hold these seats' }).click();

      await page.waitForURL(/\/checkout\//);
      bought.reservationId = new URL(page.url()).pathname.split('/').pop();
      await page.getByTestId('amount').waitFor();
      expect(await page.getByTestId('amount').textContent()).toBe('₩330,000');
      await screenshot(page, '05-checkout');
      await page.getByRole('button', { name: 'Pay with Toss' }).click();

      await page.waitForURL(new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`));
      await page.locator('#pay').waitFor();
      await screenshot(page, '06-toss-sandbox');
      await page.locator('#pay').click();

      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('Payment complete').waitFor();
      await screenshot(page, '07-payment-success');
    } catch (error) {
      await failWithLogs(error);
    }
  }, 90_000);

  it('shows the tickets with their QR codes', async () => {
    await page.getByRole('link', { name: 'See my tickets' }).click();
    await page.waitForURL(`${WEB}/me/tickets`);
    const codes = page.locator('img.qr');
    await expect.poll(() => codes.count(), { timeout: UI_TIMEOUT }).toBe(2);
    bought.qr = (await codes.first().getAttribute('data-qr')) ?? undefined;
    expect(bought.qr).toMatch(/^TKT1\./);
    await screenshot(page, '08-my-tickets');
  }, 60_000);

  it('opens the page every email link names, in a fresh browser after signing in', async () => {
    // The verification link is single-use and has a test of its own; every other link must open its page.
    const links = await eventually(async () => {
      const found = (await listMail(MAIL_INBOX, { to: fanLogin.email }))
        .flatMap((mail) => linksIn(mail.html ?? ''))
        .filter((link) => link.startsWith(WEB) && !link.includes('/verify-email'));
      expect(found.some((link) => new URL(link).pathname === '/me/tickets')).toBe(true);
      return found;
    }, 30_000);
    const reader = await browser!.newContext({ baseURL: WEB, locale: 'en-US' });
    reader.setDefaultTimeout(UI_TIMEOUT);
    try {
      for (const link of links) {
        const shown = await reader.newPage();
        await shown.goto(link);
        // A page's own content, or the login it sent a signed-out reader to.
        await shown.locator('main').first().waitFor();
        if (new URL(shown.url()).pathname === '/login') {
          await shown.getByLabel('Email').fill(fanLogin.email);
          await shown.getByLabel('Password').fill(fanLogin.password);
          await shown.getByRole('button', { name: 'Log in' }).click();
        }
        const target = new URL(link);
        await expect.poll(() => new URL(shown.url()).pathname, { timeout: UI_TIMEOUT }).toBe(target.pathname);
        if (target.pathname === '/me/tickets') {
          await expect
            .poll(() => shown.locator('img.qr').count(), { timeout: UI_TIMEOUT })
            .toBe(2)
            .catch((error: unknown) => failWithLogs(error, shown));
        }
        await shown.close();
      }
    } finally {
      await reader.close();
    }
  }, 90_000);

  it('opens the order the tickets mail names, and tells another signed-in account it is not theirs', async () => {
    const { link, text } = await eventually(async () => {
      // The tickets mail is the one of the fan's mails that links to their tickets.
      const mail = (await listMail(MAIL_INBOX, { to: fanLogin.email })).find((m) =>
        linksIn(m.html ?? '').some((l) => l.startsWith(WEB) && new URL(l).pathname === '/me/tickets'),
      );
      const found = linksIn(mail?.html ?? '').find((l) => new URL(l).pathname === '/me/tickets');
      expect(found && new URL(found).searchParams.get('order')).toBe(bought.reservationId);
      return { link: found ?? '', text: mail?.text ?? '' };
    }, 30_000);
    // The same computer, where another fan is signed in.
    const { context, page: shown } = await openSite(browser!);
    const other = {
      name: 'Other Fan',
      email: `other-${Date.now()}@example.com`,
      password: fanLogin.password,
    };
    try {
      await signUpVerified(shown, other);
      await shown.goto(link);
      const notice = shown.getByRole('alert').filter({ hasText: 'is not one of' });
      await notice.waitFor();
      expect(await notice.innerText()).toContain(other.email);
      await screenshot(shown, '08-order-of-another-account');
      // Switching account brings the fan back to the same order, marked among their orders.
      await shown.getByRole('button', { name: 'Log in with another account' }).click();
      await shown.waitForURL(/\/login\?next=/);
      await shown.getByLabel('Email').fill(fanLogin.email);
      await shown.getByLabel('Password').fill(fanLogin.password);
      await shown.getByRole('button', { name: 'Log in' }).click();
      // The address names the order; the mail's language was taken out of it as the page opened.
      const opened = new URL(link);
      opened.searchParams.delete(WEB_LANGUAGE_PARAM);
      await shown.waitForURL(opened.toString());
      const order = shown.locator(`li[data-reservation-id="${bought.reservationId}"]`);
      await order.and(shown.locator('[aria-current="true"]')).waitFor();
      expect(await notice.count()).toBe(0);
      // The mail numbers the order as the page does (and as the refund mail would), not by an id of its own.
      const orderId = /Order (tiketi-\S+)/.exec(await order.innerText())?.[1];
      expect(orderId).toBeDefined();
      expect(text).toContain(`Order: ${orderId}`);
      expect(text).not.toContain('Booking:');
      await screenshot(shown, '08-order-marked');

      // Signed out, and in again as the other fan in the same tab: the first fan's order (its QR codes) is
      // never shown to them, not even while their own tickets are on the way.
      await shown.getByRole('button', { name: 'Log out' }).click();
      await shown.getByRole('link', { name: 'Log in', exact: true }).click();
      await shown.getByLabel('Email').fill(other.email);
      await shown.getByLabel('Password').fill(other.password);
      await shown.getByRole('button', { name: 'Log in' }).click();
      await shown.waitForURL(`${WEB}/`);
      let asked!: () => void;
      const ticketsAsked = new Promise<void>((resolve) => {
        asked = resolve;
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      await shown.route(/\/api\/tickets\?/, async (route) => {
        asked();
        await released;
        await route.continue();
      });
      await shown.getByRole('link', { name: 'My tickets' }).click();
      await ticketsAsked;
      expect(await order.count()).toBe(0);
      release();
      await shown.getByText('No tickets yet.').waitFor();
      expect(await order.count()).toBe(0);
    } catch (error) {
      await failWithLogs(error, shown);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('shows the bought seats as sold to another browser, on a phone-sized screen', async () => {
    const other = await browser!.newContext({
      baseURL: WEB,
      locale: 'ko-KR',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    watchCsp(other);
    try {
      const phone = await other.newPage();
      phone.setDefaultTimeout(UI_TIMEOUT);
      await phone.goto('/');
      await phone.locator(`a[data-event-id="${QUEUED_EVENT}"]`).waitFor();
      await screenshot(phone, '09-events-ko-phone');
      await phone.goto(`/events/${QUEUED_EVENT}/seats`);
      for (const id of bought.seatIds) {
        await phone.locator(`rect[data-seat-id="${id}"][data-status="sold"]`).waitFor({ state: 'attached' });
      }
      await screenshot(phone, '10-seat-map-phone');
    } finally {
      await other.close();
    }
  }, 60_000);

  it('lets an operator see the sale on the dashboard and check the ticket in', async () => {
    const ops = await browser!.newContext({
      baseURL: WEB,
      locale: 'en-US',
      viewport: { width: 1280, height: 900 },
    });
    ops.setDefaultTimeout(UI_TIMEOUT);
    watchCsp(ops);
    const admin = await ops.newPage();
    try {
      await signInAsOperator(admin, '/admin');

      const sold = admin.locator(`tr[data-event-id="${QUEUED_EVENT}"] [data-testid="sold"]`);
      await expect
        .poll(async () => Number((await sold.textContent({ timeout: UI_TIMEOUT })) ?? 0), { timeout: 45_000 })
        .toBeGreaterThanOrEqual(2);
      await expect
        .poll(async () => Number(await admin.getByTestId('kpi-tickets').textContent()), { timeout: 45_000 })
        .toBeGreaterThanOrEqual(2);
      await screenshot(admin, '11-admin-dashboard');

      await admin.getByRole('link', { name: 'Check-in' }).click();
      await admin.getByLabel('QR or ticket code').fill(bought.qr ?? '');
      await admin.getByRole('button', { name: 'Check in' }).click();
      await admin.getByTestId('checkin-ok').waitFor();
      expect(await admin.getByTestId('checkin-ok').textContent()).toMatch(/^Checked in: seat A-/);
      await screenshot(admin, '12-check-in');

      // The same code twice is refused: a ticket gets in once.
      await admin.getByLabel('QR or ticket code').fill(bought.qr ?? '');
      await admin.getByRole('button', { name: 'Check in' }).click();
      await admin.getByRole('alert').waitFor();
      // …and the refusal says when it got in.
      expect(await admin.getByRole('alert').innerText()).toMatch(/already checked in at .+ KST\./);

      // In Korean on a phone: the sale in words rather than codes, column titles unbroken.
      await admin.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await admin.setViewportSize({ width: 390, height: 844 });
      await admin.goto('/admin');
      const top = admin.locator('section[aria-labelledby="top"] li').first();
      await expect.poll(() => top.innerText(), { timeout: UI_TIMEOUT }).toMatch(/티켓 \d+장 · 조회 \d+회$/);
      await admin.goto('/admin/sales');
      const rows = admin.locator('table tbody tr');
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBeGreaterThan(0);
      const table = await admin.locator('table').innerText();
      expect(table).toContain('결제 완료');
      expect(table).not.toMatch(/COMPLETED|PENDING|REFUNDED/);
      const heights = await admin
        .locator('table thead th')
        .evaluateAll((cells) => cells.map((cell) => cell.getBoundingClientRect().height));
      // One line of text and the padding: a title broken letter by letter is several lines tall.
      expect(Math.max(...heights)).toBeLessThan(48);
      await screenshot(admin, '13-admin-sales-phone-ko');
      expect(blocked).toEqual([]);
    } catch (error) {
      await failWithLogs(error, admin);
    } finally {
      await ops.close();
    }
  }, 90_000);
});
