import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuth } from '@tiketi/kit';
import { createTestTokens, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import sharp from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import { buildApp } from '../src/app.ts';
import type { DB } from '../src/db/schema.ts';
import { diskStorage } from '../src/storage/disk.storage.ts';
import type { ObjectStorage } from '../src/storage/object-storage.ts';

const migrations = new URL('../migrations', import.meta.url).pathname;

/** The media service listening on a free port, on its own database, storing on disk unless told. */
export async function openMediaService(
  label: string,
  options: { storage?: ObjectStorage; maxUploadBytes?: number } = {},
) {
  const config = testConfig(label);
  const infra = await openTestInfra<{ service: 'media'; database: { name: string; migrations: string } }, DB>(
    { service: 'media', database: { name: 'unused', migrations } },
    config,
  );
  const dir = await mkdtemp(path.join(tmpdir(), `${label}-`));
  const storage = options.storage ?? diskStorage(dir);
  const tokens = await createTestTokens();
  const app = await buildApp({
    db: infra.db,
    logger: testLogger(),
    readiness: infra.readiness,
    storage,
    auth: createAuth({ jwks: tokens.jwks }),
    maxUploadBytes: options.maxUploadBytes,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const admin = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'admin' })}`;
  const user = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'user' })}`;
  return {
    app,
    url,
    dir,
    db: infra.db,
    admin,
    user,
    upload(
      data: Buffer,
      fileName: string,
      type: string,
      authorization: string | undefined = admin,
      alt = 'A poster',
    ) {
      const form = new FormData();
      form.set('alt', alt);
      form.set('file', new Blob([new Uint8Array(data)], { type }), fileName);
      return fetch(`${url}/api/media`, {
        method: 'POST',
        body: form,
        headers: authorization ? { authorization } : {},
      });
    },
    async close() {
      await app.close();
      await infra.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A real picture with some detail, so that encoders have something to compress. */
export function testImage(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#3a5bd9"/>
    <circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="#f6c453"/>
  </svg>`;
  const image = sharp(Buffer.from(svg));
  return (format === 'png' ? image.png() : image.jpeg()).toBuffer();
}
