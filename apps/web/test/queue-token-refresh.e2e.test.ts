import { describe, expect, it } from 'vitest';
import { fanJoins, siteOnPlatform, UI_TIMEOUT, untilAdmitted, WEB, waitingRoomConcert } from './browser.ts';

/*
 * The waiting room's socket closes when the access token it was opened with expires (a token lives
 * minutes, a wait may last hours). The page must then refresh its token and open the socket again by
 * itself, so the fan stays live, not left on the five-second poll under "Reconnecting…".
 */

const TOKEN_SECONDS = 8;
const site = siteOnPlatform({
  label: 'web_queue_token',
  env: { ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_SECONDS), RATE_LIMIT_AUTH: '1000' },
});

describe('a fan waiting longer than their access token lives', () => {
  it(
    'stays live: the page refreshes the token and opens the socket again when the server closes it',
    site.step(async () => {
      const page = site.page;
      const eventId = await waitingRoomConcert({
        title: 'Long wait',
        opensInMs: -60_000,
        maxActiveShoppers: 1,
      });
      const first = await fanJoins(eventId, 0);
      await untilAdmitted(eventId, first.token);

      const sockets: string[] = [];
      page.on('websocket', (ws) => {
        if (new URL(ws.url()).pathname.startsWith('/queue/')) sockets.push(ws.url());
      });
      await page.goto('/register');
      await page.getByLabel('Name').fill('Patient Fan');
      await page.getByLabel('Email').fill(`patient-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill('correct-horse-battery');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${WEB}/`);
      await page.goto(`/events/${eventId}/queue`);
      await expect
        .poll(() => page.getByTestId('queue-position').innerText(), { timeout: UI_TIMEOUT })
        .toBe('1');
      const live = page.getByRole('status').filter({ hasText: /^(Live|Reconnecting…)$/ });
      await expect.poll(() => live.innerText(), { timeout: UI_TIMEOUT }).toBe('Live');
      const opened = sockets.length;

      // Past the token's life and the server's check: the socket was closed, and opened again.
      await expect
        .poll(() => sockets.length, { timeout: (TOKEN_SECONDS + 20) * 1000 })
        .toBeGreaterThan(opened);
      await expect.poll(() => live.innerText(), { timeout: UI_TIMEOUT }).toBe('Live');
      expect(await page.getByTestId('queue-position').innerText()).toBe('1');
    }),
    180_000,
  );
});
