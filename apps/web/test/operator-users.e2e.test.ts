import { PASSWORD_RESET_TTL_MINUTES, WEB_RESET_PASSWORD } from '@tiketi/contracts';
import { awaitMail, listMail } from '@tiketi/sandbox-mail/client';
import { describe, expect, it } from 'vitest';
import {
  apiJson,
  holdFirstFreeSeat,
  MAIL_INBOX,
  screenshotAtWidths,
  signInAsOperator,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * Support helping a fan, in a real browser against the whole platform, in Korean: a fan signs up and holds
 * a seat; the operator finds them on 회원 by a part of their address, opens their page and sees the
 * account, the held seat and the mails sent to it, then mails them a password reset link, which reaches
 * the fan's mailbox, and sends their welcome mail again when they say it never came.
 */

/** The demo seed's concert without a waiting room: Blue Square, sections A–C. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const stamp = Date.now();
const fan = {
  name: '최지원',
  email: `fan-support-${stamp}@example.com`,
  password: 'correct-horse-battery',
};
const RESET_LINK = /https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/;

const site = siteOnPlatform({
  label: 'web_operator_users',
});

const useKorean = () => site.page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));

describe('a fan who needs help', () => {
  it(
    'signs up, verifies the address and holds a seat',
    site.step(async () => {
      const page = site.page;
      await page.goto('/');
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
      await signUpVerified(page, fan);
      await useKorean();
      await holdFirstFreeSeat(page, OPEN_EVENT);
      await page.getByRole('button', { name: '로그아웃' }).click();
      await page.getByRole('link', { name: '로그인', exact: true }).waitFor();
    }),
    120_000,
  );
});

describe('the operator on 회원', () => {
  it(
    'finds the fan by a part of the email address',
    site.step(async () => {
      const page = site.page;
      await signInAsOperator(page, '/admin', { language: 'ko' });
      await page.getByRole('link', { name: '회원', exact: true }).click();
      await page.waitForURL(`${WEB}/admin/users`);
      await page.getByLabel('이메일 또는 이름').fill(`support-${stamp}`);
      await page.getByRole('button', { name: '검색' }).click();
      await page.waitForURL(`${WEB}/admin/users?query=support-${stamp}`);
      const rows = page.locator('table tbody tr');
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
      const row = rows.first();
      const cells = await row.locator('td').allInnerTexts();
      expect(cells.slice(0, 4)).toEqual([fan.name, fan.email, '팬', '인증됨']);
      await screenshotAtWidths(page, 'operator-users-01-search');

      const userId = await row.getAttribute('data-user-id');
      expect(userId).toMatch(/^[0-9a-f-]{36}$/);
      await row.getByRole('link', { name: fan.name }).click();
      await page.waitForURL(`${WEB}/admin/users/${userId}`);
    }),
    90_000,
  );

  it(
    'sees the account, the held seat, and the verification and welcome mails sent',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('heading', { name: fan.name, level: 1 }).waitFor();
      const profile = await page.getByTestId('profile').innerText();
      expect(profile).toContain(fan.email);
      expect(profile).toContain('인증됨');
      expect(profile).toMatch(/역할\s+팬/);

      const reservations = page.locator('section[aria-labelledby="reservations-title"] tbody tr');
      await expect.poll(() => reservations.count(), { timeout: UI_TIMEOUT }).toBe(1);
      expect(await reservations.first().locator('td').nth(4).innerText()).toBe('선점');
      await expect(reservations.first().getByRole('link').getAttribute('href')).resolves.toBe(
        `/admin/events/${OPEN_EVENT}/report`,
      );

      const mailStatus = (template: string) =>
        page.locator(`tr[data-template="${template}"]`).first().getByTestId('mail-status').innerText();
      await expect.poll(() => mailStatus('verify-email'), { timeout: UI_TIMEOUT }).toBe('보냄');
      await expect.poll(() => mailStatus('welcome'), { timeout: UI_TIMEOUT }).toBe('보냄');
      const verification = await page.locator('tr[data-template="verify-email"]').first().innerText();
      expect(verification).toContain('이메일 인증');
      expect(verification).toContain(fan.email);
      expect(await page.locator('tr[data-template="welcome"]').first().innerText()).toContain('가입 환영');
      await screenshotAtWidths(page, 'operator-users-02-detail');
    }),
    90_000,
  );

  it(
    'finds the same hold on 주문 by the concert, whose filter is named for the concert, not for an id',
    site.step(async () => {
      const page = site.page;
      const userId = new URL(page.url()).pathname.split('/').pop() ?? '';
      await page.getByRole('link', { name: '주문', exact: true }).click();
      await page.getByRole('tab', { name: '예약' }).click();
      const concert = page.locator('select[name="eventId"]');
      // The filter lists the concerts by title: its label names the concert, as the table's column does.
      await expect(
        page.locator('label', { has: concert }).evaluate((label) => label.firstChild?.textContent?.trim()),
      ).resolves.toBe('공연');
      const { title } = await apiJson<{ title: string }>(`/api/events/${OPEN_EVENT}`);
      await concert.selectOption({ label: title });
      await page.getByLabel('사용자 ID').fill(userId);
      await page.getByRole('button', { name: '검색' }).click();
      const rows = page.locator('table tbody tr');
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
      expect(await rows.first().locator('td').nth(4).innerText()).toBe('선점');
      await page.goto(`/admin/users/${userId}`);
      await page.getByRole('heading', { name: fan.name, level: 1 }).waitFor();
    }),
    60_000,
  );

  it(
    'mails the fan a password reset link, which reaches their mailbox',
    site.step(async () => {
      const page = site.page;
      const asked = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/password-reset'));
      await page.getByRole('button', { name: '비밀번호 재설정 링크 보내기' }).click();
      expect((await asked).status()).toBe(202);
      const notice = page.getByRole('status').filter({ hasText: '재설정 링크' });
      await notice.waitFor();
      expect(await notice.innerText()).toBe(
        `${fan.email} 주소로 비밀번호 재설정 링크를 보냈습니다. 링크는 ${PASSWORD_RESET_TTL_MINUTES}분 동안 유효합니다.`,
      );

      const { match } = await awaitMail(
        MAIL_INBOX,
        { to: fan.email, matches: RESET_LINK },
        { timeoutMs: UI_TIMEOUT },
      );
      const link = new URL(match[0]);
      expect(link.origin).toBe(WEB);
      expect(link.pathname).toBe(WEB_RESET_PASSWORD.path);

      // The page asks for the mails again on its own, and the new one shows up among them.
      const reset = page.locator('tr[data-template="password-reset"]').first();
      await expect
        .poll(() => reset.getByTestId('mail-status').innerText(), { timeout: UI_TIMEOUT })
        .toBe('보냄');
      expect(await reset.innerText()).toContain('비밀번호 재설정');
      await screenshotAtWidths(page, 'operator-users-03-reset-sent');

      // A second click within the minute sends nothing, and says so.
      await page.getByRole('button', { name: '비밀번호 재설정 링크 보내기' }).click();
      await page
        .getByText(/잠시 후|초 후/)
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      expect(site.blocked).toEqual([]);
    }),
    90_000,
  );
  it(
    'sends a mail again when the fan says it never came, and the copy shows among the mails',
    site.step(async () => {
      const page = site.page;
      // The fan signed up on the English site: the welcome, sent once the address was proved, is English.
      const welcomes = async () =>
        (await listMail(MAIL_INBOX, { to: fan.email })).filter(
          (m) => m.subject === '[Tiketi] Welcome to Tiketi',
        );
      expect(await welcomes()).toHaveLength(1);
      const first = page.locator('tr[data-template="welcome"]').last();
      // A mail with a one-time link is not sent again: the fan asks for a new link on the site.
      expect(
        await page
          .locator('tr[data-template="verify-email"]')
          .first()
          .getByRole('button', { name: '다시 보내기' })
          .count(),
      ).toBe(0);

      const asked = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/send-again'));
      await first.getByRole('button', { name: '다시 보내기' }).click();
      expect((await asked).status()).toBe(201);
      await page.getByText(`${fan.email} 주소로 다시 보냈습니다.`).waitFor();
      await expect.poll(() => welcomes(), { timeout: UI_TIMEOUT }).toHaveLength(2);

      // The list, asked again, holds the copy as a mail of its own, sent, newest first.
      const rows = page.locator('tr[data-template="welcome"]');
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(2);
      const copy = await rows.first().getByTestId('mail-status').innerText();
      expect(copy).toContain('보냄');
      expect(copy).toContain('요청에 따라 이전 메일을 다시 보낸 것입니다.');
      expect(await rows.first().getByRole('button', { name: '다시 보내기' }).count()).toBe(0);
      await screenshotAtWidths(page, 'operator-users-04-sent-again');
      expect(site.blocked).toEqual([]);
    }),
    90_000,
  );
});
