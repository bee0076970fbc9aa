import { QUEUE_ETA_LIMIT_SECONDS, type QueueStatus, queueRedisKey } from '@tiketi/contracts';
import { createRedis } from '@tiketi/kit';
import { challengeHeader } from '@tiketi/kit/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  fanJoins,
  operatorToken,
  postJson,
  screenshot,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  untilAdmitted,
  WEB,
  waitingRoomConcert,
} from './browser.ts';

/*
 * The waiting room tells a fan the truth, in a real browser against the whole platform: before the sale
 * opens it says that everyone who came before the opening is drawn at random (not served in order of
 * arrival) and counts down to the opening in Seoul time; while the shopper cap is full its wait estimate
 * is the server's (slots turning over), and past the bound it says "more than N hours".
 */

const MINUTE = 60_000;
const site = siteOnPlatform({
  label: 'web_waiting_room',
  // A line of fans registered from this one machine, who join without a socket while the test looks.
  env: { RATE_LIMIT_AUTH: '1000', ABANDON_GRACE_MS: '600000' },
});

async function signUp(page: Page, name: string): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(`${name.toLowerCase().replace(' ', '-')}-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${WEB}/`);
}

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

describe('before the sale opens', () => {
  it(
    'says that arrivals before the opening are drawn at random, and counts down to the opening in KST',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      const eventId = await waitingRoomConcert({
        title: 'Draw night',
        opensInMs: 2 * 60 * MINUTE,
        maxActiveShoppers: 50,
      });
      await signUp(page, 'Early Fan');
      await page.goto(`/events/${eventId}/queue`);

      const countdown = page.getByTestId('queue-countdown');
      await countdown.waitFor();
      const rule = await text(page, 'queue-rule');
      expect(rule).toContain('drawn into line at random');
      expect(rule).toContain('after the opening');
      // The rule is said once: the opening's time beside the countdown does not say it again.
      expect((await page.locator('main').innerText()).match(/at random/g)).toHaveLength(1);
      expect(await page.locator('main').innerText()).not.toContain('in the order they arrived');
      expect(await page.locator('main').innerText()).toContain('KST');
      // About two hours to go, counted down live.
      const first = await countdown.innerText();
      expect(first).toMatch(/^Opens in\s+[12]:\d{2}:\d{2}$/);
      await expect.poll(() => countdown.innerText(), { timeout: 5000 }).not.toBe(first);
      await screenshot(page, 'waiting-room-01-before-opening');

      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await countdown.waitFor();
      const ruleKo = await text(page, 'queue-rule');
      expect(ruleKo).toContain('무작위 추첨');
      expect((await page.locator('main').innerText()).match(/무작위/g)).toHaveLength(1);
      expect(await page.locator('main').innerText()).not.toContain('도착한 순서대로 입장합니다');
      expect(await countdown.innerText()).toMatch(/^오픈까지\s+[12]:\d{2}:\d{2}$/);
      await screenshot(page, 'waiting-room-02-before-opening-ko-phone');
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
    }),
    180_000,
  );

  it(
    'counts down to a sale days away in days and hours, not in a hundred-odd hours',
    site.step(async () => {
      const page = site.page;
      const eventId = await waitingRoomConcert({
        title: 'Next week',
        opensInMs: 3 * 24 * 60 * MINUTE + 30 * MINUTE,
        maxActiveShoppers: 50,
      });
      await page.goto(`/events/${eventId}/queue`);
      const countdown = page.getByTestId('queue-countdown');
      await countdown.waitFor();
      expect(await countdown.innerText()).toMatch(/^Opens in\s+3d 00:[23]\d:\d{2}$/);
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await page.reload();
      await countdown.waitFor();
      expect(await countdown.innerText()).toMatch(/^오픈까지\s+3일 00:[23]\d:\d{2}$/);
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
    }),
    120_000,
  );
});

describe('while the shopper cap is full', () => {
  it(
    "shows the server's bounded estimate, and past the bound says more than three hours",
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      // A platform whose last sale's shoppers kept their slots for the admission's whole ten minutes
      // (what a new room's estimate starts from), and one shopper at a time.
      const { env } = site.platform;
      const redis = createRedis(env.REDIS_URL ?? '', env.REDIS_PREFIX ?? '');
      await redis.set('queue:shopper-stay', 10 * MINUTE);
      await redis.quit();
      const eventId = await waitingRoomConcert({
        title: 'Full room',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
      });
      const first = await fanJoins(eventId, 0);
      await untilAdmitted(eventId, first.token);

      // This fan is next, and waits for the slot to turn over.
      await page.goto(`/events/${eventId}/queue`);
      const eta = page.getByTestId('queue-eta');
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      // What the wait is for: the venue's 300 seats are all still there.
      await expect
        .poll(() => text(page, 'queue-seats-left'), { timeout: UI_TIMEOUT })
        .toBe('300 seats left right now');
      const status = await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, await accessTokenOf(page));
      expect(status.position).toBe(1);
      expect(status.etaBeyondLimit).toBe(false);
      expect(status.etaSeconds).toBeGreaterThan(60);
      expect(status.etaSeconds).toBeLessThanOrEqual(QUEUE_ETA_LIMIT_SECONDS);
      await expect
        .poll(() => eta.innerText(), { timeout: UI_TIMEOUT })
        .toBe(`about ${Math.ceil((status.etaSeconds ?? 0) / 60)} min`);
      await screenshot(page, 'waiting-room-03-cap-full');

      // Eighteen more behind, then a fan on a phone: twenty turns of a ten-minute slot is past the bound.
      for (let n = 1; n <= 18; n++) expect((await fanJoins(eventId, n)).status.state).toBe('waiting');
      const browser = page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const phoneContext = await browser.newContext({
        baseURL: WEB,
        locale: 'ko-KR',
        timezoneId: 'Asia/Seoul',
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      try {
        const phone = await phoneContext.newPage();
        phone.setDefaultTimeout(UI_TIMEOUT);
        await phone.goto('/');
        await phone.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
        await signUp(phone, 'Late Fan');
        await phone.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
        await phone.goto(`/events/${eventId}/queue`);
        await expect.poll(() => text(phone, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('20');
        const late = await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, await accessTokenOf(phone));
        expect(late.etaBeyondLimit).toBe(true);
        expect(late.etaSeconds).toBe(QUEUE_ETA_LIMIT_SECONDS);
        await expect
          .poll(() => text(phone, 'queue-eta'), { timeout: UI_TIMEOUT })
          .toBe(`${QUEUE_ETA_LIMIT_SECONDS / 3600}시간 이상`);
        await screenshot(phone, 'waiting-room-04-beyond-bound-ko-phone');

        await phone.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
        await phone.reload();
        await expect
          .poll(() => text(phone, 'queue-eta'), { timeout: UI_TIMEOUT })
          .toBe(`more than ${QUEUE_ETA_LIMIT_SECONDS / 3600} hours`);
      } finally {
        await phoneContext.close();
      }
      // The fan in front still reads a figure, and a sane one.
      expect(await eta.innerText()).toMatch(/^about \d{1,3} min$/);
    }),
    240_000,
  );
});

describe('a fan who is done, or changes their mind', () => {
  it(
    'gives their turn to the next fan from the seats page, and leaves the line from the waiting page',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      const eventId = await waitingRoomConcert({
        title: 'One at a time',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
      });
      // This fan comes first and is let in at once; another waits behind for the only slot.
      await page.goto(`/events/${eventId}/queue`);
      await page.waitForURL(`${WEB}/events/${eventId}/seats`, { timeout: UI_TIMEOUT });
      const next = await fanJoins(eventId, 100);
      expect(next.status.state).toBe('waiting');

      const give = page.getByTestId('give-turn');
      await give.waitFor();
      await screenshot(page, 'waiting-room-05-give-turn');
      const given = page.waitForResponse(
        (r) => r.request().method() === 'DELETE' && new URL(r.url()).pathname === `/api/queue/${eventId}`,
      );
      await give.getByRole('button', { name: 'Done here? Give your turn to the next fan' }).click();
      expect((await given).status()).toBe(200);
      await page.waitForURL(`${WEB}/events/${eventId}`);
      // The fan behind comes in at the next admission step, not ten minutes later when the first
      // admission would have lapsed.
      await untilAdmitted(eventId, next.token);

      // Back in line behind the fan now shopping, in two windows, this fan changes their mind in one.
      await page.goto(`/events/${eventId}/queue`);
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      const other = await page.context().newPage();
      await other.goto(`/events/${eventId}/queue`);
      await expect.poll(() => text(other, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      await page.getByRole('button', { name: 'Leave the line' }).click();
      await page.waitForURL(`${WEB}/events/${eventId}`);
      const place = await fetch(`${WEB}/api/queue/${eventId}/status`, {
        headers: { authorization: `Bearer ${await accessTokenOf(page)}` },
      });
      expect(place.status).toBe(404);
      // The other window says so at once, instead of counting down a place that is gone.
      const left = other.getByTestId('queue-left');
      await left.waitFor({ timeout: UI_TIMEOUT });
      expect(await left.innerText()).toContain('You left this line in another window');
      await screenshot(other, 'waiting-room-05b-left-in-another-window');
      await other.getByRole('button', { name: 'Join the line again' }).click();
      await expect.poll(() => text(other, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      await other.close();
      expect(site.blocked).toEqual([]);
    }),
    120_000,
  );
});

describe('once every seat is taken', () => {
  it(
    'says so, that seats come back when holds run out unpaid, and leads to the waiting list',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      // A two-seat hall, one shopper at a time: the first fan in holds both seats.
      const venue = await postJson<{ id: string }>(
        '/api/venues',
        {
          name: `Two Seat Hall ${Date.now()}`,
          city: 'Seoul',
          sections: [
            {
              name: 'A',
              rows: [
                { label: '1', seatCount: 1, tierKey: 'R' },
                { label: '2', seatCount: 1, tierKey: 'S' },
              ],
            },
          ],
        },
        await operatorToken(),
      );
      const eventId = await waitingRoomConcert({
        title: 'Two seats',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
        venueId: venue.id,
      });
      const browser = page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const firstContext = await browser.newContext({ baseURL: WEB });
      try {
        const firstPage = await firstContext.newPage();
        await signUpVerified(firstPage, {
          name: 'First Fan',
          email: `first-in-${Date.now()}@example.com`,
          password: 'correct-horse-battery',
        });
        const first = await accessTokenOf(firstPage);
        await postJson(`/api/queue/${eventId}/join`, {}, first, await challengeHeader(WEB, 'join', eventId));
        let admitted: QueueStatus | undefined;
        await expect
          .poll(
            async () => {
              admitted = await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, first);
              return admitted.state;
            },
            { timeout: UI_TIMEOUT },
          )
          .toBe('admitted');
        const { seats } = await apiJson<{ seats: { id: string }[] }>(`/api/seats/event/${eventId}`);
        expect(seats).toHaveLength(2);
        await postJson('/api/reservations', { eventId, seatIds: seats.map((s) => s.id) }, first, {
          'x-queue-token': admitted?.admissionToken ?? '',
        });
      } finally {
        await firstContext.close();
      }

      // The next fan waits behind the full room, and is told no seat is left for now.
      await signUp(page, 'Late Fan');
      await page.goto(`/events/${eventId}/queue`);
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      await expect
        .poll(() => text(page, 'queue-seats-left'), { timeout: UI_TIMEOUT })
        .toBe(
          'Every seat is taken right now. Seats come back when holds run out unpaid, so your place still counts.',
        );
      await screenshot(page, 'waiting-room-06-no-seat-left');
      await page.getByRole('link', { name: 'Or join the waiting list' }).click();
      await page.waitForURL(`${WEB}/events/${eventId}`);
      await page.getByRole('button', { name: 'Join the waiting list' }).waitFor({ timeout: UI_TIMEOUT });
    }),
    180_000,
  );
});

describe('when the organiser switches the waiting room off', () => {
  it(
    'tells the fans in line at once and sends them to the seat map',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      const eventId = await waitingRoomConcert({
        title: 'Room off',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
      });
      // The one slot is taken: the fan below waits in line.
      const first = await fanJoins(eventId, 1);
      await untilAdmitted(eventId, first.token);
      await signUp(page, 'Waiting Fan');
      await page.goto(`/events/${eventId}/queue`);
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');

      await asOperator('PATCH', `/api/events/${eventId}`, {
        waitingRoom: { enabled: false, admissionRatePerMinute: 300, maxActiveShoppers: 1 },
      });
      const closed = page.getByTestId('queue-closed');
      await closed.waitFor({ timeout: UI_TIMEOUT });
      expect(await closed.innerText()).toContain('switched the waiting room off');
      await screenshot(page, 'waiting-room-07-switched-off');
      await page.getByRole('link', { name: 'Go to the seat map' }).click();
      await page.waitForURL(`${WEB}/events/${eventId}/seats`);
    }),
    180_000,
  );
});

describe('a computer fans take turns on', () => {
  it(
    "does not hand one fan's admission to the next fan signed in on the same tab",
    site.step(async () => {
      const page = site.page;
      await page.goto('/');
      const logOut = page.getByRole('button', { name: 'Log out' });
      if (await logOut.count()) await logOut.click();
      await signUp(page, 'First Fan');
      const eventId = await waitingRoomConcert({
        title: 'Shared tab',
        opensInMs: -MINUTE,
        maxActiveShoppers: 5,
      });
      await page.goto(`/events/${eventId}/queue`);
      await page.waitForURL(`${WEB}/events/${eventId}/seats`, { timeout: UI_TIMEOUT });
      await page.getByRole('timer').waitFor();

      await page.getByRole('button', { name: 'Log out' }).click();
      await signUp(page, 'Next Fan');
      // The waiting room cannot be asked about the turn: the page must know by itself that this fan was
      // never admitted, and not show the first fan's admission as theirs.
      await page.route(`**/api/queue/${eventId}/status`, (route) => route.abort());
      await page.goto(`/events/${eventId}/seats`);
      await page.getByText('This concert has a waiting room: please enter it first.').waitFor();
      expect(await page.getByRole('timer').count()).toBe(0);
      await page.unroute(`**/api/queue/${eventId}/status`);
    }),
    120_000,
  );
});

describe('a fan whose connection dropped', () => {
  it(
    'shows the place the waiting room gives on reconnecting, not the one its last broadcast gave',
    site.step(async () => {
      const page = site.page;
      await page.goto('/');
      const logOut = page.getByRole('button', { name: 'Log out' });
      if (await logOut.count()) await logOut.click();
      await signUp(page, 'Dropped Fan');
      const eventId = await waitingRoomConcert({
        title: 'Dropped line',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
      });
      const first = await fanJoins(eventId, 0);
      await untilAdmitted(eventId, first.token);
      const ahead = [await fanJoins(eventId, 1), await fanJoins(eventId, 2)];

      // Third in line, as the join said and as the broadcasts (which also bring the seats left) say.
      await page.goto(`/events/${eventId}/queue`);
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('3');
      await page.getByTestId('queue-seats-left').waitFor({ timeout: UI_TIMEOUT });

      // The room broadcasts nothing more for an hour (its last broadcast "now" and its heartbeat lease
      // taken), as a very long line's broadcasts are spaced out. The two fans ahead leave meanwhile.
      const { env } = site.platform;
      const redis = createRedis(env.REDIS_URL ?? '', env.REDIS_PREFIX ?? '');
      try {
        await redis.hset(queueRedisKey(eventId, 'state'), 'castAt', Date.now() + 60 * MINUTE);
        await redis.set(queueRedisKey(eventId, 'beat'), '1', 'PX', 60 * MINUTE);
      } finally {
        await redis.quit();
      }
      for (const fan of ahead) {
        const left = await fetch(`${WEB}/api/queue/${eventId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${fan.token}` },
        });
        expect(left.status).toBe(200);
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await text(page, 'queue-position')).toBe('3');

      // The page's socket drops with the instance and connects again: the room tells it its place, first.
      await site.platform.platform.kill('queue');
      await site.platform.platform.restart('queue');
      await expect.poll(() => text(page, 'queue-position'), { timeout: UI_TIMEOUT }).toBe('1');
      const status = await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, await accessTokenOf(page));
      expect(status.position).toBe(1);
    }),
    180_000,
  );
});
