import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  onScreen,
  screenshotAtWidths,
  seoulInput,
  signInAsOperator,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * An operator whose browser runs on UTC, in a real browser against the whole platform: concert times are
 * typed and read in the concert's own zone (Seoul) and the form says so; venues are renamed, re-laid out
 * and deleted while no concert uses them, and one with concerts keeps its layout, saying why.
 */

const DAY = 86_400_000;
/** The demo seed's AKMU concert (on sale in two weeks), at Blue Square, which also holds NewJeans. */
const AKMU = '01936b2a-0000-7000-8000-000000000004';
const BLUE_SQUARE = 'Blue Square Mastercard Hall (Seoul)';
const stamp = Date.now();
const venue = { name: `Seorabeol Hall ${stamp}`, city: 'Gyeongju', id: '' };

const site = siteOnPlatform({
  label: 'web_operator_zone',
  timezoneId: 'UTC',
  prepare: async (page) => {
    await signInAsOperator(page, '/admin/events');
  },
});

type EventDetail = { startsAt: string; saleOpensAt: string; saleClosesAt: string };
type Venue = { id: string; name: string; seatCount: number; eventCount: number };

describe('an operator on a UTC browser editing a concert', () => {
  it(
    'reads and types the times in Seoul time, and the form says so',
    site.step(async () => {
      const page = site.page;
      expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('UTC');
      const token = await accessTokenOf(page);
      const before = await apiJson<EventDetail>(`/api/events/${AKMU}`, token);
      await page.goto(`/admin/events/${AKMU}`);
      const starts = page.getByLabel('Starts at');
      await expect.poll(() => starts.inputValue(), { timeout: UI_TIMEOUT }).toBe(seoulInput(before.startsAt));
      expect(await page.locator('label', { has: starts }).innerText()).toContain('(KST, Asia/Seoul)');
      expect(await page.getByLabel('Sale opens at').inputValue()).toBe(seoulInput(before.saleOpensAt));
      await screenshotAtWidths(page, 'operator-zone-01-event-form');

      // A sale that would close after the concert starts is refused, the field and why in the page's words.
      const closes = page.getByLabel('Sale closes at');
      const closing = await closes.inputValue();
      await closes.fill(seoulInput(new Date(Date.parse(before.startsAt) + 2 * DAY).toISOString()));
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page
        .getByRole('alert')
        .getByText('Please check what you entered: sale closing must be no later than the start time.')
        .waitFor();
      await closes.fill(closing);

      // One day later, at 19:30 in Seoul: 10:30 UTC, whatever this browser's zone.
      const day = seoulInput(new Date(Date.parse(before.startsAt) + DAY).toISOString()).slice(0, 10);
      await starts.fill(`${day}T19:30`);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.').waitFor();
      const after = await apiJson<EventDetail>(`/api/events/${AKMU}`, token);
      expect(after.startsAt).toBe(new Date(`${day}T10:30:00Z`).toISOString());
      // The fan's page shows the same wall time, in Seoul.
      await page.goto(`/events/${AKMU}`);
      expect(await page.locator('dl.facts dd').first().innerText()).toMatch(/19:30 KST$/);
    }),
    90_000,
  );
});

describe('an operator editing venues', () => {
  const editor = () => site.page.getByTestId('venue-editor');
  async function pick(label: string, search: string) {
    await site.page.goto('/admin/venues');
    await site.page.getByLabel('Find a venue').fill(search);
    await site.page.getByLabel('Venue', { exact: true }).selectOption({ label });
    await editor().waitFor();
  }

  it(
    'is told beside Create why a new venue is refused, keeps what was typed, and is told the venue made by name',
    site.step(async () => {
      const page = site.page;
      await page.goto('/admin/venues');
      const form = page.locator('form', { has: page.getByRole('button', { name: 'Create', exact: true }) });
      await form.getByLabel('Name', { exact: true }).fill(`Twin Hall ${stamp}`);
      await form.getByLabel('City').fill('Ulsan');
      for (let n = 0; n < 4; n++) await form.getByRole('button', { name: 'Add section' }).click();
      await form.getByLabel('Section', { exact: true }).nth(4).fill('A');
      await form.getByRole('button', { name: 'Create', exact: true }).click();

      // The button is below six sections: a refusal said at the top of the form would be out of sight.
      const refusal = form.getByRole('alert').filter({ hasText: 'section name is used twice' });
      await refusal.waitFor();
      await expect(onScreen(refusal)).resolves.toBe(true);
      await expect(form.getByLabel('Section', { exact: true }).count()).resolves.toBe(6);
      await expect(form.getByLabel('City').inputValue()).resolves.toBe('Ulsan');

      await form.getByLabel('Section', { exact: true }).nth(4).fill('E');
      await form.getByRole('button', { name: 'Create', exact: true }).click();
      const made = form.getByRole('status').filter({ hasText: `Venue created: Twin Hall ${stamp} (Ulsan).` });
      await made.waitFor();
      await expect(onScreen(made)).resolves.toBe(true);
      await expect(form.getByRole('alert').count()).resolves.toBe(0);
    }),
    90_000,
  );

  it(
    'renames a venue without concerts and replaces its seat layout',
    site.step(async () => {
      const token = await accessTokenOf(site.page);
      const res = await fetch(`${WEB}/api/venues`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          name: venue.name,
          city: venue.city,
          sections: [{ name: 'A', rows: [{ label: '1', seatCount: 10, tierKey: 'R' }] }],
        }),
      });
      expect(res.status).toBe(201);
      venue.id = ((await res.json()) as { id: string }).id;

      await pick(`${venue.name} (${venue.city})`, 'seorabeol');
      await editor().getByLabel('Name').fill(`${venue.name} II`);
      await editor().getByRole('button', { name: 'Save', exact: true }).click();
      await editor().getByText('Saved.').waitFor();
      await editor().getByLabel('Rows').fill('3');
      await editor().getByLabel('Seats per row').fill('12');
      await editor().getByRole('button', { name: 'Replace the seat layout' }).click();
      await editor().getByText('Seat layout replaced.').waitFor();
      const saved = await apiJson<Venue>(`/api/venues/${venue.id}`);
      expect(saved).toMatchObject({ name: `${venue.name} II`, seatCount: 36, eventCount: 0 });
      await screenshotAtWidths(site.page, 'operator-venues-01-editable');
    }),
    90_000,
  );

  it(
    'turns a section into a standing area sold by count, with entry numbers by draw',
    site.step(async () => {
      await editor().getByLabel('Kind').selectOption({ label: 'Standing' });
      expect(await editor().getByLabel('Rows').count()).toBe(0);
      await editor().getByLabel('Places').fill('250');
      await editor().getByLabel('Entry numbers').selectOption({ label: 'By draw among buyers' });
      await editor().getByText('Layout preview (250 standing places)').waitFor();
      // The notice of the first replacement is still on the page: wait for this one's answer instead.
      await Promise.all([
        site.page.waitForResponse(
          (r) => r.url().endsWith(`/api/venues/${venue.id}/layout`) && r.request().method() === 'PUT',
        ),
        editor().getByRole('button', { name: 'Replace the seat layout' }).click(),
      ]);
      await editor().getByText('Seat layout replaced.').waitFor();
      const saved = await apiJson<Venue & { sections: { standing: unknown }[] }>(`/api/venues/${venue.id}`);
      expect(saved.seatCount).toBe(250);
      expect(saved.sections).toEqual([
        expect.objectContaining({ name: 'A', standing: { capacity: 250, entryOrder: 'draw' } }),
      ]);
      // Read back, the form shows the area as it is.
      await pick(`${venue.name} II (${venue.city})`, 'seorabeol');
      expect(await editor().getByLabel('Places').inputValue()).toBe('250');
      expect(await editor().getByLabel('Entry numbers').inputValue()).toBe('draw');
      await screenshotAtWidths(site.page, 'operator-venues-02-standing');
    }),
    90_000,
  );

  it(
    'deletes a venue without concerts',
    site.step(async () => {
      const asked = new Promise<string>((resolve) =>
        site.page.once('dialog', (dialog) => {
          resolve(dialog.message());
          void dialog.accept();
        }),
      );
      await editor().getByRole('button', { name: 'Delete venue' }).click();
      // The question names the venue it is about.
      expect(await asked).toBe(`Delete the venue ${venue.name} II (${venue.city}) and its seat layout?`);
      await site.page.getByText('Venue deleted.').waitFor();
      const gone = await fetch(`${WEB}/api/venues/${venue.id}`);
      expect(gone.status).toBe(404);
    }),
    60_000,
  );

  it(
    'keeps the layout of a venue with concerts and says why, offering no delete',
    site.step(async () => {
      await pick(BLUE_SQUARE, 'blue square');
      await editor()
        .getByText(/This venue has (?:1 concert|(?!1 )\d+ concerts): its seat layout stays as it is/)
        .waitFor();
      expect(await editor().getByRole('button', { name: 'Replace the seat layout' }).count()).toBe(0);
      expect(await editor().getByRole('button', { name: 'Delete venue' }).count()).toBe(0);
      // Its layout is drawn as a plan, not as a sale: each section counts its seats, none "left".
      const captions = editor().locator('.seat-map figcaption');
      await captions.first().waitFor();
      const counted = [
        ...(await captions.allInnerTexts()),
        ...(await editor().locator('.seat-map-tools option').allInnerTexts()).slice(1),
      ];
      expect(counted.filter((text) => !/\b\d+ seats\)?$/.test(text) || text.includes('left'))).toEqual([]);
      await screenshotAtWidths(site.page, 'operator-venues-03-in-use');
    }),
    60_000,
  );
});
