import { demoMedia } from '@tiketi/contracts';
import { createLogger, type Kysely } from '@tiketi/kit';
import sharp from 'sharp';
import { mediaRepository } from './db/media.repository.ts';
import type { DB } from './db/schema.ts';
import { imageProcessor } from './domain/image-processor.ts';
import { mediaService } from './domain/media.service.ts';
import type { ObjectStorage } from './storage/object-storage.ts';

const posters: { id: string; alt: string; colors: [string, string]; shape: string }[] = [
  {
    id: demoMedia.posterIu,
    alt: 'IU — The Golden Hour poster',
    colors: ['#f6c453', '#b8621b'],
    shape: '<circle cx="600" cy="700" r="320" fill="#fff3c4" opacity="0.85"/>',
  },
  {
    id: demoMedia.posterNewJeans,
    alt: 'NewJeans — Bunnies Camp poster',
    colors: ['#8ec5fc', '#3a5bd9'],
    shape:
      '<ellipse cx="480" cy="520" rx="90" ry="260" fill="#fff"/><ellipse cx="720" cy="520" rx="90" ry="260" fill="#fff"/><circle cx="600" cy="900" r="260" fill="#fff"/>',
  },
  {
    id: demoMedia.posterJannabi,
    alt: 'Jannabi — Summer Tour poster',
    colors: ['#43cea2', '#185a9d'],
    shape: '<path d="M0 1100 Q300 900 600 1100 T1200 1100 V1800 H0 Z" fill="#fff" opacity="0.7"/>',
  },
  {
    id: demoMedia.posterAkmu,
    alt: 'AKMU — Next Episode poster',
    colors: ['#ff9a9e', '#8e2de2'],
    shape:
      '<rect x="250" y="450" width="700" height="700" rx="80" fill="#fff" opacity="0.6" transform="rotate(12 600 800)"/>',
  },
];

/** A 1200×1800 poster drawn from shapes only, so that it renders the same without any font installed. */
function posterSvg(colors: [string, string], shape: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1800">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${colors[0]}"/><stop offset="1" stop-color="${colors[1]}"/>
    </linearGradient></defs>
    <rect width="1200" height="1800" fill="url(#g)"/>${shape}
  </svg>`);
}

/** Demo posters with the fixed ids the event service's seed refers to; answers how many it added. */
export async function seedDemoImages(db: Kysely<DB>, storage: ObjectStorage): Promise<number> {
  const repo = mediaRepository(db);
  const media = mediaService({
    media: repo,
    storage,
    images: imageProcessor(),
    publicUrl: '/media',
    logger: createLogger('media-seed', 'silent'),
  });
  let added = 0;
  for (const poster of posters) {
    if (await media.exists(poster.id)) continue;
    const png = await sharp(posterSvg(poster.colors, poster.shape)).png().toBuffer();
    if (await media.store(poster.id, png, { alt: poster.alt, uploadedBy: null })) added++;
  }
  return added;
}
