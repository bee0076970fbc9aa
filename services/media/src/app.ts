import { type Auth, createAuth, createServiceServer, type Kysely, type ServiceDeps } from '@tiketi/kit';
import { mediaRepository } from './db/media.repository.ts';
import type { DB } from './db/schema.ts';
import { imageProcessor } from './domain/image-processor.ts';
import { mediaService } from './domain/media.service.ts';
import { mediaRoutes } from './routes/media.routes.ts';
import type { ObjectStorage } from './storage/object-storage.ts';

export type MediaDeps = ServiceDeps & {
  db: Kysely<DB>;
  storage: ObjectStorage;
  /** Verifies callers; without it nobody is an admin and nothing can be uploaded. */
  auth?: Auth;
  /** Public prefix of image URLs (`/media` behind the gateway, or a CDN). */
  publicUrl?: string;
  maxUploadBytes?: number;
};

/** Builds the media service from its dependencies; opens nothing itself. */
export async function buildApp(deps: MediaDeps) {
  const maxBytes = deps.maxUploadBytes ?? 10 * 1024 * 1024;
  const { app, metrics } = await createServiceServer('media', deps, {
    outbox: deps.db,
    // Room for the multipart framing around the largest accepted file.
    bodyLimit: maxBytes + 64 * 1024,
  });
  const media = mediaService({
    media: mediaRepository(deps.db),
    storage: deps.storage,
    images: imageProcessor(metrics),
    publicUrl: deps.publicUrl ?? '/media',
    logger: deps.logger,
  });
  await mediaRoutes(app, deps.auth ?? createAuth({ jwks: { keys: [] } }), media, maxBytes);
  return app;
}
