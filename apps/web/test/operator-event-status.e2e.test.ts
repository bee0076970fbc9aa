import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  operatorToken,
  screenshotAtWidths,
  seoulInput,
  signInAsOperator,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * A Korean operator in a real browser against the whole platform, on what a concert's status comes to:
 * a draft given times gone by is saved and told at once that it cannot be published so, and cancelling a
 * concert on sale says first what it will do and needs a reason for the fans; on a phone, the pages stay
 * within the screen.
 */

/** The demo seed's Jannabi and Blue Square (whose seats are of tiers R and S). */
const JANNABI = '01936b2a-0000-7000-8000-00000000a003';
const BLUE_SQUARE = '01936b2a-0000-7000-8000-00000000b002';
const SEOUL = 'Asia/Seoul';
const DAY = 86_400_000;
const stamp = Date.now();

type EventDetail = { id: string; status: string; startsAt: string; cancelReason: string | null };

/** A concert at Blue Square made through the API, on sale from an hour ago unless left a draft. */
async function concert(
  title: string,
  publish: boolean,
  prices = { R: 132_000, S: 110_000 },
): Promise<string> {
  const now = Date.now();
  const event = await asOperator('POST', '/api/events', {
    artistId: JANNABI,
    venueId: BLUE_SQUARE,
    title: `${title} ${stamp}`,
    startsAt: new Date(now + 30 * DAY).toISOString(),
    saleOpensAt: new Date(now - 3_600_000).toISOString(),
    saleClosesAt: new Date(now + 29 * DAY).toISOString(),
    perUserLimit: 2,
    priceTiers: [
      { key: 'R', name: 'R석', price: prices.R },
      { key: 'S', name: 'S석', price: prices.S },
    ],
  });
  const id = String(event.id);
  if (publish) await asOperator('POST', `/api/events/${id}/publish`, {});
  return id;
}

const site = siteOnPlatform({
  label: 'web_operator_status',
  timezoneId: SEOUL,
  prepare: async (page) => {
    await page.goto('/');
    await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
    await signInAsOperator(page, '/admin/events', { language: 'ko' });
  },
});

const eventOf = async (id: string) =>
  apiJson<EventDetail>(`/api/events/${id}`, await accessTokenOf(site.page));

describe('a Korean operator saving a draft with times gone by', () => {
  it(
    'is saved, and told beside 저장 which times have passed and that publishing waits for them to lie ahead',
    site.step(async () => {
      const page = site.page;
      const id = await concert('잔나비 — 지난 날짜', false);
      await page.goto(`/admin/events/${id}`);
      await page.getByRole('heading', { name: '공연 수정' }).waitFor();
      const startsAt = Date.now() - DAY;
      await page.getByLabel('공연 시작').fill(seoulInput(startsAt));
      await page.getByLabel('예매 시작').fill(seoulInput(startsAt - 3 * DAY));
      await page.getByLabel('예매 마감').fill(seoulInput(startsAt - DAY));
      await page.getByRole('button', { name: '저장', exact: true }).click();

      const warning = page
        .getByRole('alert')
        .filter({ hasText: '초안으로 저장했습니다. 이미 지난 시각이 있습니다: 공연 시작, 예매 마감.' });
      await warning.waitFor();
      await expect(warning.innerText()).resolves.toContain('앞으로의 시각으로 바꿔야 공개할 수 있습니다.');
      const saved = await eventOf(id);
      expect(saved.status).toBe('draft');
      expect(Date.parse(saved.startsAt)).toBe(Math.floor(startsAt / 60_000) * 60_000);
      await screenshotAtWidths(page, 'operator-status-01-draft-past');

      // Times ahead again: a plain save, with nothing to warn of.
      await page.getByLabel('공연 시작').fill(seoulInput(Date.now() + 30 * DAY));
      await page.getByLabel('예매 마감').fill(seoulInput(Date.now() + 29 * DAY));
      await page.getByRole('button', { name: '저장', exact: true }).click();
      await page.getByText('저장했습니다.').waitFor();
      await expect(page.getByRole('alert').count()).resolves.toBe(0);
    }),
    90_000,
  );
});

describe('the prices of a concert in the lists', () => {
  it(
    'read as one price when every tier costs the same, and as the lowest and highest otherwise',
    site.step(async () => {
      const page = site.page;
      const same = `잔나비 — 전석 동일가 ${stamp}`;
      const tiered = `잔나비 — 등급별 가격 ${stamp}`;
      await concert('잔나비 — 전석 동일가', true, { R: 99_000, S: 99_000 });
      await concert('잔나비 — 등급별 가격', true);

      await page.goto('/admin/events');
      const priceOf = (title: string) =>
        page.getByRole('row', { name: title }).locator('td').nth(3).innerText();
      await page.getByRole('row', { name: same }).waitFor();
      // Not "99,000원–99,000원".
      await expect(priceOf(same)).resolves.toBe('99,000원');
      await expect(priceOf(tiered)).resolves.toBe('110,000원–132,000원');

      // The fans' list says "from" only where there is more than one price.
      const card = (title: string) => page.locator('.event-card').filter({ hasText: title });
      await page.goto(`/?q=${encodeURIComponent(String(stamp))}`);
      await card(same).waitFor();
      await expect(card(same).innerText()).resolves.toContain('99,000원');
      await expect(card(same).innerText()).resolves.not.toContain('부터');
      await expect(card(tiered).innerText()).resolves.toContain('110,000원부터');
    }),
    90_000,
  );
});

describe('a Korean operator cancelling a concert on sale', () => {
  it(
    'is told first what cancelling does, may keep the concert, and cancels it only with a reason',
    site.step(async () => {
      const page = site.page;
      const id = await concert('잔나비 — 취소 공연', true);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(`/admin/events/${id}`);
      await page.getByText('상태: 예매 중').waitFor();
      await page.getByRole('button', { name: '공연 취소', exact: true }).click();

      const confirm = page.getByRole('group', { name: '공연 취소' });
      await confirm
        .getByText(
          '공연 취소는 되돌릴 수 없습니다. 결제된 주문은 모두 전액 환불되고, 구매자에게는 여기 적은 사유와 ' +
            '함께 환불 안내 메일이 발송됩니다. 진행 중인 선점과 대기 명단도 바로 종료됩니다.',
        )
        .waitFor();
      expect(dialogs).toEqual([]);
      // A window narrowed to a phone's width (or a tablet turned upright) keeps the card within the page.
      await page.setViewportSize({ width: 390, height: 844 });
      await expect
        .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
        .toBeLessThanOrEqual(390);
      await page.setViewportSize({ width: 1280, height: 900 });
      await screenshotAtWidths(page, 'operator-status-02-cancel-asks');
      await confirm.getByRole('button', { name: '취소하지 않기' }).click();
      await expect(confirm.count()).resolves.toBe(0);
      expect((await eventOf(id)).status).toBe('on_sale');

      // Asked again, the concert is cancelled only with a reason for the fans.
      await page.getByRole('button', { name: '공연 취소', exact: true }).click();
      await confirm.getByRole('button', { name: '공연 취소 및 전액 환불' }).click();
      expect((await eventOf(id)).status).toBe('on_sale');
      await confirm.getByLabel('취소 사유').fill('아티스트 건강 문제로 공연을 취소합니다.');
      await confirm.getByRole('button', { name: '공연 취소 및 전액 환불' }).click();
      await page.getByText('공연을 취소했습니다. 결제된 주문은 모두 환불 처리됩니다.').waitFor();
      await page.getByText('상태: 취소됨').waitFor();
      await expect
        .poll(async () => eventOf(id), { timeout: UI_TIMEOUT })
        .toMatchObject({ status: 'cancelled', cancelReason: '아티스트 건강 문제로 공연을 취소합니다.' });
      await expect(page.getByRole('button', { name: '공연 취소', exact: true }).count()).resolves.toBe(0);
      expect(dialogs).toEqual([]);
      await screenshotAtWidths(page, 'operator-status-03-cancelled');
    }),
    90_000,
  );
});

describe('a Korean operator on a phone', () => {
  it(
    'reads the concerts and the artists at 390 px without the page scrolling sideways',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const [path, shown] of [
          ['/admin/events', page.getByRole('link', { name: '새 공연' })],
          ['/admin/artists', page.getByLabel('이미지').first()],
        ] as const) {
          await page.goto(path);
          await shown.waitFor();
          expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(
            390,
          );
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    }),
    60_000,
  );
});

describe('a platform with more concerts than one page of the list', () => {
  it(
    'still lists the older concerts, in the events list and in the orders page’s concert filter',
    site.step(async () => {
      const page = site.page;
      const token = await operatorToken();
      // A hundred concerts a year away, drafts: every concert of the demo seed now starts before them.
      const later = Date.now() + 365 * DAY;
      for (let i = 0; i < 100; i += 1) {
        const res = await fetch(`${WEB}/api/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            artistId: JANNABI,
            venueId: BLUE_SQUARE,
            title: `잔나비 — 내년 ${i} ${stamp}`,
            startsAt: new Date(later + i * DAY).toISOString(),
            saleOpensAt: new Date(later - 30 * DAY).toISOString(),
            saleClosesAt: new Date(later - DAY).toISOString(),
            perUserLimit: 2,
            priceTiers: [
              { key: 'R', name: 'R석', price: 132_000 },
              { key: 'S', name: 'S석', price: 110_000 },
            ],
          }),
        });
        expect(res.status).toBe(201);
      }
      const total = (await apiJson<{ total: number }>('/api/events?pageSize=1', token)).total;
      expect(total).toBeGreaterThan(100);

      await page.goto('/admin/events');
      await page.getByRole('row', { name: `잔나비 — 내년 0 ${stamp}` }).waitFor();
      // The demo seed's concert, now past the first hundred by date.
      await page.getByRole('row', { name: 'NewJeans — Bunnies Camp' }).waitFor();
      await expect(page.locator('tbody tr').count()).resolves.toBe(total);

      await page.goto('/admin/sales');
      const filter = page.getByLabel('공연');
      await expect
        .poll(() => filter.locator('option').allTextContents(), { timeout: UI_TIMEOUT })
        .toContain('NewJeans — Bunnies Camp');
    }),
    180_000,
  );
});
