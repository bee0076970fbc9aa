import { imageKey, imageUrls, type MediaDto } from '@tiketi/contracts';
import { type Logger, problems } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { MediaRepository } from '../db/media.repository.ts';
import type { StoredVariant } from '../db/schema.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { ImageProcessor } from './image-processor.ts';

type MediaRow = NonNullable<Awaited<ReturnType<MediaRepository['find']>>>;

export function mediaService(deps: {
  media: MediaRepository;
  storage: ObjectStorage;
  images: ImageProcessor;
  publicUrl: string;
  logger: Logger;
}) {
  const { media, storage, images, publicUrl, logger } = deps;

  function toDto(row: MediaRow): MediaDto {
    const urls = imageUrls(publicUrl, row.id);
    return {
      id: row.id,
      sourceFormat: row.sourceFormat,
      width: row.width,
      height: row.height,
      alt: row.alt,
      variants: row.variants.map(({ key: _, ...v }) => ({ ...v, url: urls[v.size] })),
      urls,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /** Stores every size, then records the image; a failed record removes the objects again. */
  async function store(
    id: string,
    input: Buffer,
    meta: { alt: string; uploadedBy: string | null },
  ): Promise<boolean> {
    const image = await images.process(input);
    const variants: StoredVariant[] = image.variants.map((v) => ({
      size: v.size,
      width: v.width,
      height: v.height,
      bytes: v.data.length,
      contentType: 'image/webp',
      key: imageKey(id, v.size),
    }));
    await Promise.all(image.variants.map((v) => storage.put(imageKey(id, v.size), v.data, 'image/webp')));
    try {
      return await media.insert({
        id,
        sourceFormat: image.format,
        width: image.width,
        height: image.height,
        alt: meta.alt,
        variants,
        uploadedBy: meta.uploadedBy,
      });
    } catch (error) {
      await storage.delete(variants.map((v) => v.key)).catch((err: Error) => {
        logger.warn({ err: err.message, id }, 'could not remove the objects of a failed upload');
      });
      throw error;
    }
  }

  return {
    store,

    async upload(input: Buffer, meta: { alt: string; uploadedBy: string }): Promise<MediaDto> {
      const id = uuidv7();
      await store(id, input, meta);
      return this.get(id);
    },

    async get(id: string): Promise<MediaDto> {
      const row = await media.find(id);
      if (!row) throw problems.notFound('Image');
      return toDto(row);
    },

    exists: async (id: string) => (await media.find(id)) !== undefined,

    /**
     * The record goes first: once it is gone nobody can attach the image, and its files follow. Its users
     * are told by `media.deleted` (the catalogue detaches it), so deleting never waits on them.
     */
    async remove(id: string): Promise<void> {
      const row = await media.delete(id);
      if (!row) throw problems.notFound('Image');
      await storage.delete(row.variants.map((v) => v.key));
    },

    open: (key: string) => storage.get(key),
  };
}

export type MediaService = ReturnType<typeof mediaService>;
