import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Storage } from '../src/storage/s3.storage.ts';
import { openMediaService, testImage } from './helpers.ts';

type Media = { id: string; variants: { size: string; width: number; url: string; bytes: number }[] };

describe('S3 storage driver against a real S3-compatible server', () => {
  let dir: string;
  let server: S3rver;
  let port: number;
  let storage: ReturnType<typeof s3Storage>;
  let svc: Awaited<ReturnType<typeof openMediaService>>;
  let s3: S3Client;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const bucket = 'tiketi-media-test';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'media-s3-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    ({ port } = await server.run());
    const endpoint = `http://127.0.0.1:${port}`;
    storage = s3Storage({ bucket, region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials });
    await storage.ensureBucket();
    svc = await openMediaService('media-s3', { storage });
    // A second, independent client looks into the bucket to check what the service really stored.
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    s3.destroy();
    await svc.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const keysIn = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);

  it('stores every size in the bucket, byte for byte what the service serves', async () => {
    const res = await svc.upload(await testImage(1800, 1200), 'poster.png', 'image/png');
    expect(res.status).toBe(201);
    const media = (await res.json()) as Media;
    expect((await keysIn()).sort()).toEqual(
      ['large', 'medium', 'small', 'thumb'].map((s) => `images/${media.id}/${s}.webp`),
    );
    for (const variant of media.variants) {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `images/${media.id}/${variant.size}.webp` }),
      );
      expect(object.ContentType).toBe('image/webp');
      const stored = Buffer.from(await object.Body!.transformToByteArray());
      expect(stored.length).toBe(variant.bytes);
      expect((await sharp(stored).metadata()).width).toBe(variant.width);
      const served = Buffer.from(await (await fetch(`${svc.url}${variant.url}`)).arrayBuffer());
      expect(served.equals(stored)).toBe(true);
    }
  });

  it('finds nothing for a key that is not in the bucket', async () => {
    expect(await storage.get('images/01936b2a-0000-7000-8000-0000000000ff/large.webp')).toBeUndefined();
  });

  it('removes every size from the bucket when the image is deleted', async () => {
    const media = (await (await svc.upload(await testImage(300, 300), 'a.png', 'image/png')).json()) as Media;
    expect((await keysIn()).filter((k) => k?.includes(media.id))).toHaveLength(4);
    const res = await fetch(`${svc.url}/api/media/${media.id}`, {
      method: 'DELETE',
      headers: { authorization: svc.admin },
    });
    expect(res.status).toBe(204);
    expect((await keysIn()).filter((k) => k?.includes(media.id))).toEqual([]);
  });
});
