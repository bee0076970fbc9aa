import { demoMedia, imageUrls } from '@tiketi/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoImages } from '../src/seed.ts';
import { diskStorage } from '../src/storage/disk.storage.ts';
import { openMediaService } from './helpers.ts';

describe('demo images', () => {
  let svc: Awaited<ReturnType<typeof openMediaService>>;
  beforeAll(async () => {
    svc = await openMediaService('media-seed');
  });
  afterAll(() => svc.close());

  it('seeds the posters the event seed refers to, once', async () => {
    const storage = diskStorage(svc.dir);
    expect(await seedDemoImages(svc.db, storage)).toBe(Object.keys(demoMedia).length);
    expect(await seedDemoImages(svc.db, storage)).toBe(0);
    for (const id of Object.values(demoMedia)) {
      const res = await fetch(`${svc.url}${imageUrls('/media', id).medium}`);
      expect(res.status).toBe(200);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 800, 1200]);
    }
  });
});
