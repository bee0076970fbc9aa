import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  postJson,
  screenshot,
  signInAsOperator,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * What a fan or an operator is told when something is refused, in a real browser against the whole
 * platform: each refusal in the page's own language and with its own reason, never the server's English
 * detail, and an address that names nothing is a "not found" page rather than a retry button.
 */

/** The demo seed's concert without a waiting room: Blue Square, at most 2 seats a person. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const fan = {
  name: 'Lee Fan',
  email: `fan-problems-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
};

const site = siteOnPlatform({ label: 'web_problems' });

async function useKorean(): Promise<void> {
  await site.page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
}

describe('a refused hold, in Korean', () => {
  it(
    'says the per-person limit and how many seats the fan already holds',
    site.step(async () => {
      const page = site.page;
      await signUpVerified(page, fan);
      await useKorean();

      const free = page.locator('figure[data-section="A"] rect[data-status="available"]');
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      const first = await free.first().getAttribute('data-seat-id');
      // Right after a poll of the map: a shared copy of that poll (a second old at most) must not show the
      // seat the fan is about to hold as free when the fan comes back to the map.
      await page.waitForResponse((r) => r.url().endsWith('/availability'));
      await page.locator(`rect[data-seat-id="${first}"]`).click();
      await page.getByRole('button', { name: '좌석 선점하기' }).click();
      await page.waitForURL(/\/checkout\//);
      const checkout = new URL(page.url()).pathname;

      // Back on the map, the fan's own hold is not offered again, and the way back to its checkout is shown.
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      const yours = page.getByTestId('own-holds');
      await expect
        .poll(() => yours.innerText(), { timeout: UI_TIMEOUT })
        .toContain('이미 1석을 선점하셨습니다');
      expect(await page.locator(`rect[data-seat-id="${first}"]`).getAttribute('data-status')).not.toBe(
        'available',
      );
      await yours.getByRole('link').click();
      await page.waitForURL((url) => url.pathname === checkout);

      // Two more seats would be three in all, over the limit of two: the page lets the fan choose one more.
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      await yours.waitFor();
      await page.getByRole('heading', { name: '선택: 0 / 1' }).waitFor();
      await free.nth(0).click();
      const second = await free.nth(1).getAttribute('data-seat-id');
      await free.nth(1).click();
      const alert = page.getByRole('alert');
      expect(await alert.innerText()).toBe(
        '이 공연은 1인당 2매까지 예매할 수 있고 이미 1매를 예매하거나 선점하셨습니다. 1매 더 선택할 수 있습니다.',
      );
      // Another hold made meanwhile (in another tab) leaves none: the server refuses, and says why.
      await postJson(
        '/api/reservations',
        { eventId: OPEN_EVENT, seatIds: [second] },
        await accessTokenOf(page),
        { 'idempotency-key': crypto.randomUUID() },
      );
      await page.getByRole('button', { name: '좌석 선점하기' }).click();
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain('이 공연은 1인당 최대 2석까지 예매할 수 있습니다. 이미 2석을 선점하거나 예매하셨습니다.');
      expect(await alert.innerText()).not.toMatch(/[A-Za-z]{4,}/);
      await screenshot(page, 'problems-01-limit-ko');
    }),
    90_000,
  );
});

describe('seats let go unpaid twice, in Korean', () => {
  it(
    'says they are left for other fans for an hour, and takes them out of the selection',
    site.step(async () => {
      const page = site.page;
      // A fan of their own, signing up on the English page as a newcomer does.
      await page.evaluate(() => localStorage.clear());
      await signUpVerified(page, {
        name: 'Park Spinner',
        email: `fan-spinner-${Date.now()}@example.com`,
        password: 'correct-horse-battery',
      });
      await useKorean();
      await page.goto(`/events/${OPEN_EVENT}/seats`);
      const seat = await page
        .locator('figure[data-section="A"] rect[data-status="available"]')
        .last()
        .getAttribute('data-seat-id');
      const rect = page.locator(`rect[data-seat-id="${seat}"]`);
      const label = await rect.getAttribute('data-label');

      // Held and given back twice: once is a fan changing their mind, twice is one too many.
      for (let round = 0; round < 2; round++) {
        await rect.click();
        await page.getByRole('button', { name: '좌석 선점하기' }).click();
        await page.waitForURL(/\/checkout\//);
        await page.getByRole('button', { name: '좌석 반납하기' }).click();
        await page.waitForURL((url) => url.pathname === `/events/${OPEN_EVENT}/seats`);
        await expect.poll(() => rect.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('available');
      }

      await rect.click();
      expect(await rect.getAttribute('aria-checked')).toBe('true');
      await page.getByRole('button', { name: '좌석 선점하기' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain(`이 좌석의 선점을 결제 없이 2번 끝내셔서 60분 동안 다른 팬들께 양보됩니다: ${label}`);
      expect(await alert.innerText()).not.toMatch(/[A-Za-z]{4,}/);
      // Still free for everyone else, no longer chosen by this fan.
      expect(await rect.getAttribute('data-status')).toBe('available');
      expect(await rect.getAttribute('aria-checked')).toBe('false');
      await screenshot(page, 'problems-03-left-for-others-ko');
    }),
    90_000,
  );
});

describe('an address that names nothing', () => {
  for (const [what, path] of [
    ['an event id that is not an id', '/events/not-an-id'],
    ['an unknown event id', '/events/01936b2a-0000-7000-8000-0000000000ff'],
    ['the seats of an unknown event', '/events/01936b2a-0000-7000-8000-0000000000ff/seats'],
    ['a path the site does not have', '/no-such-page'],
  ] as const) {
    it(
      `shows a not-found page for ${what}, with the way back to the concerts`,
      site.step(async () => {
        const page = site.page;
        await page.goto(path);
        await page.getByTestId('not-found').waitFor();
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('페이지를 찾을 수 없습니다');
        // The tab names the page shown, the not-found page, not the page the address would have been, and
        // the site by the name the Korean header gives it.
        await expect
          .poll(() => page.title(), { timeout: UI_TIMEOUT })
          .toBe('페이지를 찾을 수 없습니다 · 티켓이');
        expect(await page.getByRole('button', { name: '다시 시도' }).count()).toBe(0);
        expect(new URL(page.url()).pathname).toBe(path);
        await page.getByRole('link', { name: '전체 공연 보기' }).click();
        await page.waitForURL(`${WEB}/`);
      }),
      60_000,
    );
  }
});

describe('the address of the concerts as fans type it', () => {
  it(
    'takes /events to the list of concerts, keeping its search',
    site.step(async () => {
      const page = site.page;
      await page.goto('/events?q=IU');
      await page.waitForURL(`${WEB}/?q=IU`);
      expect(await page.getByTestId('not-found').count()).toBe(0);
      await page.locator('[data-event-id]').first().waitFor();
    }),
    60_000,
  );
});

describe('the browser tab', () => {
  const languages = [
    { locale: 'ko', brand: '티켓이', concerts: '공연', notFound: '페이지를 찾을 수 없습니다' },
    { locale: 'en', brand: 'Tiketi', concerts: 'Concerts', notFound: 'Page not found' },
  ] as const;

  it(
    "names the site by the word the page's header shows in its language",
    site.step(async () => {
      const page = site.page;
      const language = page.getByLabel(/^(언어|Language)/);
      await page.goto('/');
      for (const { locale, brand, concerts } of languages) {
        await language.selectOption(locale);
        await expect.poll(() => page.locator('.site-header .brand').innerText()).toBe(brand);
        await expect.poll(() => page.title(), { timeout: UI_TIMEOUT }).toBe(`${concerts} · ${brand}`);
      }
    }),
    60_000,
  );

  it(
    "names an unknown concert's page as not found, in whichever language the page is read",
    site.step(async () => {
      const page = site.page;
      const language = page.getByLabel(/^(언어|Language)/);
      await page.goto('/events/01936b2a-0000-7000-8000-0000000000ff');
      await page.getByTestId('not-found').waitFor();
      for (const { locale, brand, notFound } of [...languages].reverse()) {
        await language.selectOption(locale);
        await expect.poll(() => page.title(), { timeout: UI_TIMEOUT }).toBe(`${notFound} · ${brand}`);
      }
      // The next steps read the page in Korean.
      expect(await language.inputValue()).toBe('ko');
    }),
    60_000,
  );
});

describe('a refused check-in, in Korean', () => {
  it(
    'tells the operator a damaged code is not a Tiketi ticket',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: '로그아웃' }).click();
      await signInAsOperator(page, '/admin/check-in', { language: 'ko' });
      await page.getByLabel('QR 또는 티켓 코드').fill('TKT1.not-a-real-ticket');
      await page.getByRole('button', { name: '입장 처리' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain('티켓이가 발급한 코드가 아니거나 손상되었습니다.');
      await screenshot(page, 'problems-02-check-in-ko');
    }),
    60_000,
  );
});

describe('a refused sign-up, in Korean', () => {
  it(
    'says why the password was refused, not only which field',
    site.step(async () => {
      const page = site.page;
      await page.goto('/');
      await page.evaluate(() => localStorage.clear());
      await useKorean();
      const email = `fan-same-password-${Date.now()}@example.com`;
      await page.goto('/register');
      await page.getByLabel('이름').fill('Kim Fan');
      await page.getByLabel('이메일').fill(email);
      // Long enough for the page's own check; the server refuses a password that is the address itself.
      await page.getByLabel('비밀번호').fill(email);
      await page.getByRole('button', { name: '가입하기' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain('입력하신 내용을 확인해 주세요. 비밀번호: 이메일 주소와 같을 수 없습니다.');
      expect(await alert.innerText()).not.toMatch(/[A-Za-z]{4,}/);
      expect(new URL(page.url()).pathname).toBe('/register');
      await screenshot(page, 'problems-04-sign-up-ko');
    }),
    60_000,
  );
});
