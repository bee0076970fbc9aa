import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { QueueStatus } from '@tiketi/contracts';
import { databaseUrl } from '@tiketi/kit';
import { challengeHeader } from '@tiketi/kit/testing';
import { verificationLink } from '@tiketi/sandbox-mail/client';
import pg from 'pg';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { defaultInfraUrls } from '../../../scripts/lib/infra-check.ts';
import {
  type IsolatedPlatform,
  startIsolatedPlatform,
  TEST_PORT_SHIFT,
} from '../../../scripts/lib/isolated-platform.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = fileURLToPath(new URL('../test-results/screenshots', import.meta.url));

/** Debian's Chromium, headless, with nothing phoning home; Playwright gives it a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true });
}

/**
 * The page as it is now at the two widths the site is made for, a desktop (1366 px) and a phone (390 px),
 * saved as `<name>-1366` and `<name>-390`; the window keeps its size afterwards.
 */
export async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const [width, height] of [
    [1366, 900],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `${name}-${width}`);
  }
  if (before) await page.setViewportSize(before);
}

/**
 * A `datetime-local` value (`2026-12-24T19:30`) as an operator in Seoul reads the instant, worked out here
 * apart from the app's own conversion.
 */
export const seoulInput = (at: string | number) =>
  new Date(at).toLocaleString('sv-SE', { timeZone: 'Asia/Seoul' }).replace(' ', 'T').slice(0, 16);

/** Whether the whole of `element` is on screen, where the user can read it without scrolling. */
export const onScreen = (element: Locator) =>
  element.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  });

/** The origin the payment and user services send the browser back to (WEB_ORIGIN). */
export const WEB = `http://localhost:${3000 + TEST_PORT_SHIFT}`;
export const UI_TIMEOUT = 30_000;
/** The links of a mail's HTML body, entities decoded. */
export function linksIn(html: string): string[] {
  return [...html.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&'));
}
/** The operator account the platform seeds on an empty database. */
/** The demo seed's artist and venue (Blue Square, priced in tiers R and S). */
const DEMO_ARTIST = '01936b2a-0000-7000-8000-00000000a002';
const DEMO_VENUE = '01936b2a-0000-7000-8000-00000000b002';

export const OPERATOR = { email: 'admin@tiketi.local', password: 'tiketi-admin-2026' };

const LOGIN_LABELS = {
  en: { email: 'Email', password: 'Password', submit: 'Log in' },
  ko: { email: '이메일', password: '비밀번호', submit: '로그인' },
} as const;

/**
 * Signs an account in through the login page, in the language the page shows, and waits until the app
 * has taken them to `next`.
 */
export async function signIn(
  page: Page,
  account: { email: string; password: string },
  next: string,
  options: { language?: keyof typeof LOGIN_LABELS } = {},
): Promise<void> {
  const labels = LOGIN_LABELS[options.language ?? 'en'];
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel(labels.email).fill(account.email);
  await page.getByLabel(labels.password).fill(account.password);
  await page.getByRole('button', { name: labels.submit }).click();
  await page.waitForURL(`${WEB}${next}`);
}

/** Signs the seeded operator in (see `signIn`). */
export function signInAsOperator(
  page: Page,
  next: string,
  options: { language?: keyof typeof LOGIN_LABELS } = {},
): Promise<void> {
  return signIn(page, OPERATOR, next, options);
}

/**
 * A desktop browser window on the site that records what the Content-Security-Policy blocked: the app
 * must never need more than it allows.
 */
export async function openSite(
  browser: Browser,
  options: { locale?: string; timezoneId?: string } = {},
): Promise<{ context: BrowserContext; page: Page; blocked: string[] }> {
  const context = await browser.newContext({
    baseURL: WEB,
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'Asia/Seoul',
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  const blocked: string[] = [];
  context.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) blocked.push(message.text());
  });
  return { context, page: await context.newPage(), blocked };
}

/** The mail sandbox's inbox the platform under test mails to. */
export const MAIL_INBOX = `http://127.0.0.1:${4102 + TEST_PORT_SHIFT}`;

/**
 * What a fan does after signing up: opens the link of the verification mail (caught by the mail sandbox)
 * in the same browser, and waits for the page to say the address is verified.
 */
export async function verifyEmailInBrowser(page: Page, email: string): Promise<void> {
  const link = await verificationLink(MAIL_INBOX, email, { timeoutMs: UI_TIMEOUT });
  await page.goto(`${link.pathname}${link.search}`);
  await page.getByText('Your email address is verified').waitFor();
}

/** A new fan account made on the sign-up page (in English), its address then verified from its mail. */
export async function signUpVerified(
  page: Page,
  fan: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Name').fill(fan.name);
  await page.getByLabel('Email').fill(fan.email);
  await page.getByLabel('Password').fill(fan.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${WEB}/`);
  await verifyEmailInBrowser(page, fan.email);
}

/** Holds the first free seat of a section (A unless told) on the seat map (in Korean) and lands on the checkout page. */
export async function holdFirstFreeSeat(page: Page, eventId: string, section = 'A'): Promise<void> {
  await page.goto(`/events/${eventId}/seats`);
  // The fan's own holds and tickets may still be read again after the page before (a hold just ended): a
  // choice the limit refused as they stood is made again once they are read, as a fan would tap again.
  const seat = page.locator(`figure[data-section="${section}"] rect[data-status="available"]`).first();
  await expect
    .poll(
      async () => {
        if ((await seat.getAttribute('aria-checked')) !== 'true') await seat.click();
        return seat.getAttribute('aria-checked');
      },
      { timeout: UI_TIMEOUT },
    )
    .toBe('true');
  await page.getByRole('button', { name: '좌석 선점하기' }).click();
  await page.waitForURL(/\/checkout\//);
  await page.getByTestId('amount').waitFor();
}

/** The access token of the session the page holds, to ask the API what the user's clicks did. */
export async function accessTokenOf(page: Page): Promise<string> {
  const raw = await page.evaluate(() => localStorage.getItem('tiketi.session'));
  const token = raw ? (JSON.parse(raw) as { accessToken?: string }).accessToken : undefined;
  if (!token) throw new Error('the page holds no session');
  return token;
}

/** A JSON answer of the public API, as the browser's origin serves it. */
export async function apiJson<T = Record<string, unknown>>(path: string, token?: string): Promise<T> {
  const res = await fetch(`${WEB}${path}`, {
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A POST of JSON to the public API, as the browser's origin serves it; anything but 2xx throws. */
export async function postJson<T>(
  path: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(`${WEB}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * A published concert with a waiting room (300 admissions a minute, `maxActiveShoppers` at a time) at the
 * demo seed's Blue Square (or `venueId`, whose seats are of tiers R and S), made by the operator through
 * the API; its sale opens `opensInMs` from now.
 */
export async function waitingRoomConcert(options: {
  title: string;
  opensInMs: number;
  maxActiveShoppers: number;
  venueId?: string;
}): Promise<string> {
  const accessToken = await operatorToken();
  const now = Date.now();
  const day = 86_400_000;
  const event = await postJson<{ id: string }>(
    '/api/events',
    {
      artistId: DEMO_ARTIST,
      venueId: options.venueId ?? DEMO_VENUE,
      title: `${options.title} ${now}`,
      startsAt: new Date(now + 30 * day).toISOString(),
      saleOpensAt: new Date(now + options.opensInMs).toISOString(),
      saleClosesAt: new Date(now + 29 * day).toISOString(),
      perUserLimit: 2,
      waitingRoom: {
        enabled: true,
        admissionRatePerMinute: 300,
        maxActiveShoppers: options.maxActiveShoppers,
      },
      priceTiers: [
        { key: 'R', name: 'R', price: 132_000 },
        { key: 'S', name: 'S', price: 110_000 },
      ],
    },
    accessToken,
  );
  await postJson(`/api/events/${event.id}/publish`, {}, accessToken);
  return event.id;
}

/**
 * A concert on sale now at the demo seed's Blue Square (tiers R and S), without a waiting room, made by the
 * operator through the API; answered once its seat map is up.
 */
export async function concertOnSale(title: string, options: { perUserLimit?: number } = {}): Promise<string> {
  const { tierKeys } = await apiJson<{ tierKeys: string[] }>(`/api/venues/${DEMO_VENUE}`);
  const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const created = await asOperator('POST', '/api/events', {
    artistId: DEMO_ARTIST,
    venueId: DEMO_VENUE,
    title: `${title} ${Date.now()}`,
    startsAt: at(20),
    saleOpensAt: at(-1 / 24),
    saleClosesAt: at(19),
    perUserLimit: options.perUserLimit ?? 2,
    priceTiers: tierKeys.map((key) => ({ key, name: `${key}석`, price: 50_000 })),
  });
  const eventId = String(created.id);
  await asOperator('POST', `/api/events/${eventId}/publish`);
  await expect
    .poll(
      async () =>
        (await apiJson<{ seats: unknown[] }>(`/api/seats/event/${eventId}`).catch(() => ({ seats: [] })))
          .seats.length,
      { timeout: UI_TIMEOUT },
    )
    .toBeGreaterThan(0);
  return eventId;
}

/** The first `count` seats of an event that are free now. */
export async function freeSeats(eventId: string, count: number): Promise<string[]> {
  const map = await apiJson<{ seats: { id: string; status: string }[] }>(`/api/seats/event/${eventId}`);
  return map.seats
    .filter((s) => s.status === 'available')
    .slice(0, count)
    .map((s) => s.id);
}

/**
 * Holds `count` free seats of the event one at a time through the API, as the fan whose token is given,
 * and gives each hold back at once: that many cancelled reservations, each of another seat (a seat held
 * and given back again and again is left for others for a while).
 */
export async function holdsGivenBack(token: string, eventId: string, count: number): Promise<void> {
  for (const seatId of await freeSeats(eventId, count)) {
    const held = await postJson<{ reservationId: string }>(
      '/api/reservations',
      { eventId, seatIds: [seatId] },
      token,
    );
    const res = await fetch(`${WEB}/api/reservations/${held.reservationId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`DELETE reservation: ${res.status} ${await res.text()}`);
  }
}

/** The Toss sandbox the platform under test pays at. */
export const TOSS_SANDBOX = `http://127.0.0.1:${4101 + TEST_PORT_SHIFT}`;

/**
 * Buys seats through the API as the fan whose token is given does through the pages: holds them, opens the
 * Toss checkout, pays there (the sandbox's control endpoint) and confirms; answers the reservation's id.
 */
export async function buyThroughApi(
  token: string,
  customer: { name: string; email: string },
  eventId: string,
  seatIds: string[],
): Promise<string> {
  const held = await postJson<{ reservationId: string; amount: number }>(
    '/api/reservations',
    { eventId, seatIds },
    token,
  );
  const opened = await postJson<{ paymentUrl: string }>(
    '/api/payments/toss/request',
    { reservationId: held.reservationId, amount: held.amount, customerInfo: customer },
    token,
  );
  const paymentKey = new URL(opened.paymentUrl).pathname.split('/').pop();
  const authorized = await fetch(`${TOSS_SANDBOX}/sandbox/payments/${paymentKey}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!authorized.ok) throw new Error(`authorize: ${authorized.status} ${await authorized.text()}`);
  const paid = (await authorized.json()) as { paymentKey: string; orderId: string; amount: number };
  await postJson(
    '/api/payments/toss/confirm',
    { paymentKey: paid.paymentKey, orderId: paid.orderId, amount: paid.amount },
    token,
  );
  return held.reservationId;
}

/** A fan who signs up and joins the line through the API (solving the challenges as the app does). */
export async function fanJoins(eventId: string, n: number): Promise<{ status: QueueStatus; token: string }> {
  const session = await postJson<{ accessToken: string }>(
    '/api/auth/register',
    { email: `line-${Date.now()}-${n}@example.com`, password: 'correct-horse-battery', name: `Fan ${n}` },
    undefined,
    await challengeHeader(WEB, 'register'),
  );
  const status = await postJson<QueueStatus>(
    `/api/queue/${eventId}/join`,
    {},
    session.accessToken,
    await challengeHeader(WEB, 'join', eventId),
  );
  return { status, token: session.accessToken };
}

/** Waits until the fan holding `token` is admitted to the room of `eventId` (its admission loop ticks on its own). */
export async function untilAdmitted(eventId: string, token: string): Promise<void> {
  await expect
    .poll(async () => (await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, token)).state, {
      timeout: UI_TIMEOUT,
    })
    .toBe('admitted');
}

/**
 * Ends a hold now, in the reservation database of `platform` (its sweeper then expires it): the shortest
 * hold or waiting-list offer lasts minutes, longer than a browser step should wait.
 */
export async function endHoldNow(platform: IsolatedPlatform, reservationId: string): Promise<void> {
  const reservations = new pg.Client({
    connectionString: databaseUrl(
      defaultInfraUrls(process.env).databaseUrl,
      `reservations_db${platform.names.DATABASE_SUFFIX}`,
    ),
  });
  await reservations.connect();
  try {
    await reservations.query('update reservations set expires_at = now() where id = $1', [reservationId]);
  } finally {
    await reservations.end();
  }
}

/** Rethrows a failed step with what the page showed and the platform's last log lines. */
export async function failWithContext(error: unknown, shown: Page, logLines: string[]): Promise<never> {
  await screenshot(shown, 'failure').catch(() => undefined);
  const text = await shown
    .locator('main')
    .first()
    .innerText({ timeout: 2000 })
    .catch(() => '');
  const logs = logLines.slice(-60).join('\n');
  throw new Error(`${(error as Error).message}\n--- page ---\n${text}\n--- platform log ---\n${logs}`);
}

/**
 * Wraps test bodies so a failure also says what the page showed and what the platform logged last;
 * both are looked up only then, as they come up in `beforeAll`.
 */
export function stepsOn(shown: () => Page, logLines: () => string[]) {
  return (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      await failWithContext(error, shown(), logLines());
    }
  };
}

/**
 * For a test file: before its tests, a copy of the platform of its own on the standard ports and one
 * browser window on the site (see `openSite`), then `prepare` (signing in, say); after them, both gone.
 */
export function siteOnPlatform(options: {
  label: string;
  env?: NodeJS.ProcessEnv;
  timezoneId?: string;
  prepare?: (page: Page) => Promise<void>;
}) {
  let platform: IsolatedPlatform | undefined;
  let browser: Browser | undefined;
  let opened: { page: Page; blocked: string[] } | undefined;
  beforeAll(async () => {
    platform = await startIsolatedPlatform({
      label: options.label,
      portOffset: TEST_PORT_SHIFT,
      // Other browser tests and the bench use the same ports: wait for them rather than fail.
      waitForPortsMs: 240_000,
      ...(options.env ? { env: options.env } : {}),
    });
    browser = await launchChromium();
    opened = await openSite(browser, options.timezoneId ? { timezoneId: options.timezoneId } : {});
    await options.prepare?.(opened.page);
  }, 450_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  }, 60_000);
  const page = (): Page => {
    if (!opened) throw new Error('the site opens in beforeAll');
    return opened.page;
  };
  return {
    get page(): Page {
      return page();
    },
    /** The copy of the platform the site runs on. */
    get platform(): IsolatedPlatform {
      if (!platform) throw new Error('the platform starts in beforeAll');
      return platform;
    },
    /** What the Content-Security-Policy blocked so far. */
    get blocked(): string[] {
      return opened?.blocked ?? [];
    },
    step: stepsOn(page, () => platform?.lines ?? []),
  };
}

/** The operator's access token, signed in through the gateway. */
export async function operatorToken(): Promise<string> {
  const res = await fetch(`${WEB}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(OPERATOR),
  });
  if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** One API call as the operator, answering its JSON; anything but 2xx throws with the answer. */
export async function asOperator(
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${WEB}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await operatorToken()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}
