import { type ImageSize, imageSizeNames, imageSizes } from '@tiketi/contracts';
import { HttpProblem, type Metrics, takeTurns } from '@tiketi/kit';
import sharp, { type Metadata, type OutputInfo } from 'sharp';

/** Formats accepted as uploads, as sharp names them after reading the bytes (not the file name). */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'heif', 'avif']);
/** Refuses decompression bombs: a small file that inflates to a huge bitmap. */
const MAX_PIXELS = 40_000_000;

export type ProcessedImage = {
  format: string;
  width: number;
  height: number;
  variants: { size: ImageSize; width: number; height: number; data: Buffer }[];
};

export const notAnImage = (detail: string) => new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', detail);

/**
 * Images decoded at once. Each is held whole (up to MAX_PIXELS × 4 bytes) while its sizes render, so
 * uploads that arrive together wait their turn instead of holding a bitmap each: eight at once took a
 * service to 1.8 GB.
 */
const AT_ONCE = 2;
/** Uploads that may wait for their turn; past these an upload is told to come back (503). */
const MAX_WAITING = 8;

/**
 * The image processor of one service: `process` decodes at most AT_ONCE images at a time, and the
 * metrics show how many are being processed and how many wait.
 */
export function imageProcessor(metrics?: Metrics) {
  const turns = takeTurns({
    atOnce: AT_ONCE,
    waiting: MAX_WAITING,
    busy: () =>
      new HttpProblem(
        503,
        'MEDIA_BUSY',
        'Many images are being processed right now: upload again in a moment.',
        {
          headers: { 'retry-after': '5' },
        },
      ),
    ...(metrics && {
      metrics: {
        registry: metrics,
        running: ['tiketi_media_images_processing', 'Uploaded images being decoded and resized now.'],
        waiting: ['tiketi_media_images_waiting', 'Uploaded images waiting for their turn to be decoded.'],
      },
    }),
  });
  return {
    process: (input: Buffer): Promise<ProcessedImage> => turns.run(() => processImage(input)),
  };
}

export type ImageProcessor = ReturnType<typeof imageProcessor>;

/**
 * Checks that the bytes are a whole image of an accepted kind and renders each size as WebP. The input is
 * decoded completely (`failOn: 'truncated'`), so a cut-off upload is refused instead of stored half-grey.
 */
async function processImage(input: Buffer): Promise<ProcessedImage> {
  let metadata: Metadata;
  try {
    // The header alone: an image of too many pixels is told apart from one that is not an image (below).
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw notAnImage('The file is not an image: upload a JPEG, PNG, WebP, GIF or AVIF.');
  }
  const format = metadata.format;
  if (!format || !ACCEPTED.has(format)) {
    throw notAnImage(
      `Images of type ${format ?? 'unknown'} are not accepted: upload a JPEG, PNG, WebP, GIF or AVIF.`,
    );
  }
  if (!metadata.width || !metadata.height) throw notAnImage('The image has no size.');
  if (metadata.width * metadata.height > MAX_PIXELS) {
    throw new HttpProblem(422, 'IMAGE_TOO_LARGE', `The image has more than ${MAX_PIXELS} pixels.`);
  }

  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // Decoded once, strictly; every size is rendered from this bitmap.
    decoded = await sharp(input, { failOn: 'truncated', limitInputPixels: MAX_PIXELS })
      .rotate()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new HttpProblem(
      422,
      'IMAGE_CORRUPT',
      `The image is truncated or corrupt and cannot be read (${(error as Error).message}).`,
    );
  }
  const { width, height, channels } = decoded.info;
  const variants = await Promise.all(
    imageSizeNames.map(async (size) => {
      const out = await sharp(decoded.data, { raw: { width, height, channels } })
        .resize({ width: imageSizes[size], withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
      return { size, width: out.info.width, height: out.info.height, data: out.data };
    }),
  );
  return { format, width, height, variants };
}
