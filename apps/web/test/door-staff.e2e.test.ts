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
 * ticket and is told in Korean why a second try is refused and when the ticket first got in; on a phone
 * that reads QR codes, the camera checks the fan's other ticket in.
 */

/** The demo seed's concert without a waiting room: Blue Square. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const fan = { name: 'Door Fan', email: `fan-door-${Date.now()}@example.com`, password: 'correct-horse-door' };
const staff = {
  name: '입구 A',
  email: `staff-door-${Date.now()}@example.com`,
  password: 'door-staff-pass-1',
};
/** The fan's two tickets: one checked in by its typed code, the other by the camera. */
const bought: { code?: string; scanned?: { qr: string; seatLabel: string } } = {};

/** A time as the door page says it in Korean: Seoul time, the same whatever the browser's zone. */
const seoulTime = (iso: string) =>
  `${new Date(iso).toLocaleString('ko-KR', { timeZone: 'Asia/Seoul', dateStyle: 'medium', timeStyle: 'short' })} KST`;

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
      const free = page.locator('figure[data-section="B"] rect[data-status="available"]');
      await free.nth(0).click();
      await page.getByRole('heading', { name: /^Selected: 1 / }).waitFor();
      await free.nth(1).click();
      await page.getByRole('heading', { name: /^Selected: 2 / }).waitFor();
      await page.getByRole('button', { name: 'Hold these seats' }).click();
      await page.waitForURL(/\/checkout\//);
      await page.getByRole('button', { name: 'Pay with Toss' }).click();
      await page.waitForURL(new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`));
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByRole('link', { name: 'See my tickets' }).click();
      await page.waitForURL(`${WEB}/me/tickets`);
      await page.locator('img.qr').first().waitFor();

      const token = await accessTokenOf(page);
      const tickets = await apiJson<{ items: { id: string; code: string }[] }>('/api/tickets', token);
      expect(tickets.items).toHaveLength(2);
      bought.code = tickets.items[0]?.code;
      expect(bought.code).toMatch(/^[23456789A-Z]{10}$/);
      const printed = `${bought.code?.slice(0, 5)}-${bought.code?.slice(5)}`;
      expect(await page.locator('.ticket-code').allInnerTexts()).toContain(printed);
      bought.scanned = await apiJson<{ qr: string; seatLabel: string }>(
        `/api/tickets/${tickets.items[1]?.id}`,
        token,
      );

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

      const card = page.locator('li.card', { hasText: staff.email });
      const { title } = await apiJson<{ title: string }>(`/api/events/${OPEN_EVENT}`);
      const box = card.getByRole('checkbox', { name: new RegExp(title) });
      // Each concert reads as one line, its box before its title, and the card holds its account's
      // address, on a phone too.
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        const [boxAt, titleAt] = await box.evaluate((input, named) => {
          const text = [...(input.parentElement?.childNodes ?? [])].find((node) =>
            node.textContent?.includes(named),
          );
          const range = document.createRange();
          range.selectNodeContents(text ?? input);
          return [input.getBoundingClientRect().toJSON(), range.getBoundingClientRect().toJSON()];
        }, title);
        expect(titleAt.left, `at ${width} px`).toBeGreaterThan(boxAt.right);
        expect(titleAt.top, `at ${width} px`).toBeLessThan(boxAt.bottom);
        const [cardAt, addressAt] = await Promise.all([
          card.boundingBox(),
          card.getByRole('heading').locator('.muted').boundingBox(),
        ]);
        expect((addressAt?.x ?? 0) + (addressAt?.width ?? 0), `at ${width} px`).toBeLessThanOrEqual(
          (cardAt?.x ?? 0) + (cardAt?.width ?? 0),
        );
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await box.check();
      await card.getByRole('button', { name: 'Save assignments' }).click();
      await card.getByText('Assignments saved.').waitFor();
      await screenshotAtWidths(page, 'door-02-staff-admin');
    }),
    90_000,
  );

  it(
    'says the concerts could not be read, with a retry, while the event service is down',
    site.step(async () => {
      const page = site.page;
      const card = page.locator('li.card', { hasText: staff.email });
      const { title } = await apiJson<{ title: string }>(`/api/events/${OPEN_EVENT}`);
      const found = await apiJson<{ items: { id: string }[] }>(
        `/api/admin/users?query=${encodeURIComponent(fan.email)}`,
        await accessTokenOf(page),
      );
      const fanId = found.items[0]?.id;
      await site.platform.platform.kill('event');
      try {
        // The door's list of concerts, for an operator every concert, is not shown as empty.
        await page.goto('/admin/check-in');
        await page
          .getByRole('alert')
          .getByRole('button', { name: 'Try again' })
          .waitFor({ timeout: UI_TIMEOUT });
        // Nor is the orders page's concert filter, which would offer only "All".
        await page.goto('/admin/sales');
        await page
          .getByRole('alert')
          .getByRole('button', { name: 'Try again' })
          .waitFor({ timeout: UI_TIMEOUT });
        // A fan's history still lists the orders, and says why they name concerts by id.
        await page.goto(`/admin/users/${fanId}`);
        const orders = page.locator('section', { has: page.locator('#reservations-title') });
        await orders.locator('tr[data-reservation-id]').first().waitFor({ timeout: UI_TIMEOUT });
        expect(await orders.locator('tr[data-reservation-id]').first().innerText()).toContain(OPEN_EVENT);
        const names = page.getByRole('alert').filter({ hasText: 'concert names' });
        await names.getByRole('button', { name: 'Try again' }).waitFor({ timeout: UI_TIMEOUT });
        // The concerts a staff account can be given are not shown as none either.
        await page.goto('/admin/staff');
        await card
          .getByRole('alert')
          .getByRole('button', { name: 'Try again' })
          .waitFor({ timeout: UI_TIMEOUT });
        expect(await card.getByRole('checkbox').count()).toBe(0);
      } finally {
        await site.platform.platform.restart('event');
      }
      await card.getByRole('button', { name: 'Try again' }).click();
      const box = card.getByRole('checkbox', { name: new RegExp(title) });
      await box.waitFor({ timeout: UI_TIMEOUT });
      expect(await box.isChecked()).toBe(true);
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

      // This browser has no QR scanner: the page says so and takes the typed code.
      await page.getByText('이 브라우저는 QR을 스캔할 수 없습니다. 코드를 입력해 주세요.').waitFor();
      const typed = `${bought.code?.slice(0, 5).toLowerCase()} ${bought.code?.slice(5)}`;
      await page.getByLabel('QR 또는 티켓 코드').fill(typed);
      const [first] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/tickets/check-in') && r.status() === 200),
        page.getByRole('button', { name: '입장 처리' }).click(),
      ]);
      const { usedAt } = (await first.json()) as { usedAt: string };
      await page.getByTestId('checkin-ok').waitFor();
      expect(await page.getByTestId('checkin-ok').innerText()).toMatch(/^입장 완료: 좌석 B-/);
      await screenshotAtWidths(page, 'door-03-staff-checked-in');

      await page.getByLabel('QR 또는 티켓 코드').fill(bought.code ?? '');
      await page.getByRole('button', { name: '입장 처리' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: UI_TIMEOUT })
        .toContain(`이미 ${seoulTime(usedAt)}에 입장 처리된 티켓입니다.`);
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

  it(
    'checks the other ticket in with the phone camera where the browser can read QR codes',
    site.step(async () => {
      const page = site.page;
      // Headless Chromium on Linux has neither a camera nor BarcodeDetector (phones' Chromium has both):
      // the page gets a blank camera stream and a detector that reads the ticket's QR from it.
      await page.addInitScript((qr: string) => {
        (window as unknown as { BarcodeDetector: unknown }).BarcodeDetector = class {
          async detect(source: HTMLVideoElement) {
            return source.srcObject ? [{ rawValue: qr }] : [];
          }
        };
        navigator.mediaDevices.getUserMedia = async () => {
          const canvas = document.createElement('canvas');
          canvas.getContext('2d')?.fillRect(0, 0, 8, 8);
          return canvas.captureStream(5);
        };
      }, bought.scanned?.qr ?? '');
      await page.reload();
      await page.getByRole('button', { name: '카메라로 스캔' }).click();
      await page.getByTestId('checkin-ok').waitFor();
      expect(await page.getByTestId('checkin-ok').innerText()).toMatch(
        new RegExp(`^입장 완료: 좌석 ${bought.scanned?.seatLabel} `),
      );
      // The camera is off again, ready for the next scan.
      expect(await page.locator('video.scanner').count()).toBe(0);
      await page.getByRole('button', { name: '카메라로 스캔' }).waitFor();
      expect(site.blocked).toEqual([]);
    }),
    90_000,
  );
});
