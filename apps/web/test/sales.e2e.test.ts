import { readFileSync } from 'node:fs';
import type { AdminEventSales } from '@tiketi/contracts';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_SHIFT } from '../../../scripts/lib/isolated-platform.ts';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  holdFirstFreeSeat,
  holdsGivenBack,
  screenshotAtWidths,
  signInAsOperator,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
} from './browser.ts';

/*
 * Vouchers and the operator's sales report in a real browser against the whole platform, in Korean: the
 * operator makes a code, a fan uses it at checkout (a wrong code is refused with its own reason) and pays
 * the lower amount at Toss, and the operator reads the sale in the event's report and downloads its CSV.
 */

/** The demo seed's concert without a waiting room: Blue Square, at most 2 seats a person. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const TOSS_CHECKOUT = new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`);
const fan = {
  name: '박바우처',
  email: `fan-voucher-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
};
const paid: { amount?: number } = {};

const site = siteOnPlatform({ label: 'web_sales' });

const useKorean = () => site.page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
const amountShown = async () =>
  Number((await site.page.getByTestId('amount').innerText()).replace(/\D/g, ''));

describe('an operator making a voucher', () => {
  it(
    'makes a code of 5,000 won off for one use on the event’s voucher page',
    site.step(async () => {
      const page = site.page;
      await page.goto('/');
      await useKorean();
      await signInAsOperator(page, `/admin/events/${OPEN_EVENT}/vouchers`, { language: 'ko' });
      await page.getByLabel('코드').fill('fan5000');
      await page.getByLabel('할인 방식').selectOption('amount');
      await page.getByLabel('할인 값').fill('5000');
      await page.getByLabel('사용 가능 횟수').fill('1');
      await page.getByRole('button', { name: '만들기' }).click();
      await page.getByText('바우처를 만들었습니다: FAN5000').waitFor();
      const row = page.locator('tr[data-code="FAN5000"]');
      await expect
        .poll(() => row.getByTestId('voucher-used').innerText(), { timeout: UI_TIMEOUT })
        .toBe('0 / 1');
      expect(await row.innerText()).toContain('5,000원');
      // The column shows when a code may be used, from and until: it is named for both.
      expect(await page.getByRole('columnheader', { name: '사용 기간' }).count()).toBe(1);
      await screenshotAtWidths(page, 'sales-01-vouchers');
      await page.getByRole('button', { name: '로그아웃' }).click();
    }),
    120_000,
  );
});

describe('a fan using the voucher at checkout', () => {
  it(
    'refuses an unknown code in Korean, then takes the voucher off the amount',
    site.step(async () => {
      const page = site.page;
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
      await signUpVerified(page, fan);
      await useKorean();
      await holdFirstFreeSeat(page, OPEN_EVENT);
      const full = await amountShown();

      const field = page.getByLabel('바우처 코드');
      await field.fill('NOPE-123');
      await page.getByRole('button', { name: '적용' }).click();
      await expect
        .poll(() => page.getByRole('alert').innerText(), { timeout: UI_TIMEOUT })
        .toContain('이 공연에 없는 바우처 코드입니다.');
      await screenshotAtWidths(page, 'sales-02-voucher-refused');

      await field.fill('fan5000');
      await page.getByRole('button', { name: '적용' }).click();
      await page.getByText('바우처 FAN5000 적용: 5,000원 할인').waitFor();
      await expect.poll(amountShown, { timeout: UI_TIMEOUT }).toBe(full - 5000);
      expect(await page.getByTestId('discount').innerText()).toContain('−5,000원');
      expect(await page.getByRole('alert').count()).toBe(0);
      await screenshotAtWidths(page, 'sales-03-voucher-applied');
      paid.amount = full - 5000;
    }),
    150_000,
  );

  it(
    'pays the lower amount at Toss',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      const atToss = Number((await page.locator('#amount').innerText()).replace(/\D/g, ''));
      expect(atToss).toBe(paid.amount);
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('결제가 완료되었습니다').waitFor();
      await page.getByRole('button', { name: '로그아웃' }).click();
    }),
    90_000,
  );
});

describe('the operator’s sales report', () => {
  it(
    'shows the sale by tier and day, net revenue, holds, check-ins and the voucher used up',
    site.step(async () => {
      const page = site.page;
      await signInAsOperator(page, `/admin/events/${OPEN_EVENT}/report`, { language: 'ko' });
      await page.getByRole('heading', { name: /판매 리포트/ }).waitFor();
      const sold = page.getByTestId('tier-sold');
      await expect
        .poll(async () => (await sold.allInnerTexts()).reduce((sum, n) => sum + Number(n), 0), {
          timeout: UI_TIMEOUT,
        })
        .toBeGreaterThanOrEqual(1);
      // The page shows the figures the API composes, the fan's discounted payment among them.
      const sales = (await asOperator(
        'GET',
        `/api/admin/events/${OPEN_EVENT}/sales`,
      )) as unknown as AdminEventSales;
      const { revenue, report } = sales;
      if (!revenue || !report) throw new Error(`a part of the report is missing: ${sales.unavailable}`);
      expect(revenue.netAmount).toBe(revenue.grossAmount - revenue.refundedAmount);
      expect(revenue.grossAmount).toBeGreaterThanOrEqual(paid.amount ?? Number.NaN);
      expect(await page.getByTestId('revenue-net').innerText()).toBe(
        `${revenue.netAmount.toLocaleString('ko-KR')}원`,
      );
      expect(await sold.allInnerTexts()).toEqual(report.tiers.map((tier) => String(tier.sold)));
      expect(await page.getByTestId('holds').innerText()).toBe(
        `선점 ${report.holds.reservations}건, 좌석 ${report.holds.seats}석`,
      );
      expect(await page.getByTestId('check-ins').innerText()).toBe(
        `티켓 ${report.checkIns.tickets}장 중 ${report.checkIns.checkedIn}장`,
      );
      // Orders by the day they were paid, refunds not taken off: the heading says so, as the net figure
      // above it would otherwise seem contradicted after refunds.
      expect(await page.locator('#by-day').innerText()).toBe('일별 판매 (KST, 환불 전)');
      const days = page.locator('section[aria-labelledby="by-day"] tbody tr');
      expect(await days.count()).toBe(report.days.length);
      const today = report.days.find(
        (d) => d.day === new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10),
      );
      expect(today?.amount).toBeGreaterThanOrEqual(paid.amount ?? Number.NaN);
      const voucher = page.locator('section[aria-labelledby="voucher-uses"] tr', { hasText: 'FAN5000' });
      expect(await voucher.innerText()).toContain('1 / 1');
      await screenshotAtWidths(page, 'sales-04-report');
    }),
    90_000,
  );

  it(
    'downloads the orders as a CSV Excel opens in Korean, with the voucher on the fan’s order',
    site.step(async () => {
      const page = site.page;
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: '주문 내역 내려받기 (CSV)' }).click(),
      ]);
      // Named for the concert as the operator knows it: its title and its day in Seoul.
      const concert = await apiJson<{ title: string; startsAt: string }>(`/api/events/${OPEN_EVENT}`);
      const day = new Date(Date.parse(concert.startsAt) + 9 * 3_600_000).toISOString().slice(0, 10);
      expect(file.suggestedFilename()).toBe(`${concert.title} ${day} orders.csv`);
      const bytes = readFileSync(await file.path());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.toString('utf8').slice(1).split('\r\n');
      expect(lines[0]).toMatch(/^주문번호,예약번호,상태,/);
      const order = lines.find((line) => line.includes(fan.email));
      expect(order).toContain(`${fan.name},${fan.email}`);
      expect(order).toMatch(new RegExp(`,FAN5000,5000,${paid.amount},0,$`));

      const [attendees] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: '관객 명단 내려받기 (CSV)' }).click(),
      ]);
      expect(attendees.suggestedFilename()).toBe(`${concert.title} ${day} attendees.csv`);
      const text = readFileSync(await attendees.path()).toString('utf8');
      expect(text.slice(1).split('\r\n')[0]).toBe(
        '티켓번호,좌석,등급,상태,입장시각(KST),구매자,이메일,예약번호',
      );
      expect(text).toContain(fan.email);
    }),
    60_000,
  );
});

describe('the operator’s dashboard in Korean', () => {
  it(
    'reads the day’s revenue in won, and the revenue chart’s scale in 만, not in English K and M',
    site.step(async () => {
      const page = site.page;
      await page.goto('/admin');
      const revenue = page.getByTestId('kpi-revenue');
      await expect
        .poll(async () => Number((await revenue.innerText()).replace(/\D/g, '')), { timeout: UI_TIMEOUT })
        .toBeGreaterThanOrEqual(paid.amount ?? Number.NaN);
      expect(await revenue.innerText()).toMatch(/^[\d,]+원$/);
      // The daily chart's ticks: its days (12-07) along the bottom, its revenue up the side.
      const ticks = page.locator('section[aria-labelledby="daily"] .recharts-cartesian-axis-tick-value');
      const scale = async () => (await ticks.allTextContents()).filter((tick) => !/^\d\d-\d\d$/.test(tick));
      await expect.poll(async () => (await scale()).length, { timeout: UI_TIMEOUT }).toBeGreaterThan(1);
      expect((await scale()).some((tick) => tick.endsWith('만'))).toBe(true);
      expect((await scale()).filter((tick) => /[KMB]$/.test(tick))).toEqual([]);
      await screenshotAtWidths(page, 'sales-06-dashboard');
    }),
    60_000,
  );

  it(
    'says so when no concert is on sale, rather than show an empty table',
    site.step(async () => {
      const page = site.page;
      // The demo seed always has concerts on sale: the dashboard's own answer is passed on without them.
      await page.route('**/api/admin/dashboard', async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: { ...(await response.json()), onSale: [] } });
      });
      try {
        await page.goto('/admin');
        const onSale = page.locator('section[aria-labelledby="on-sale"]');
        await onSale.getByText('지금 판매 중인 공연이 없습니다.').waitFor({ timeout: UI_TIMEOUT });
        expect(await onSale.locator('tbody tr').count()).toBe(0);
      } finally {
        await page.unroute('**/api/admin/dashboard');
      }
    }),
    60_000,
  );
});

describe('an operator changing and disabling a voucher', () => {
  it(
    'gives the used-up code more uses, then disables it, on the voucher page',
    site.step(async () => {
      const page = site.page;
      await page.goto(`/admin/events/${OPEN_EVENT}/vouchers`);
      const row = page.locator('tr[data-code="FAN5000"]');
      await expect
        .poll(() => row.getByTestId('voucher-used').innerText(), { timeout: UI_TIMEOUT })
        .toBe('1 / 1');
      await row.getByRole('button', { name: '수정 FAN5000' }).click();
      const editor = page.getByTestId('voucher-editor');
      await editor.getByRole('heading', { name: '바우처 FAN5000 수정' }).waitFor();
      expect(await editor.getByLabel('할인 값').inputValue()).toBe('5000');
      await editor.getByLabel('사용 가능 횟수').fill('3');
      await editor.getByRole('button', { name: '저장' }).click();
      await page.getByText('바우처를 저장했습니다: FAN5000').waitFor();
      await expect
        .poll(() => row.getByTestId('voucher-used').innerText(), { timeout: UI_TIMEOUT })
        .toBe('1 / 3');
      expect(await row.getByTestId('voucher-state').innerText()).toBe('사용 중');

      await row.getByRole('button', { name: '사용 중지 FAN5000' }).click();
      await expect
        .poll(() => row.getByTestId('voucher-state').innerText(), { timeout: UI_TIMEOUT })
        .toBe('사용 중지');
      expect(await row.getByRole('button', { name: '다시 사용 FAN5000' }).isVisible()).toBe(true);
      const saved = (await asOperator('GET', `/api/admin/events/${OPEN_EVENT}/vouchers`)) as {
        items: { code: string; maxUses: number; active: boolean; value: number }[];
      };
      expect(saved.items.find((v) => v.code === 'FAN5000')).toMatchObject({
        maxUses: 3,
        value: 5000,
        active: false,
      });
      await screenshotAtWidths(page, 'sales-05-voucher-disabled');
    }),
    90_000,
  );
});

describe('an operator looking through more orders than one page shows', () => {
  it(
    'pages through a fan’s reservations, all of them, not only the latest fifty',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: '로그아웃' }).click();
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
      const busy = {
        name: '한주문',
        email: `fan-many-${Date.now()}@example.com`,
        password: 'correct-horse-battery',
      };
      await signUpVerified(page, busy);
      const token = await accessTokenOf(page);
      // Fifty-one holds given back: each is a reservation of its own, cancelled.
      await holdsGivenBack(token, OPEN_EVENT, 51);
      await page.getByRole('button', { name: 'Log out' }).click();
      await useKorean();
      await signInAsOperator(page, '/admin/sales', { language: 'ko' });
      await page.getByRole('tab', { name: '예약' }).click();
      await page.getByLabel('팬 (이메일 또는 사용자 ID)').fill(busy.email);
      await page.getByRole('button', { name: '검색' }).click();
      const rows = page.locator('tr[data-reservation-id]');
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(50);
      const pager = page.getByRole('navigation', { name: 'pagination' });
      expect(await pager.innerText()).toContain('2쪽 중 1쪽');
      const firstPage = await rows.evaluateAll((r) =>
        r.map((row) => row.getAttribute('data-reservation-id')),
      );
      await pager.getByRole('button', { name: '다음' }).click();
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
      const last = await rows.first().getAttribute('data-reservation-id');
      expect(firstPage).not.toContain(last);
      // A new search starts again from its first page.
      await page.getByRole('button', { name: '검색' }).click();
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(50);
    }),
    120_000,
  );
});
