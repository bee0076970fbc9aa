import { encodePng } from '@tiketi/kit/testing';
import { describe, expect, it } from 'vitest';
import {
  accessTokenOf,
  apiJson,
  onScreen,
  screenshot,
  signInAsOperator,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * The operator's catalogue work in a real browser against the whole platform: creating a concert at a
 * venue that has none yet, editing it, uploading its poster and an artist's photo, and publishing it so
 * fans find it.
 */

/** One of the demo seed's venues, all of them in Seoul. */
const BLUE_SQUARE = 'Blue Square Mastercard Hall (Seoul)';
const JANNABI = '01936b2a-0000-7000-8000-00000000a003';
const SEOUL = 'Asia/Seoul';
const DAY = 86_400_000;

type ImageRef = { mediaId: string; urls: Record<'thumb' | 'small' | 'medium' | 'large', string> };
type EventDetail = {
  id: string;
  title: string;
  status: string;
  startsAt: string;
  saleOpensAt: string;
  perUserLimit: number;
  artist: { id: string };
  venue: { id: string };
  priceTiers: { key: string; name: string; price: number }[];
  poster: ImageRef | null;
};

const stamp = Date.now();
const title = `Jannabi — Night Flight ${stamp}`;
const created: { id?: string; posterSrc?: string } = {};
/** A venue of this run only, in a city the seed has none in; its seats are priced as tiers R and S. */
const newVenue = { name: `Hwarang Hall ${stamp}`, city: 'Gyeongju', id: '' };
const newVenueLabel = `${newVenue.name} (${newVenue.city})`;

/** A whole minute in Seoul, as an operator there types it into a `datetime-local` field. */
function seoulMinute(offsetMs: number): { input: string; iso: string } {
  const at = new Date(Math.floor((Date.now() + offsetMs) / 60_000) * 60_000);
  const input = at.toLocaleString('sv-SE', { timeZone: SEOUL }).replace(' ', 'T').slice(0, 16);
  return { input, iso: at.toISOString() };
}

const startsAt = seoulMinute(20 * DAY);
const saleOpensAt = seoulMinute(-60 * 60_000);
const saleClosesAt = seoulMinute(19 * DAY);

/** A PNG drawn here, so the upload goes through the media service's real decoding and resizing. */
function pngImage(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], row + 1 + x * 3);
  }
  return encodePng({ width, height, bitDepth: 8, colorType: 2, rows });
}

/** What the browser shows under `/media` must be an image the media service made, not an error page. */
async function expectServedImage(src: string): Promise<void> {
  const res = await fetch(new URL(src, WEB));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^image\//);
  expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
}

const site = siteOnPlatform({
  label: 'web_operator',
  timezoneId: SEOUL,
  prepare: async (page) => {
    await signInAsOperator(page, '/admin/events');
  },
});
/** What the operator's Venues page sends, posted straight to the API. */
async function createVenue(token: string): Promise<string> {
  const res = await fetch(`${WEB}/api/venues`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: newVenue.name,
      city: newVenue.city,
      address: '1 Hwarang-ro',
      sections: [
        { name: 'A', rows: [{ label: '1', seatCount: 10, tierKey: 'R' }] },
        { name: 'B', rows: [{ label: '1', seatCount: 10, tierKey: 'S' }] },
      ],
    }),
  });
  if (res.status !== 201) throw new Error(`POST /api/venues: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

const venueSearch = () => site.page.getByLabel('Find a venue');
const venueSelect = () => site.page.getByLabel('Venue', { exact: true });
/** The venues the event form offers, after the "none" choice. */
const offeredVenues = async () => (await venueSelect().locator('option').allTextContents()).slice(1);

const adminEvent = async () =>
  apiJson<EventDetail>(`/api/events/${created.id}`, await accessTokenOf(site.page));

describe('an operator managing a concert', () => {
  it(
    'finds a venue that has no concert yet by its city or name, and keeps it picked while searching on',
    site.step(async () => {
      newVenue.id = await createVenue(await accessTokenOf(site.page));
      await site.page.getByRole('link', { name: 'New event' }).click();
      await site.page.waitForURL(`${WEB}/admin/events/new`);

      await venueSearch().fill(newVenue.city.toLowerCase());
      await expect.poll(offeredVenues).toEqual([newVenueLabel]);
      await venueSearch().fill('seoul');
      await expect.poll(offeredVenues).toContain(BLUE_SQUARE);
      expect(await offeredVenues()).not.toContain(newVenueLabel);

      await venueSearch().fill('hwarang');
      await expect.poll(offeredVenues).toEqual([newVenueLabel]);
      await venueSelect().selectOption({ label: newVenueLabel });
      await expect(venueSelect().inputValue()).resolves.toBe(newVenue.id);
      // The event prices the tiers the venue's seats use, and those only: they are offered as it is picked.
      const tierKeys = () =>
        site.page
          .getByLabel('Tier key')
          .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
      await expect.poll(tierKeys).toEqual(['R', 'S']);

      // A search that leaves the picked venue out must not unpick it behind the operator's back.
      await venueSearch().fill('no such venue anywhere');
      await site.page.getByText('No venue matches.').waitFor();
      await expect(venueSelect().inputValue()).resolves.toBe(newVenue.id);
      expect(await offeredVenues()).toEqual([newVenueLabel]);
    }),
    60_000,
  );

  it(
    'is told beside the Create button why a sale closing before it opens is refused, and keeps what was typed',
    site.step(async () => {
      await site.page.getByLabel('Title').fill(title);
      await site.page.getByLabel('Starts at').fill(startsAt.input);
      await site.page.getByLabel('Sale opens at').fill(saleClosesAt.input);
      await site.page.getByLabel('Sale closes at').fill(saleOpensAt.input);
      await site.page.getByLabel('Price (KRW)').first().fill('132000');
      await site.page.getByLabel('Price (KRW)').nth(1).fill('99000');
      await site.page.getByRole('button', { name: 'Create' }).click();

      // The button is at the end of a long form: a refusal said at its top would be out of sight.
      const refusal = site.page.getByRole('alert').filter({ hasText: 'sale closing must be after' });
      await refusal.waitFor();
      await expect(onScreen(refusal)).resolves.toBe(true);
      expect(site.page.url()).toBe(`${WEB}/admin/events/new`);
      await expect(site.page.getByLabel('Title').inputValue()).resolves.toBe(title);
      await expect(venueSelect().inputValue()).resolves.toBe(newVenue.id);
    }),
    60_000,
  );

  it(
    'creates a draft concert that fans cannot see yet',
    site.step(async () => {
      await site.page.getByLabel('Title').fill(title);
      await site.page.getByLabel('Artist').selectOption({ label: 'Jannabi' });
      await site.page.getByLabel('Starts at').fill(startsAt.input);
      await site.page.getByLabel('Sale opens at').fill(saleOpensAt.input);
      await site.page.getByLabel('Sale closes at').fill(saleClosesAt.input);
      await site.page.getByLabel('Tickets per person').fill('2');
      await site.page.getByLabel('Tier name').first().fill('R석');
      await site.page.getByLabel('Price (KRW)').first().fill('132000');
      await site.page.getByLabel('Tier name').nth(1).fill('S석');
      await site.page.getByLabel('Price (KRW)').nth(1).fill('99000');
      await screenshot(site.page, 'operator-01-new-event');
      // From the keyboard: a mouse press right after the full-page screenshot above is lost, because Chromium
      // scrolls the page by 84 px between the press and the release (the price field's blur changes no
      // element). Without that screenshot, or on a page scrolled to its end by itself, a click submits.
      await site.page.getByRole('button', { name: 'Create' }).press('Enter');

      await site.page.waitForURL(/\/admin\/events\/[0-9a-f-]{36}$/);
      created.id = new URL(site.page.url()).pathname.split('/').pop();
      await site.page.getByText('Saved.').waitFor();
      await site.page.getByText('Status: Draft').waitFor();

      const event = await adminEvent();
      expect(event).toMatchObject({
        title,
        status: 'draft',
        perUserLimit: 2,
        artist: { id: JANNABI },
        venue: { id: newVenue.id },
      });
      expect(Date.parse(event.startsAt)).toBe(Date.parse(startsAt.iso));
      expect(Date.parse(event.saleOpensAt)).toBe(Date.parse(saleOpensAt.iso));
      expect(event.priceTiers.map(({ key, name, price }) => ({ key, name, price }))).toEqual([
        { key: 'R', name: 'R석', price: 132_000 },
        { key: 'S', name: 'S석', price: 99_000 },
      ]);
      const listed = await apiJson<{ items: { id: string }[] }>(`/api/events?q=${encodeURIComponent(title)}`);
      expect(listed.items.map((e) => e.id)).not.toContain(created.id);
    }),
    60_000,
  );

  it(
    'edits the draft after a reload without changing what it did not touch',
    site.step(async () => {
      // A fresh load fills the form before the artist list arrives; the saved artist must still show.
      await site.page.reload();
      await site.page.getByRole('heading', { name: 'Edit event' }).waitFor();
      await expect(site.page.getByText('Saved.').isVisible()).resolves.toBe(false);
      await expect.poll(() => site.page.getByLabel('Artist').inputValue()).toBe(JANNABI);
      await expect(venueSelect().inputValue()).resolves.toBe(newVenue.id);
      await expect(venueSelect().locator('option:checked').textContent()).resolves.toBe(newVenueLabel);
      await site.page.getByLabel('Title').fill(`${title} (encore)`);
      await site.page.getByLabel('Tickets per person').fill('3');
      await site.page.getByRole('button', { name: 'Save' }).click();
      await site.page.getByText('Saved.').waitFor();

      const event = await adminEvent();
      expect(event).toMatchObject({
        title: `${title} (encore)`,
        perUserLimit: 3,
        artist: { id: JANNABI },
        venue: { id: newVenue.id },
      });
      expect(Date.parse(event.startsAt)).toBe(Date.parse(startsAt.iso));
      expect(event.priceTiers.map((t) => t.price)).toEqual([132_000, 99_000]);
    }),
    60_000,
  );

  it(
    'is told why a file that is not an image makes no poster, not what an earlier save was refused for',
    site.step(async () => {
      await site.page.getByLabel('Sale closes at').fill(saleOpensAt.input);
      await site.page.getByRole('button', { name: 'Save' }).click();
      const refusedSave = site.page.getByRole('alert').filter({ hasText: 'sale closing must be after' });
      await refusedSave.waitFor();

      await site.page
        .getByLabel('Poster')
        .setInputFiles({ name: 'seating.txt', mimeType: 'text/plain', buffer: Buffer.from('row A, row B') });
      await site.page.getByRole('alert').filter({ hasText: 'This kind of file is not supported.' }).waitFor();
      await expect(refusedSave.count()).resolves.toBe(0);
      expect((await adminEvent()).poster).toBeNull();
      await site.page.reload();
      await site.page.getByRole('heading', { name: 'Edit event' }).waitFor();
    }),
    60_000,
  );

  it(
    'uploads a poster that is served under /media and attached to the concert',
    site.step(async () => {
      await site.page
        .getByLabel('Poster')
        .setInputFiles({ name: 'poster.png', mimeType: 'image/png', buffer: pngImage(600, 800) });
      const poster = site.page.locator('section.card img.poster');
      await poster.waitFor();
      created.posterSrc = (await poster.getAttribute('src')) ?? undefined;
      expect(new URL(created.posterSrc ?? '', WEB).pathname).toMatch(/^\/media\//);
      await expectServedImage(created.posterSrc ?? '');
      await expect
        .poll(() => poster.evaluate((img: HTMLImageElement) => img.naturalWidth))
        .toBeGreaterThan(0);

      const event = await adminEvent();
      expect(event.poster?.mediaId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.values(event.poster?.urls ?? {})).toContain(created.posterSrc);
      await screenshot(site.page, 'operator-02-poster');
    }),
    60_000,
  );

  it(
    'publishes the concert, which fans then find in the public list with its poster',
    site.step(async () => {
      await site.page.getByRole('button', { name: 'Publish' }).click();
      await site.page.getByText('Status: On sale').waitFor();
      // Once published, artist, venue and prices are what fans bought against: the form locks them.
      await expect(site.page.getByLabel('Artist').isDisabled()).resolves.toBe(true);
      await expect(venueSelect().isDisabled()).resolves.toBe(true);
      await expect(venueSearch().isDisabled()).resolves.toBe(true);
      await expect(site.page.getByLabel('Price (KRW)').first().isDisabled()).resolves.toBe(true);

      const search = `/api/events?q=${encodeURIComponent(title)}`;
      await expect
        .poll(async () => (await apiJson<{ items: { id: string; status: string }[] }>(search)).items, {
          timeout: UI_TIMEOUT,
        })
        .toEqual([expect.objectContaining({ id: created.id, status: 'on_sale' })]);

      await site.page.goto('/');
      const card = site.page.locator(`a[data-event-id="${created.id}"]`);
      await card.waitFor();
      await expect(card.innerText()).resolves.toContain(`${title} (encore)`);
      const shown = await card.locator('img.poster').getAttribute('src');
      expect(new URL(shown ?? '', WEB).pathname).toMatch(/^\/media\//);
      await screenshot(site.page, 'operator-03-public-list');
    }),
    60_000,
  );

  it(
    "uploads an artist's photo on the artists site.page",
    site.step(async () => {
      await site.page.goto('/admin/artists');
      const row = site.page.locator('.artist-list li', { hasText: 'Jannabi' });
      await row.getByLabel('Image').setInputFiles({
        name: 'jannabi.png',
        mimeType: 'image/png',
        buffer: pngImage(400, 400),
      });
      await site.page.getByText('Saved.').waitFor();
      const avatar = row.locator('img.avatar');
      await avatar.waitFor();
      const src = (await avatar.getAttribute('src')) ?? '';
      expect(new URL(src, WEB).pathname).toMatch(/^\/media\//);
      await expectServedImage(src);

      const artist = await apiJson<{ image: ImageRef | null }>(`/api/artists/${JANNABI}`);
      expect(artist.image?.urls.thumb).toBe(src);
      await screenshot(site.page, 'operator-04-artist-photo');
      expect(site.blocked).toEqual([]);
    }),
    60_000,
  );

  it(
    'keeps what was typed for a new artist the server refuses, and empties the form once one is made',
    site.step(async () => {
      const bio = 'Four-piece band from Seoul, on tour this winter.';
      await site.page.getByLabel('Name').fill('   ');
      await site.page.getByLabel('Bio').fill(bio);
      await site.page.getByRole('button', { name: 'Create' }).click();
      await site.page.getByRole('alert').filter({ hasText: 'name' }).waitFor();
      await expect(site.page.getByLabel('Bio').inputValue()).resolves.toBe(bio);

      const name = `Night Owls ${stamp}`;
      await site.page.getByLabel('Name').fill(name);
      await site.page.getByRole('button', { name: 'Create' }).click();
      await site.page.locator('.artist-list li', { hasText: name }).waitFor();
      await expect(site.page.getByLabel('Name').inputValue()).resolves.toBe('');
      await expect(site.page.getByLabel('Bio').inputValue()).resolves.toBe('');
      await expect(site.page.getByRole('alert').count()).resolves.toBe(0);
    }),
    60_000,
  );
});
