import { createAuth, openServiceInfra, runService, serviceDeps, sessionRevocations } from '@tiketi/kit';
import { buildApp } from './app.ts';
import { configShape } from './config.ts';
import type { DB } from './db/schema.ts';
import { seedDemoImages } from './seed.ts';
import { diskStorage } from './storage/disk.storage.ts';
import type { ObjectStorage } from './storage/object-storage.ts';
import { s3Storage } from './storage/s3.storage.ts';

const migrations = new URL('../migrations', import.meta.url);

await runService('media', configShape, async (config, logger) => {
  const infra = await openServiceInfra<DB>('media', migrations, config, logger);
  let storage: ObjectStorage;
  if (config.STORAGE_DRIVER === 's3') {
    const s3 = s3Storage({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
    if (config.S3_CREATE_BUCKET) await s3.ensureBucket();
    storage = s3;
  } else {
    storage = diskStorage(config.MEDIA_DISK_DIR);
  }
  if (config.SEED_DEMO) {
    const seeded = await seedDemoImages(infra.db, storage);
    if (seeded) logger.info({ images: seeded }, 'demo images seeded');
  }
  const app = await buildApp({
    ...serviceDeps(config, infra, logger),
    db: infra.db,
    storage,
    auth: createAuth({ jwks: config.JWKS_URL, revocations: sessionRevocations(infra.redis, { logger }) }),
    publicUrl: config.MEDIA_PUBLIC_URL,
    maxUploadBytes: config.MEDIA_MAX_UPLOAD_BYTES,
  });
  return { app, infra };
});
