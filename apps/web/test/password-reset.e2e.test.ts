import { PASSWORD_RESET_TTL_MINUTES, WEB_RESET_PASSWORD } from '@tiketi/contracts';
import { awaitMail, listMail, verificationLink } from '@tiketi/sandbox-mail/client';
import type { Page, Request as PageRequest, Response as PageResponse } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  MAIL_INBOX,
  OPERATOR,
  screenshotAtWidths,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * A Korean fan who forgot the password, in a real browser against the whole platform: from the login page
 * to the link in the mail, a new password that signs the fan in and ends the other sessions, the old
 * password refused, the used link saying so; and the same answer for an address no account has, which
 * gets no mail.
 */

const fan = {
  name: '박비번',
  email: `fan-password-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
  newPassword: 'staple-battery-horse-2',
};
const NOBODY = `nobody-${Date.now()}@example.com`;
const RESET_LINK = /https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/;
/** Where the page asks, as it opens, whether its link can still set a password. */
const CHECK_PATH = '/api/auth/password/reset/check';
const USED =
  '링크를 보낸 뒤에 비밀번호가 새로 설정되어 더 이상 쓸 수 없는 링크입니다. 비밀번호를 다시 바꾸시려면 새 링크를 요청해 주세요.';
const sent = (email: string) =>
  `${email} 주소로 가입된 계정이 있다면 새 비밀번호를 설정할 수 있는 링크를 보냈습니다. 링크는 ${PASSWORD_RESET_TTL_MINUTES}분 동안 유효합니다. 메일이 보이지 않으면 스팸함을 확인해 주세요.`;
const reset: { link?: URL; other?: { accessToken: string; refreshToken: string } } = {};

const site = siteOnPlatform({
  label: 'web_password',
  // One browser asks for links and sets passwords more often than the gateway lets one address do in a minute.
  env: { RATE_LIMIT_PASSWORD: '50' },
});

/** A new account made on the sign-up page in Korean (so its mail is Korean too), its address verified. */
async function signUpInKorean(page: Page): Promise<void> {
  await page.goto('/');
  await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
  await page.goto('/register');
  await page.getByLabel('이름').fill(fan.name);
  await page.getByLabel('이메일').fill(fan.email);
  await page.getByLabel('비밀번호').fill(fan.password);
  await page.getByRole('button', { name: '가입하기' }).click();
  await page.waitForURL(`${WEB}/`);
  const link = await verificationLink(MAIL_INBOX, fan.email, { timeoutMs: UI_TIMEOUT });
  await page.goto(`${link.pathname}${link.search}`);
  await page.getByText('이메일 인증이 완료되었습니다').waitFor();
}

/** Submits the forgot-password page and answers the status the API gave it. */
async function askForLink(page: Page): Promise<number> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/password/forgot');
  await page.getByRole('button', { name: '링크 보내기' }).click();
  return (await answered).status();
}

/** What `GET /api/users/me` answers an access token. */
const meStatus = (accessToken: string) =>
  fetch(`${WEB}/api/users/me`, { headers: { authorization: `Bearer ${accessToken}` } }).then((r) => r.status);

async function logIn(page: Page, password: string): Promise<void> {
  await page.getByLabel('이메일').fill(fan.email);
  await page.getByLabel('비밀번호', { exact: true }).fill(password);
  await page.getByRole('button', { name: '로그인', exact: true }).click();
}

/** Opens the link of the mail again, once an earlier test has used it to set the new password. */
async function openUsedLink(page: Page): Promise<void> {
  const link = reset.link;
  if (!link) throw new Error('the reset link comes from an earlier test');
  await page.goto(`${link.pathname}${link.search}`);
}

describe('a fan who forgot the password', () => {
  it(
    'asks for a link from the login page and is told where it went, and for how long it works',
    site.step(async () => {
      const page = site.page;
      await signUpInKorean(page);
      await page.getByRole('button', { name: '로그아웃' }).click();
      await page.getByRole('link', { name: '로그인', exact: true }).click();
      await page.waitForURL(`${WEB}/login`);
      // The address typed on the login page need not be typed again.
      await page.getByLabel('이메일').fill(fan.email);
      await page.getByRole('link', { name: '비밀번호를 잊으셨나요?' }).click();
      await page.waitForURL(`${WEB}/forgot-password`);
      await expect(page.getByLabel('이메일').inputValue()).resolves.toBe(fan.email);
      await screenshotAtWidths(page, 'password-01-forgot');

      expect(await askForLink(page)).toBe(202);
      const notice = page.getByRole('status').filter({ hasText: '스팸함' });
      await notice.waitFor();
      expect(await notice.innerText()).toBe(sent(fan.email));
      await expect(
        page.getByRole('link', { name: '로그인으로 돌아가기' }).getAttribute('href'),
      ).resolves.toBe('/login');
      await screenshotAtWidths(page, 'password-02-link-sent');
    }),
    120_000,
  );

  it(
    'opens the link from the mail, sets a new password and is signed in; every other session ends',
    site.step(async () => {
      const page = site.page;
      // A session somewhere else, with the old password: the reset must end it.
      const login = await fetch(`${WEB}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: fan.email, password: fan.password }),
      });
      expect(login.status).toBe(200);
      reset.other = (await login.json()) as { accessToken: string; refreshToken: string };
      expect(await meStatus(reset.other.accessToken)).toBe(200);

      const { message, match } = await awaitMail(
        MAIL_INBOX,
        { to: fan.email, matches: RESET_LINK },
        { timeoutMs: UI_TIMEOUT },
      );
      // The account speaks Korean, and so does its mail.
      expect(message.subject).toMatch(/[가-힣]/);
      const link = new URL(match[0]);
      expect(link.origin).toBe(WEB);
      expect(link.pathname).toBe(WEB_RESET_PASSWORD.path);
      reset.link = link;

      // The page asks whether the link still works as it opens; a fresh one gets the form.
      const checks: number[] = [];
      let asked = 0;
      const seeCheck = (r: PageResponse) => {
        if (new URL(r.url()).pathname === CHECK_PATH) checks.push(r.status());
      };
      const askedCheck = (r: PageRequest) => {
        if (new URL(r.url()).pathname === CHECK_PATH) asked += 1;
      };
      page.on('response', seeCheck);
      page.on('request', askedCheck);
      await page.goto(`${link.pathname}${link.search}`);
      await page.getByRole('heading', { name: '새 비밀번호 설정' }).waitFor();
      // The token is kept by the page, not left in the address bar (or the history, or a screenshot).
      expect(new URL(page.url()).search).toBe('');
      // The form comes once the check answered (the heading shows while it is asked).
      await page.getByText('8자 이상.').waitFor();

      // A refused password keeps the link usable and says which field is wrong and why, as sign-up does.
      await page.getByLabel('새 비밀번호').fill(fan.email);
      await page.getByRole('button', { name: '비밀번호 변경하기' }).click();
      await page
        .getByRole('alert')
        .getByText('입력하신 내용을 확인해 주세요. 비밀번호: 이메일 주소와 같을 수 없습니다.')
        .waitFor();

      await page.getByLabel('새 비밀번호').fill(fan.newPassword);
      await screenshotAtWidths(page, 'password-03-new-password');
      // From the reset on, the link is not asked about again (the page drawn anew as it opened may have
      // asked twice, the first given up).
      asked = 0;
      await page.getByRole('button', { name: '비밀번호 변경하기' }).click();
      await page.waitForURL(`${WEB}/`);
      // Where the fan lands says the password was set, not only a page that happens to be signed in.
      await page.getByTestId('password-reset-done').waitFor();
      expect(await page.getByTestId('password-reset-done').innerText()).toBe(
        '새 비밀번호가 설정되어 로그인되었습니다. 다른 기기의 로그인은 모두 종료되었습니다.',
      );
      await page.getByRole('button', { name: '로그아웃' }).waitFor();
      // The form came after the check said the link works (asked before anything was typed), and signing in
      // with the new password did not ask it again, to be answered "used" and counted against the limit.
      expect(checks).toEqual([204]);
      expect(asked).toBe(0);
      page.off('response', seeCheck);
      page.off('request', askedCheck);
      const me = await apiJson<{ email: string }>('/api/users/me', await accessTokenOf(page));
      expect(me.email).toBe(fan.email);

      const other = reset.other;
      const refreshed = await fetch(`${WEB}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: other.refreshToken }),
      });
      expect(refreshed.status).toBe(401);
      // Its access token stops too, without waiting for it to run out.
      await expect.poll(() => meStatus(other.accessToken), { timeout: UI_TIMEOUT }).toBe(401);
    }),
    90_000,
  );

  it(
    'refuses the old password at login and takes the new one',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: '로그아웃' }).click();
      await page.getByRole('link', { name: '로그인', exact: true }).click();
      await page.waitForURL(`${WEB}/login`);
      await logIn(page, fan.password);
      await page.getByRole('alert').getByText('이메일 또는 비밀번호가 올바르지 않습니다.').waitFor();
      await logIn(page, fan.newPassword);
      await page.waitForURL(`${WEB}/`);
      await page.getByRole('button', { name: '로그아웃' }).waitFor();
    }),
    60_000,
  );

  it(
    'says at once that a used link was already used, before a password is typed, and offers a new one',
    site.step(async () => {
      const page = site.page;
      const resets: string[] = [];
      const sentReset = (r: PageRequest) => {
        if (new URL(r.url()).pathname === '/api/auth/password/reset') resets.push(r.url());
      };
      page.on('request', sentReset);
      await openUsedLink(page);
      // Nothing typed, nothing sent: the page knew from the link alone.
      await page.getByRole('alert').getByText(USED).waitFor();
      page.off('request', sentReset);
      expect(resets).toEqual([]);
      expect(await page.getByLabel('새 비밀번호').count()).toBe(0);
      await screenshotAtWidths(page, 'password-04-link-used');
      await page.getByRole('link', { name: '새 링크 요청하기' }).click();
      await page.waitForURL(`${WEB}/forgot-password`);
      await page.getByRole('button', { name: '링크 보내기' }).waitFor();
    }),
    60_000,
  );

  it(
    'gets the form when the link cannot be checked, and the reset itself says the link was used',
    site.step(async () => {
      const page = site.page;
      let checks = 0;
      await page.route(`**${CHECK_PATH}`, (route) => {
        checks++;
        return route.fulfill({ status: 503, contentType: 'text/plain', body: 'unavailable' });
      });
      try {
        await openUsedLink(page);
        await page.getByLabel('새 비밀번호').fill('another-new-password-3');
        expect(checks).toBeGreaterThan(0);
        await page.getByRole('button', { name: '비밀번호 변경하기' }).click();
        await page.getByRole('alert').getByText(USED).waitFor();
        expect(await page.getByLabel('새 비밀번호').count()).toBe(0);
      } finally {
        await page.unroute(`**${CHECK_PATH}`);
      }
    }),
    60_000,
  );
});

describe('an address no account has', () => {
  it(
    'gets the same answer on the forgot page, and no mail',
    site.step(async () => {
      const page = site.page;
      await page.goto('/forgot-password');
      await page.getByLabel('이메일').fill(NOBODY);
      expect(await askForLink(page)).toBe(202);
      const notice = page.getByRole('status').filter({ hasText: '스팸함' });
      await notice.waitFor();
      expect(await notice.innerText()).toBe(sent(NOBODY));
      await screenshotAtWidths(page, 'password-05-no-account');

      // An address that has an account, asked for after it: once its mail is here, one for NOBODY would be too.
      const control = await fetch(`${WEB}/api/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: OPERATOR.email }),
      });
      expect(control.status).toBe(202);
      await awaitMail(MAIL_INBOX, { to: OPERATOR.email, matches: RESET_LINK }, { timeoutMs: UI_TIMEOUT });
      expect(await listMail(MAIL_INBOX, { to: NOBODY })).toEqual([]);
      expect(site.blocked).toEqual([]);
    }),
    60_000,
  );
});
