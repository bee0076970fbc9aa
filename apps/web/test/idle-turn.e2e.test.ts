import type { QueueStatus } from '@tiketi/contracts';
import { describe, expect, it } from 'vitest';
import {
  apiJson,
  fanJoins,
  screenshot,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
  waitingRoomConcert,
} from './browser.ts';

/*
 * A fan let into a full room who closes the seat page without holding anything: their turn goes to the next
 * fan once they have been away past the idle limit, not when the admission lapses ten minutes later. While
 * the page is open it keeps the turn, and a fan who comes back is told the turn ended.
 */

const MINUTE = 60_000;
const IDLE_MS = 6000;

const site = siteOnPlatform({
  label: 'web_idle_turn',
  env: { RATE_LIMIT_AUTH: '1000', ADMITTED_IDLE_MS: String(IDLE_MS) },
});

describe('a fan let in who goes away from the seat page', () => {
  it(
    'keeps the turn while the page is open, gives it to the next fan once away too long, and says so on return',
    site.step(async () => {
      const page = site.page;
      await page.setViewportSize({ width: 1366, height: 900 });
      const now = Date.now();
      const eventId = await waitingRoomConcert({
        title: 'One at a time',
        opensInMs: -MINUTE,
        maxActiveShoppers: 1,
      });

      // This fan comes first and is let in at once; another waits behind for the only slot.
      await signUpVerified(page, {
        name: 'First Fan',
        email: `first-${now}@example.com`,
        password: 'correct-horse-battery',
      });
      await page.goto(`/events/${eventId}/queue`);
      await page.waitForURL(`${WEB}/events/${eventId}/seats`, { timeout: UI_TIMEOUT });
      const next = await fanJoins(eventId, 1);
      expect(next.status.state).toBe('waiting');
      const stateOfNext = async () =>
        (await apiJson<QueueStatus>(`/api/queue/${eventId}/status`, next.token)).state;

      // The page says how long the fan may be away.
      await expect
        .poll(() => page.getByTestId('idle-hint').innerText(), { timeout: UI_TIMEOUT })
        .toContain('more than 1 min');
      await screenshot(page, 'idle-turn-01-hint');
      // Twice the idle limit with the page open: the turn stays with this fan.
      await page.waitForTimeout(2 * IDLE_MS);
      expect(await stateOfNext()).toBe('waiting');

      // The fan goes elsewhere without holding anything: past the limit, the fan behind is let in.
      await page.goto(`/events/${eventId}`);
      await expect.poll(stateOfNext, { timeout: 4 * IDLE_MS }).toBe('admitted');

      // Back on the seat page, the fan is told the turn ended and cannot hold.
      await page.goto(`/events/${eventId}/seats`);
      await expect.poll(() => page.getByText('Your turn has ended').count(), { timeout: UI_TIMEOUT }).toBe(1);
      await expect(page.getByRole('link', { name: 'Enter the waiting room' }).count()).resolves.toBe(1);
      await screenshot(page, 'idle-turn-02-ended');
      expect(site.blocked).toEqual([]);
    }),
    120_000,
  );
});
