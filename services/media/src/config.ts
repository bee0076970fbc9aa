import { env, serviceConfigShape } from '@tiketi/kit';
import { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  PORT: env.port(4008),
  DATABASE_NAME: env.string('media_db'),
  SEED_DEMO: env.bool(false),
  /** `disk` keeps images in MEDIA_DISK_DIR (development); `s3` in S3_BUCKET at S3_ENDPOINT. */
  STORAGE_DRIVER: z.enum(['disk', 's3']).default('disk'),
  MEDIA_DISK_DIR: env.string('.data/media'),
  S3_ENDPOINT: env.optionalString(),
  S3_REGION: env.string('us-east-1'),
  S3_BUCKET: env.string('tiketi-media'),
  S3_ACCESS_KEY_ID: env.optionalString(),
  S3_SECRET_ACCESS_KEY: env.optionalString(),
  /** Path-style URLs (bucket in the path), which most S3-compatible servers need. */
  S3_FORCE_PATH_STYLE: env.bool(true),
  /** Create the bucket at start when it is missing (local S3-compatible servers). */
  S3_CREATE_BUCKET: env.bool(false),
  /** Public prefix of image URLs: `/media` through the gateway, or a CDN in front of the bucket. */
  MEDIA_PUBLIC_URL: env.string('/media'),
  MEDIA_MAX_UPLOAD_BYTES: env.int(10 * 1024 * 1024),
};
