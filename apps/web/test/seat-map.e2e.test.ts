import { describe, expect, it } from 'vitest';
import { screenshot, screenshotAtWidths, siteOnPlatform, UI_TIMEOUT } from './browser.ts';

/*
 * The seat map of the demo's 1,200-seat concert (6 sections of 10 rows × 20 seats), in a real browser: on
 * a 390 px phone one section at a time, seats large enough to touch with their numbers on them and the
 * basket always in reach; from the keyboard one Tab stop for the whole map, the arrow keys inside.
 */

const BIG_EVENT = '01936b2a-0000-7000-8000-000000000001';
const site = siteOnPlatform({ label: 'web_seat_map' });

type Focused = { seat: string | null; x: number; y: number; checked: string | null };
const focused = () =>
  site.page.evaluate((): Focused => {
    const el = document.activeElement;
    return {
      seat: el?.getAttribute('data-seat-id') ?? null,
      x: Number(el?.getAttribute('x')),
      y: Number(el?.getAttribute('y')),
      checked: el?.getAttribute('aria-checked') ?? null,
    };
  });

describe('the seat map of a 1,200-seat concert', () => {
  it(
    'on a 390 px phone shows one section with seats large enough to touch, their numbers, and the basket in reach',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto('/');
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await page.goto(`/events/${BIG_EVENT}/seats`);

      const picker = page.getByLabel('구역', { exact: true });
      await picker.waitFor();
      expect(await picker.inputValue()).toBe('A');
      const seats = page.locator('rect[data-seat-id]');
      await expect.poll(() => seats.count(), { timeout: UI_TIMEOUT }).toBe(200);
      const box = await page.locator('rect[data-status="available"]').first().boundingBox();
      expect(box?.width ?? 0).toBeGreaterThanOrEqual(24);
      expect(box?.height ?? 0).toBeGreaterThanOrEqual(24);
      // Each seat's number is written on it, not only in a tooltip.
      const number = page.locator('text.seat-number').first();
      expect(await number.isVisible()).toBe(true);
      expect(await number.textContent()).toMatch(/^\d+$/);
      // And each row says which row it is, at its start: the numbers alone repeat from row to row.
      const rows = await page
        .locator('figure[data-section="A"] rect[data-seat-id]')
        .evaluateAll((all) => [
          ...new Set(all.map((rect) => (rect.getAttribute('data-label') ?? '').split('-').at(-2))),
        ]);
      const rowLabels = page.locator('figure[data-section="A"] text.row-label');
      expect(await rowLabels.allTextContents()).toEqual(rows);
      expect(await rowLabels.first().isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'seat-map-01-phone-section-390');

      await picker.selectOption('C');
      const seatC = page.locator('figure[data-section="C"] rect[data-status="available"]').nth(5);
      await seatC.scrollIntoViewIfNeeded();
      await seatC.click();
      expect(await seatC.getAttribute('aria-checked')).toBe('true');
      const label = (await seatC.getAttribute('data-label')) as string;
      // From the top of the page, and from the bottom, the basket is on the screen with the choice in it.
      for (const to of ['top', 'bottom'] as const) {
        await page.evaluate(
          (where) => window.scrollTo(0, where === 'top' ? 0 : document.body.scrollHeight),
          to,
        );
        const basket = page.locator('.basket');
        const where = await basket.boundingBox();
        expect(where, to).not.toBeNull();
        expect((where?.y ?? 0) + (where?.height ?? 0), to).toBeLessThanOrEqual(844);
        expect(where?.y ?? -1, to).toBeGreaterThanOrEqual(0);
        expect(await basket.innerText()).toContain(label);
      }
      await page.getByRole('button', { name: '확대' }).click();
      const zoomed = await page.locator('figure[data-section="C"] rect').first().boundingBox();
      expect(zoomed?.width ?? 0).toBeGreaterThan(box?.width ?? 0);
      await screenshot(page, 'seat-map-02-phone-basket-390');

      await picker.selectOption('');
      await expect.poll(() => seats.count(), { timeout: UI_TIMEOUT }).toBe(1200);
    }),
    120_000,
  );

  it(
    'is one Tab stop from the keyboard, with the arrow keys moving along a row and between rows',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.goto(`/events/${BIG_EVENT}/seats`);
      const picker = page.getByLabel('구역', { exact: true });
      await picker.waitFor();
      expect(await picker.inputValue()).toBe('');
      await expect.poll(() => page.locator('rect[data-seat-id]').count(), { timeout: UI_TIMEOUT }).toBe(1200);
      expect(await page.locator('rect[data-seat-id][tabindex="0"]').count()).toBe(1);

      await picker.focus();
      await page.keyboard.press('Tab');
      const first = await focused();
      expect(first.seat).not.toBeNull();
      await page.keyboard.press('ArrowRight');
      const right = await focused();
      expect(right.seat).not.toBe(first.seat);
      expect(right.y).toBe(first.y);
      expect(right.x).toBeGreaterThan(first.x);
      await page.keyboard.press('ArrowDown');
      const down = await focused();
      expect(down.y).toBeGreaterThan(right.y);
      expect(down.x).toBe(right.x);
      await page.keyboard.press('Space');
      expect((await focused()).checked).toBe('true');

      // One more Tab leaves the map; coming back lands on the seat where the fan was.
      await page.keyboard.press('Tab');
      expect((await focused()).seat).toBeNull();
      await page.keyboard.press('Shift+Tab');
      expect((await focused()).seat).toBe(down.seat);
      await screenshotAtWidths(page, 'seat-map-03-keyboard');
    }),
    120_000,
  );
});
