import { readdir } from 'node:fs/promises';
import { sql } from '@tiketi/kit';
import { encodePng } from '@tiketi/kit/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMediaService, testImage } from './helpers.ts';

type Media = {
  id: string;
  sourceFormat: string;
  width: number;
  variants: { size: string; width: number; height: number; url: string; bytes: number }[];
  urls: Record<string, string>;
};

describe('image upload', () => {
  let svc: Awaited<ReturnType<typeof openMediaService>>;
  beforeAll(async () => {
    svc = await openMediaService('media-upload', { maxUploadBytes: 256 * 1024 });
  });
  afterAll(() => svc.close());
  const served = (url: string) => fetch(`${svc.url}${url}`);

  async function storedFiles() {
    return (await readdir(svc.dir, { recursive: true })).filter((f) => f.endsWith('.webp'));
  }

  it('stores an upload in every size as WebP and serves each one publicly', async () => {
    const res = await svc.upload(await testImage(2000, 1000), 'poster.png', 'image/png');
    expect(res.status).toBe(201);
    const media = (await res.json()) as Media;
    expect(media).toMatchObject({ sourceFormat: 'png', width: 2000, height: 1000, alt: 'A poster' });
    expect(media.variants.map((v) => [v.size, v.width, v.height])).toEqual([
      ['thumb', 200, 100],
      ['small', 400, 200],
      ['medium', 800, 400],
      ['large', 1600, 800],
    ]);
    for (const variant of media.variants) {
      expect(variant.url).toBe(`/media/images/${media.id}/${variant.size}.webp`);
      const image = await served(variant.url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/webp');
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(bytes.length).toBe(variant.bytes);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', variant.width, variant.height]);
    }
    const info = await fetch(`${svc.url}/api/media/${media.id}`);
    expect(((await info.json()) as Media).urls.large).toBe(`/media/images/${media.id}/large.webp`);
  });

  it('never enlarges a small image and reads JPEGs by their content', async () => {
    // A JPEG sent under a misleading name and type is still recognised for what it is.
    const res = await svc.upload(await testImage(300, 450, 'jpeg'), 'photo.gif', 'image/gif');
    expect(res.status).toBe(201);
    const media = (await res.json()) as Media;
    expect(media.sourceFormat).toBe('jpeg');
    expect(media.variants.map((v) => v.width)).toEqual([200, 300, 300, 300]);
  });

  it('refuses a file that is not an image, whatever its name and type say', async () => {
    const before = await storedFiles();
    const res = await svc.upload(Buffer.from('%PDF-1.7 not a picture at all'), 'poster.png', 'image/png');
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await res.json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringMatching(/not an image/),
    });
    expect(await storedFiles()).toEqual(before);
  });

  it('refuses SVG, which is an image format it does not accept', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const res = await svc.upload(svg, 'logo.svg', 'image/svg+xml');
    expect(res.status).toBe(415);
  });

  it('refuses a truncated image and stores nothing of it', async () => {
    const before = await storedFiles();
    const whole = await testImage(1200, 800, 'jpeg');
    const res = await svc.upload(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.jpg', 'image/jpeg');
    expect(res.status).toBe(422);
    expect((await res.json()) as { code: string }).toMatchObject({ code: 'IMAGE_CORRUPT' });
    const png = await testImage(1200, 800);
    const cutPng = await svc.upload(png.subarray(0, png.length - 200), 'cut.png', 'image/png');
    expect(cutPng.status).toBe(422);
    expect(await storedFiles()).toEqual(before);
  });

  it('refuses an image of too many pixels as such, and an alt text past its length', async () => {
    // A 12,000 × 12,000 black-and-white PNG: a few kilobytes that would decode to 144 million pixels.
    const bomb = await svc.upload(bitmapPng(12_000, 12_000), 'bomb.png', 'image/png');
    expect(bomb.status).toBe(422);
    expect(await bomb.json()).toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    const wordy = await svc.upload(
      await testImage(100, 100),
      'a.png',
      'image/png',
      undefined,
      'x'.repeat(301),
    );
    expect(wordy.status).toBe(400);
    expect(await wordy.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body.alt', message: 'must be at most 300 characters' }],
    });
  });

  it('decodes at most two images at once, however many operators upload together', async () => {
    // Each decoded image is held whole while its sizes render: eight at once would hold eight bitmaps.
    const picture = bitmapPng(6000, 6000);
    const processing = async () => {
      const text = (await svc.app.inject({ url: '/metrics' })).body;
      const line = /^tiketi_media_images_processing(?:\{[^}]*\})? (\d+)$/m.exec(text);
      return line ? Number(line[1]) : Number.NaN;
    };
    const seen: number[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        seen.push(await processing());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => svc.upload(picture, `wide-${i}.png`, 'image/png')),
    );
    done = true;
    await watching;
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(Math.max(...seen)).toBe(2);
    expect(await processing()).toBe(0);
  });

  it('refuses a file over the size limit with 413', async () => {
    const res = await svc.upload(Buffer.alloc(300 * 1024, 1), 'huge.png', 'image/png');
    expect(res.status).toBe(413);
    expect((await res.json()) as { code: string }).toMatchObject({ code: 'FILE_TOO_LARGE' });
  });

  it('refuses uploads from users (403), anonymous callers (401) and non-multipart bodies (415)', async () => {
    const image = await testImage(100, 100);
    expect((await svc.upload(image, 'a.png', 'image/png', svc.user)).status).toBe(403);
    expect((await svc.upload(image, 'a.png', 'image/png', '')).status).toBe(401);
    const json = await fetch(`${svc.url}/api/media`, {
      method: 'POST',
      headers: { authorization: svc.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ file: 'x' }),
    });
    expect(json.status).toBe(415);
  });

  it('deletes an image with all its sizes', async () => {
    const media = (await (await svc.upload(await testImage(640, 480), 'x.png', 'image/png')).json()) as Media;
    const asUser = await fetch(`${svc.url}/api/media/${media.id}`, {
      method: 'DELETE',
      headers: { authorization: svc.user },
    });
    expect(asUser.status).toBe(403);
    const res = await fetch(`${svc.url}/api/media/${media.id}`, {
      method: 'DELETE',
      headers: { authorization: svc.admin },
    });
    expect(res.status).toBe(204);
    expect((await fetch(`${svc.url}/api/media/${media.id}`)).status).toBe(404);
    for (const url of Object.values(media.urls)) expect((await served(url)).status).toBe(404);
    expect((await storedFiles()).some((f) => f.includes(media.id))).toBe(false);
  });

  it('announces a deletion once, through the outbox, so that pages showing the image drop it', async () => {
    const media = (await (await svc.upload(await testImage(64, 64), 'x.png', 'image/png')).json()) as Media;
    const remove = () =>
      fetch(`${svc.url}/api/media/${media.id}`, { method: 'DELETE', headers: { authorization: svc.admin } });
    expect((await remove()).status).toBe(204);
    expect((await remove()).status).toBe(404);
    const { rows } = await sql<{
      envelope: { data: unknown };
    }>`select envelope from outbox where type = 'media.deleted' and envelope->'data'->>'mediaId' = ${media.id}`.execute(
      svc.db,
    );
    expect(rows.map((r) => r.envelope.data)).toEqual([{ mediaId: media.id }]);
  });

  it('answers 404 for a size that does not exist and 400 for a path outside the images', async () => {
    expect((await served('/media/images/01936b2a-0000-7000-8000-0000000000ff/large.webp')).status).toBe(404);
    expect(
      (await served('/media/images/01936b2a-0000-7000-8000-0000000000ff/..%2F..%2Fetc.webp')).status,
    ).toBe(400);
  });
});

/** A one-bit greyscale PNG of this size, all black: tiny on disk, however many pixels it declares. */
function bitmapPng(width: number, height: number): Buffer {
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return encodePng({ width, height, bitDepth: 1, colorType: 0, rows });
}
