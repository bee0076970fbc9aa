import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * Media service contract: every uploaded image is stored as WebP in these widths (never enlarged), and
 * served publicly under `/media/images/<id>/<size>.webp` (through the gateway).
 */
export const imageSizes = { thumb: 200, small: 400, medium: 800, large: 1600 } as const;
export type ImageSize = keyof typeof imageSizes;
export const imageSizeNames = Object.keys(imageSizes) as ImageSize[];

/** The storage key of one size of one image; the public URL is the media base URL plus this key. */
export function imageKey(mediaId: string, size: ImageSize): string {
  return `images/${mediaId}/${size}.webp`;
}

/** Public URLs of every size, with `base` the public media prefix (`/media` through the gateway). */
export function imageUrls(base: string, mediaId: string): Record<ImageSize, string> {
  const prefix = base.replace(/\/+$/, '');
  return Object.fromEntries(imageSizeNames.map((s) => [s, `${prefix}/${imageKey(mediaId, s)}`])) as Record<
    ImageSize,
    string
  >;
}

export const mediaVariantDto = z.object({
  size: z.enum(['thumb', 'small', 'medium', 'large']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().positive(),
  contentType: z.string(),
  url: z.string(),
});

export const mediaDto = z.object({
  id: canonicalId(),
  /** What the upload was, sniffed from its bytes. */
  sourceFormat: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  alt: z.string(),
  variants: z.array(mediaVariantDto),
  urls: z.object({ thumb: z.string(), small: z.string(), medium: z.string(), large: z.string() }),
  createdAt: z.iso.datetime({ offset: true }),
});
export type MediaDto = z.infer<typeof mediaDto>;

/**
 * Demo images the media service seeds at start (SEED_DEMO) with fixed ids; the event service's demo seed
 * refers to them for artist photos and event posters.
 */
export const demoMedia = {
  posterIu: '01936b2a-0000-7000-8000-00000000f001',
  posterNewJeans: '01936b2a-0000-7000-8000-00000000f002',
  posterJannabi: '01936b2a-0000-7000-8000-00000000f003',
  posterAkmu: '01936b2a-0000-7000-8000-00000000f004',
} as const;

/** The public prefix under which the gateway serves media by default. */
export const MEDIA_PUBLIC_PREFIX = '/media';
