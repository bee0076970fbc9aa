import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_SHIFT } from '../../../scripts/lib/isolated-platform.ts';
import {
  accessTokenOf,
  apiJson,
  OPERATOR,
  screenshotAtWidths,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * The ticket a fan carries and the staff at the door, in a real browser against the whole platform: the
 * fan downloads the ticket's PDF from "my tickets"; an operator creates a door-staff account and assigns
 * it a concert; the staff member, on a phone without a camera scanner, types the short code printed on the
 * ticket and is told in Korean why a second try is refused and when the ticket first got in.
 */

/** The demo seed's concert without a waiting room: Blue Square. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const fan = { name: 'Door Fan', email: `fan-door-${Date.now()}@example.com`, password: 'correct-horse-door' };
const staff = {
  name: '입구 A',
  email: `staff-door-${Date.now()}@example.com`,
  password: 'door-staff-pass-1',
};
const bought: { code?: string } = {};

const site = siteOnPlatform({
  label: 'web_door',
  // The demo concerts are weeks away; the doors are open here so the check-in can be shown.
  env: { CHECK_IN_OPENS_MINUTES_BEFORE: String(366 * 24 * 60) },
});

async function logIn(
  account: { email: string; password: string },
  next: string,
  labels = ['Email', 'Password', 'Log in'],
) {
  const page = site.page;
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel(labels[0] as string).fill(account.email);
  await page.getByLabel(labels[1] as string).fill(account.password);
  await page.getByRole('button', { name: labels[2] as string }).click();
  await page.waitForURL(`${WEB}${next}`);
}

async function logOut(labels = ['Log out', 'Log in']) {
  await site.page.getByRole('button', { name: labels[0] }).click();
  await site.page.getByRole('link', { name: labels[1], exact: true }).waitFor();
}

describe('a ticket to carry', () => {
  it(
    'lets the fan download the ticket as a PDF with its short code from "my tickets"',
    site.step(async () => {
      const page = site.page;
      await signUpVerified(page, fan);

      await page.goto(`/events/${OPEN_EVENT}/seats`);
      await page.locator('figure[data-section="B"] rect[data-status="available"]').first().click();
      await page.getByRole('button', { name: 'Hold these seats' }).click();
      await page.waitForURL(/\/checkout\//);
      await page.getByRole('button', { name: 'Pay with Toss' }).click();
      await page.waitForURL(new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`));
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByRole('link', { name: 'See my tickets' }).click();
      await page.waitForURL(`${WEB}/me/tickets`);
      await page.locator('img.qr').waitFor();

      const tickets = await apiJson<{ items: { code: string }[] }>('/api/tickets', await accessTokenOf(page));
      bought.code = tickets.items[0]?.code;
      expect(bought.code).toMatch(/^[23456789A-Z]{10}$/);
      const printed = `${bought.code?.slice(0, 5)}-${bought.code?.slice(5)}`;
      expect(await page.locator('.ticket-code').first().innerText()).toBe(printed);

      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('ticket-pdf').first().click(),
      ]);
      expect(file.suggestedFilename()).toBe(`tiketi-${bought.code}.pdf`);
      const bytes = await readFile((await file.path()) as string);
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      await screenshotAtWidths(page, 'door-01-my-tickets-pdf');
    }),
    120_000,
  );
});

describe('door staff', () => {
  it(
    'is created by an operator and assigned the concert',
    site.step(async () => {
      const page = site.page;
      await logOut();
      await logIn(OPERATOR, '/admin');
      await page.getByRole('link', { name: 'Door staff' }).click();
      await page.waitForURL(`${WEB}/admin/staff`);
      await page.getByLabel('Email').fill(staff.email);
      await page.getByLabel('Name').fill(staff.name);
      await page.getByLabel('Password (at least 8 characters)').fill(staff.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText(`Account created: ${staff.email}`).waitFor();

      const card = page.locator('.card', { hasText: staff.email });
      const { title } = await apiJson<{ title: string }>(`/api/events/${OPEN_EVENT}`);
      await card.getByRole('checkbox', { name: new RegExp(title) }).check();
      await card.getByRole('button', { name: 'Save assignments' }).click();
      await card.getByText('Assignments saved.').waitFor();
      await screenshotAtWidths(page, 'door-02-staff-admin');
    }),
    90_000,
  );

  it(
    'checks the ticket in by its typed code, and is told in Korean why the second try is refused',
    site.step(async () => {
      const page = site.page;
      await logOut();
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await page.setViewportSize({ width: 390, height: 844 });
      await logIn(staff, '/admin/check-in', ['이메일', '비밀번호', '로그인']);
      // Staff see the door and nothing else of the operator's side.
      expect(await page.getByRole('link', { name: '대시보드' }).count()).toBe(0);
      await page.goto('/admin/events');
      await page.waitForURL(`${WEB}/admin/check-in`);
      // One assigned concert: already chosen.
      await expect.poll(() => page.locator('select[name="eventId"]').inputValue()).toBe(OPEN_EVENT);

      const typed = `${bought.code?.slice(0, 5).toLowerCase()} ${bought.code?.slice(5)}`;
      await page.getByLabel('QR 또는 티켓 코드').fill(typed);
      await page.getByRole('button', { name: '입장 처리' }).click();
      await page.getByTestId('checkin-ok').waitFor();
      expect(await page.getByTestId('checkin-ok').innerText()).toMatch(/^입장 완료: 좌석 B-/);
      await screenshotAtWidths(page, 'door-03-staff-checked-in');

      await page.getByLabel('QR 또는 티켓 코드').fill(bought.code ?? '');
      await page.getByRole('button', { name: '입장 처리' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toMatch(/이미 .+에 입장 처리된 티켓입니다\./);
      await screenshotAtWidths(page, 'door-04-staff-already-used');

      await page.getByLabel('QR 또는 티켓 코드').fill('ZZZZZ-ZZZZZ');
      await page.getByRole('button', { name: '입장 처리' }).click();
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain('이 공연에 해당 코드의 티켓이 없습니다.');
      expect(site.blocked).toEqual([]);
    }),
    90_000,
  );
});
