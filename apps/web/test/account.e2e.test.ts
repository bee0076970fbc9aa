import { challengeHeader } from '@tiketi/kit/testing';
import { awaitMail, listMail, verificationLink } from '@tiketi/sandbox-mail/client';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  holdFirstFreeSeat,
  linksIn,
  MAIL_INBOX,
  openSite,
  postJson,
  screenshotAtWidths,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * A Korean fan's own account page, in a real browser against the whole platform: a new name that stays
 * after a reload; a new password, refused with a wrong current one, that ends every other session and is the
 * one that logs in afterwards. Then leaving Tiketi (회원 탈퇴): refused while a seat is held, refused with a
 * wrong password, and done with the right one and the box ticked, which signs the fan out for good; and
 * an account that signs in with Google only, which has no password to change and confirms with its address.
 */

/** The demo seed's concert without a waiting room: Blue Square, sections A–C. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
/** Whom the sandbox OpenID provider signs in, standing in for Google. */
const GOOGLE_FAN = { email: `fan-google-${Date.now()}@example.com`, name: '구글팬' };

const fan = {
  name: '김계정',
  newName: '김새이름',
  email: `fan-account-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
  newPassword: 'staple-battery-horse-2',
};
const PASSWORD_CHANGED = '비밀번호를 바꿨습니다. 다른 기기에서는 로그아웃되었습니다.';
const WRONG_PASSWORD = '비밀번호가 올바르지 않습니다.';
const WRONG_CREDENTIALS = '이메일 또는 비밀번호가 올바르지 않습니다.';

const site = siteOnPlatform({
  label: 'web_account',
  env: {
    // One browser changes its password more often than the gateway lets one address do in a minute.
    RATE_LIMIT_PASSWORD: '50',
    OIDC_DEMO_EMAIL: GOOGLE_FAN.email,
    OIDC_DEMO_NAME: GOOGLE_FAN.name,
  },
});

/** A new account made on the sign-up page in Korean, its address not verified yet. */
async function signUpUnverified(page: Page, who: { name: string; email: string; password: string }) {
  await page.goto('/');
  await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
  await page.goto('/register');
  await page.getByLabel('이름').fill(who.name);
  await page.getByLabel('이메일').fill(who.email);
  await page.getByLabel('비밀번호').fill(who.password);
  await page.getByRole('button', { name: '가입하기' }).click();
  await page.waitForURL(`${WEB}/`);
}

/** Opens the link of the verification mail in the same browser, as the fan would. */
async function verifyFromMail(page: Page, email: string) {
  const link = await verificationLink(MAIL_INBOX, email, { timeoutMs: UI_TIMEOUT });
  await page.goto(`${link.pathname}${link.search}`);
  await page.getByText('이메일 인증이 완료되었습니다').waitFor();
}

/** A new account made on the sign-up page in Korean, its address then verified from its mail. */
async function signUpInKorean(page: Page, who: { name: string; email: string; password: string }) {
  await signUpUnverified(page, who);
  await verifyFromMail(page, who.email);
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: '로그아웃' }).click();
  await page.getByRole('link', { name: '로그인', exact: true }).waitFor();
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('이메일').fill(email);
  await page.getByLabel('비밀번호', { exact: true }).fill(password);
  await page.getByRole('button', { name: '로그인', exact: true }).click();
}

/** A session opened elsewhere (another device), straight through the API. */
async function loginThroughApi(email: string, password: string) {
  const res = await fetch(`${WEB}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { accessToken: string; refreshToken: string };
}

const refreshStatus = (refreshToken: string) =>
  fetch(`${WEB}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  }).then((r) => r.status);

/** What `GET /api/users/me` answers an access token. */
const meStatus = (accessToken: string) =>
  fetch(`${WEB}/api/users/me`, { headers: { authorization: `Bearer ${accessToken}` } }).then((r) => r.status);

/** The problem shown for a field: the alert its input is described by. */
async function problemOn(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: UI_TIMEOUT }).toBe('true');
  const described = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = described.split(' ').find((id) => id.endsWith('-error'));
  if (!errorId) throw new Error(`${label} is described by no problem (${described})`);
  const alert = page.locator(`[id="${errorId}"][role="alert"]`);
  return alert.innerText();
}

const openAccountPage = async (page: Page) => {
  await page.getByRole('link', { name: '내 계정' }).click();
  await page.waitForURL(`${WEB}/me/account`);
  await page.getByRole('heading', { name: '내 계정', level: 1 }).waitFor();
};

describe('a fan on the account page', () => {
  it(
    'opens 내 계정 from the menu, sees whether the address is verified and changes the name',
    site.step(async () => {
      const page = site.page;
      await signUpUnverified(page, fan);
      await openAccountPage(page);
      const profile = page.getByRole('region', { name: '프로필' });
      await expect(profile.locator('dd').first().innerText()).resolves.toBe(`${fan.email} 인증되지 않음`);
      // The page offers the mail again beside the address, instead of the banner every other page shows.
      await expect(page.getByRole('button', { name: '인증 메일 다시 보내기' }).count()).resolves.toBe(1);
      await expect(profile.getByRole('button', { name: '인증 메일 다시 보내기' }).isVisible()).resolves.toBe(
        true,
      );
      await screenshotAtWidths(page, 'account-01-unverified');

      await verifyFromMail(page, fan.email);
      // The mail's link opened a second time: said so, and not a dead end.
      const again = await verificationLink(MAIL_INBOX, fan.email);
      await page.goto(`${again.pathname}${again.search}`);
      await page.getByText('이미 사용된 인증 링크입니다').waitFor();
      await page.getByRole('link', { name: '공연 둘러보기', exact: true }).waitFor({ timeout: 5000 });
      await openAccountPage(page);
      await expect(profile.locator('dd').first().innerText()).resolves.toBe(`${fan.email} 인증됨`);
      expect(await page.getByRole('button', { name: '인증 메일 다시 보내기' }).count()).toBe(0);
      await expect(page.getByLabel('이름').inputValue()).resolves.toBe(fan.name);
      await screenshotAtWidths(page, 'account-01-page');

      await page.getByLabel('이름').fill(fan.newName);
      await profile.getByRole('button', { name: '저장' }).click();
      await profile.getByRole('status').getByText('저장했습니다.').waitFor();
      await page.reload();
      await expect(page.getByLabel('이름').inputValue()).resolves.toBe(fan.newName);
      const me = await apiJson<{ name: string }>('/api/users/me', await accessTokenOf(page));
      expect(me.name).toBe(fan.newName);

      // The header's language switch is the account's too: the fan's mails follow it.
      const localeOf = async () =>
        (await apiJson<{ locale: string }>('/api/users/me', await accessTokenOf(page))).locale;
      await page.getByLabel('언어').selectOption('en');
      await expect.poll(localeOf, { timeout: UI_TIMEOUT }).toBe('en');
      await page.getByLabel('Language').selectOption('ko');
      await expect.poll(localeOf, { timeout: UI_TIMEOUT }).toBe('ko');
    }),
    120_000,
  );

  it(
    'changes the password: a wrong current one is refused on its field; the right one ends the other sessions',
    site.step(async () => {
      const page = site.page;
      const other = await loginThroughApi(fan.email, fan.password);
      expect(await meStatus(other.accessToken)).toBe(200);
      const before = await accessTokenOf(page);

      const section = page.getByRole('region', { name: '비밀번호 변경' });
      await page.getByLabel('현재 비밀번호').fill('not-the-password');
      await page.getByLabel('새 비밀번호').fill(fan.newPassword);
      await section.getByRole('button', { name: '비밀번호 바꾸기' }).click();
      expect(await problemOn(page, '현재 비밀번호')).toContain(WRONG_PASSWORD);
      await screenshotAtWidths(page, 'account-02-wrong-password');

      await page.getByLabel('현재 비밀번호').fill(fan.password);
      await page.getByLabel('새 비밀번호').fill(fan.newPassword);
      await section.getByRole('button', { name: '비밀번호 바꾸기' }).click();
      const notice = section.getByRole('status').filter({ hasText: '비밀번호를 바꿨습니다' });
      await notice.waitFor();
      expect(await notice.innerText()).toBe(PASSWORD_CHANGED);
      expect(await section.getByRole('alert').count()).toBe(0);
      // The form is cleared, so the password does not stay on the screen.
      await expect(page.getByLabel('현재 비밀번호').inputValue()).resolves.toBe('');
      await screenshotAtWidths(page, 'account-03-password-changed');

      // This device goes on with a new pair of tokens; the other session has ended.
      const after = await accessTokenOf(page);
      expect(after).not.toBe(before);
      expect(await meStatus(after)).toBe(200);
      expect(await refreshStatus(other.refreshToken)).toBe(401);
      await expect.poll(() => meStatus(other.accessToken), { timeout: UI_TIMEOUT }).toBe(401);
      await page.reload();
      await page.getByRole('heading', { name: '내 계정', level: 1 }).waitFor();
      await page.getByRole('button', { name: '로그아웃' }).waitFor();
    }),
    90_000,
  );

  it(
    'logs out, and logs in with the new password only',
    site.step(async () => {
      const page = site.page;
      await logOut(page);
      await logIn(page, fan.email, fan.password);
      await page.getByRole('alert').getByText(WRONG_CREDENTIALS).waitFor();
      await logIn(page, fan.email, fan.newPassword);
      await page.waitForURL(`${WEB}/`);
      await openAccountPage(page);
      await expect(page.getByLabel('이름').inputValue()).resolves.toBe(fan.newName);
    }),
    60_000,
  );
});

describe('a fan deleting the account', () => {
  const holder = {
    name: '이선점',
    email: `fan-holder-${Date.now()}@example.com`,
    password: 'holder-password-1',
  };
  const leaver = {
    name: '최탈퇴',
    email: `fan-leaver-${Date.now()}@example.com`,
    password: 'leaver-password-1',
  };
  const deleteSection = (page: Page) => page.getByRole('region', { name: '회원 탈퇴' });

  it(
    'is refused while holding a seat, and told why, with the way to the tickets',
    site.step(async () => {
      const page = site.page;
      if (await page.getByRole('button', { name: '로그아웃' }).count()) await logOut(page);
      await signUpInKorean(page, holder);
      // A link of another account's verification mail opened here (a shared computer) proves that account's
      // address, and says whose: not "your address", which the holder's is already.
      const stranger = {
        name: '남의메일',
        email: `stranger-${Date.now()}@example.com`,
        password: fan.password,
      };
      await postJson('/api/auth/register', stranger, undefined, await challengeHeader(WEB, 'register'));
      const link = await verificationLink(MAIL_INBOX, stranger.email, { timeoutMs: UI_TIMEOUT });
      await page.goto(`${link.pathname}${link.search}`);
      await page.getByText(`${stranger.email} 주소의 인증이 완료되었습니다`).waitFor();
      expect(await page.locator('main').innerText()).toContain(`다른 계정(${holder.email})으로 로그인되어`);
      expect(await page.getByRole('button', { name: '다른 계정으로 로그인' }).count()).toBe(1);
      await holdFirstFreeSeat(page, OPEN_EVENT);
      await page.goto('/me/account');
      const section = deleteSection(page);
      await page.getByLabel('비밀번호', { exact: true }).fill(holder.password);
      await section.getByLabel('탈퇴하면 되돌릴 수 없다는 것을 이해했습니다.').check();
      await section.getByRole('button', { name: '회원 탈퇴하기' }).click();
      await section.getByRole('alert').getByText('좌석 선점 1건').waitFor();
      // Only what there is: no "0 tickets".
      expect(await section.getByRole('alert').innerText()).not.toContain('티켓');
      await expect(section.getByRole('link', { name: '내 티켓' }).getAttribute('href')).resolves.toBe(
        '/me/tickets',
      );
      await screenshotAtWidths(page, 'account-04-delete-in-use');
      // Still signed in, the account still there.
      expect(await meStatus(await accessTokenOf(page))).toBe(200);
    }),
    120_000,
  );

  it(
    'deletes an account with no tickets: a wrong password first, then the right one with the box ticked',
    site.step(async () => {
      const page = site.page;
      await logOut(page);
      await signUpInKorean(page, leaver);
      const other = await loginThroughApi(leaver.email, leaver.password);
      await openAccountPage(page);
      const section = deleteSection(page);
      await expect(section.innerText()).resolves.toContain(
        '이름과 이메일 주소가 지워지고 모든 기기에서 로그아웃됩니다. 결제 기록은 법에 따라 보관되지만 이름과 주소 없이 보관됩니다.',
      );
      const submit = section.getByRole('button', { name: '회원 탈퇴하기' });
      const box = section.getByLabel('탈퇴하면 되돌릴 수 없다는 것을 이해했습니다.');
      await page.getByLabel('비밀번호', { exact: true }).fill('not-the-password');
      await expect(submit.isDisabled()).resolves.toBe(true);
      await box.check();
      await expect(submit.isDisabled()).resolves.toBe(false);
      await submit.click();
      expect(await problemOn(page, '비밀번호')).toContain(WRONG_PASSWORD);
      await screenshotAtWidths(page, 'account-05-delete-wrong-password');

      const token = await accessTokenOf(page);
      await page.getByLabel('비밀번호', { exact: true }).fill(leaver.password);
      await submit.click();
      await page.waitForURL(`${WEB}/`);
      await page.getByRole('link', { name: '로그인', exact: true }).waitFor();
      // Said so, on the concerts page where the fan stays (not sent on to the login page).
      expect(await page.getByTestId('account-deleted').innerText()).toBe(
        '회원 탈퇴가 완료되었습니다. 그동안 Tiketi를 이용해 주셔서 감사합니다.',
      );
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await page.evaluate(() => localStorage.getItem('tiketi.session'))).toBeNull();
      await screenshotAtWidths(page, 'account-06-deleted');
      // Every session of the account has ended, on this device and the other.
      await expect.poll(() => meStatus(token), { timeout: UI_TIMEOUT }).toBe(401);
      expect(await refreshStatus(other.refreshToken)).toBe(401);

      await logIn(page, leaver.email, leaver.password);
      await page.getByRole('alert').getByText(WRONG_CREDENTIALS).waitFor();
      expect(site.blocked).toEqual([]);
    }),
    120_000,
  );

  it(
    'signing in with Google only: no password to change, and the address typed out to confirm',
    site.step(async () => {
      const page = site.page;
      await page.goto('/login?next=%2Fme%2Faccount');
      await page.getByRole('link', { name: 'Google 계정으로 로그인' }).click();
      await page.waitForURL(`${WEB}/me/account`);
      await page.getByRole('heading', { name: '내 계정', level: 1 }).waitFor();

      const password = page.getByRole('region', { name: '비밀번호 변경' });
      await page.getByLabel('현재 비밀번호').fill('anything-at-all');
      await page.getByLabel('새 비밀번호').fill('a-first-password-1');
      await password.getByRole('button', { name: '비밀번호 바꾸기' }).click();
      await password.getByRole('alert').getByText('아직 비밀번호가 없습니다').waitFor();
      await expect(
        password.getByRole('link', { name: '비밀번호 설정 링크 받기' }).getAttribute('href'),
      ).resolves.toBe('/forgot-password');

      const section = deleteSection(page);
      await section.getByText('Google로만 로그인하시나요?').click();
      await section.getByLabel('이메일').fill(`someone-else-${Date.now()}@example.com`);
      await section.getByLabel('탈퇴하면 되돌릴 수 없다는 것을 이해했습니다.').check();
      await section.getByRole('button', { name: '회원 탈퇴하기' }).click();
      expect(await problemOn(page, '이메일')).toContain('이 계정의 이메일 주소가 아닙니다.');
      await screenshotAtWidths(page, 'account-07-google-wrong-address');

      await section.getByLabel('이메일').fill(GOOGLE_FAN.email);
      await section.getByRole('button', { name: '회원 탈퇴하기' }).click();
      await page.waitForURL(`${WEB}/`);
      await page.getByRole('link', { name: '로그인', exact: true }).waitFor();
      expect(await page.evaluate(() => localStorage.getItem('tiketi.session'))).toBeNull();
    }),
    90_000,
  );
});

describe('a fan with the site open in two tabs', () => {
  it(
    'stays signed in when both tabs find the access token refused at once',
    site.step(async () => {
      const browser = site.page.context().browser();
      if (!browser) throw new Error('the page has no browser');
      const context = await browser.newContext({ baseURL: WEB });
      try {
        const [one, two] = [await context.newPage(), await context.newPage()];
        const who = { name: '김두탭', email: `two-tabs-${Date.now()}@example.com`, password: fan.password };
        await signUpUnverified(one, who);
        // Both tabs start with an access token the API refuses (its signature broken), as when it expires
        // while both are open: each trades the same refresh token for a new pair, which may be done once.
        await one.evaluate(() => {
          const session = JSON.parse(localStorage.getItem('tiketi.session') ?? '{}');
          const token = String(session.accessToken);
          session.accessToken = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
          localStorage.setItem('tiketi.session', JSON.stringify(session));
        });
        // A slow network: each refresh leaves the browser half a second late, so the tabs' refreshes overlap.
        await context.route('**/api/auth/refresh', async (route) => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          await route.continue();
        });
        await Promise.all([one.goto('/me/account'), two.goto('/me/account')]);
        for (const page of [one, two]) {
          await page.getByRole('heading', { name: '내 계정', level: 1 }).waitFor({ timeout: UI_TIMEOUT });
          await page.getByText(who.email).first().waitFor({ timeout: UI_TIMEOUT });
        }
        // The pair both tabs now hold works: the session was not ended as a stolen token's would be.
        const me = await apiJson<{ email: string }>('/api/users/me', await accessTokenOf(two));
        expect(me.email).toBe(who.email);
        expect(await accessTokenOf(one)).toBe(await accessTokenOf(two));
      } finally {
        await context.close();
      }
    }),
    90_000,
  );
});

describe('a fan opening a mailed link in a browser set to another language', () => {
  it(
    'sees the page in the language of the mail, and the site stays in it',
    site.step(async () => {
      const who = {
        name: '메일팬',
        email: `fan-mail-language-${Date.now()}@example.com`,
        password: 'correct-horse-battery',
        locale: 'ko',
      };
      await postJson('/api/auth/register', who, undefined, await challengeHeader(WEB, 'register'));
      const { message } = await awaitMail(
        MAIL_INBOX,
        { to: who.email, matches: /verify-email/ },
        { timeoutMs: UI_TIMEOUT },
      );
      const link = new URL(linksIn(message.html ?? '').find((href) => href.includes('/verify-email')) ?? '');
      const browser = site.page.context().browser();
      if (!browser) throw new Error('the site runs in a launched browser');
      // A browser of its own that has never been told a language, and prefers English.
      const { context, page } = await openSite(browser);
      try {
        await page.goto(`${link.pathname}${link.search}`);
        await page.getByText('이메일 인증이 완료되었습니다').waitFor();
        expect(await page.getAttribute('html', 'lang')).toBe('ko');
        // Kept as if chosen with the language switch: the next page opened is Korean too.
        await page.goto('/');
        await page.getByRole('link', { name: '로그인', exact: true }).waitFor();
      } finally {
        await context.close();
      }
    }),
    120_000,
  );
});

describe('a fan whose address was registered twice', () => {
  it(
    'opens the newest verification link signed out, logs in from its page and comes back verified',
    site.step(async () => {
      const email = `fan-twice-${Date.now()}@example.com`;
      const register = async (password: string) =>
        postJson(
          '/api/auth/register',
          { name: '두번팬', email, password, locale: 'ko' },
          undefined,
          await challengeHeader(WEB, 'register'),
        );
      const verifyMails = () =>
        listMail(MAIL_INBOX, { to: email }).then((all) =>
          all.filter((m) => m.text.includes('/verify-email')),
        );
      await register('first-horse-battery');
      await expect.poll(async () => (await verifyMails()).length, { timeout: UI_TIMEOUT }).toBe(1);
      await register('second-horse-battery');
      await expect.poll(async () => (await verifyMails()).length, { timeout: UI_TIMEOUT }).toBe(2);
      const [newest] = await verifyMails();
      const link = new URL(linksIn(newest?.html ?? '').find((href) => href.includes('/verify-email')) ?? '');

      const browser = site.page.context().browser();
      if (!browser) throw new Error('the site runs in a launched browser');
      const { context, page } = await openSite(browser);
      try {
        await page.goto(`${link.pathname}${link.search}`);
        await page.getByText('이 주소로 가입이 여러 번 시도되어').waitFor();
        await page.getByRole('link', { name: '로그인하고 인증하기' }).click();
        await page.waitForURL(/\/login/);
        // The token stays out of the address bar (and its history) on the way there too.
        expect(page.url()).not.toContain(link.searchParams.get('token') ?? 'no token in the link');
        await page.getByLabel('이메일').fill(email);
        await page.getByLabel('비밀번호', { exact: true }).fill('second-horse-battery');
        await page.getByRole('button', { name: '로그인', exact: true }).click();
        await page.getByText('이메일 인증이 완료되었습니다').waitFor();
        const me = await apiJson<{ emailVerified: boolean }>('/api/users/me', await accessTokenOf(page));
        expect(me.emailVerified).toBe(true);
      } finally {
        await context.close();
      }
    }),
    120_000,
  );
});
