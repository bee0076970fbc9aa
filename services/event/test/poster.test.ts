import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuth } from '@tiketi/kit';
import {
  createTestTokens,
  listenOnLoopback,
  openTestInfra,
  testConfig,
  testLogger,
} from '@tiketi/kit/testing';
import { buildApp as buildMediaApp } from '@tiketi/media/app';
import type { DB as MediaDB } from '@tiketi/media/db';
import { diskStorage } from '@tiketi/media/storage';
import sharp from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaClient } from '../src/clients/media.client.ts';
import { createArtistAndVenue, type EventService, eventPayload, openEventService } from './helpers.ts';

// The media service's disk driver, reached the way the event service reaches it in production: over HTTP.
async function openMedia(jwks: Parameters<typeof createAuth>[0]['jwks']) {
  const infra = await openTestInfra<
    { service: 'media'; database: { name: string; migrations: string } },
    MediaDB
  >(
    {
      service: 'media',
      database: { name: 'unused', migrations: new URL('../../media/migrations', import.meta.url).pathname },
    },
    testConfig('event-poster-media'),
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'event-poster-'));
  const app = await buildMediaApp({
    db: infra.db,
    logger: testLogger(),
    readiness: {},
    storage: diskStorage(dir),
    auth: createAuth({ jwks }),
  });
  return {
    url: await listenOnLoopback(app),
    async close() {
      await app.close();
      await infra.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('event posters from the media service', () => {
  let media: { url: string; close(): Promise<void> };
  let svc: EventService;
  let admin: string;
  let ids: { artistId: string; venueId: string };
  let eventId: string;
  afterAll(async () => {
    await svc.close();
    await media.close();
  });
  beforeAll(async () => {
    const tokens = await createTestTokens();
    media = await openMedia(tokens.jwks);
    svc = await openEventService('event-poster', {
      auth: createAuth({ jwks: tokens.jwks }),
      media: mediaClient(media.url),
    });
    admin = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'admin' })}`;
    ids = await createArtistAndVenue({ ...svc, admin });
    const event = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { authorization: admin },
      payload: eventPayload(ids),
    });
    eventId = event.json().id as string;
    await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/publish`,
      headers: { authorization: admin },
    });
  });

  it('attaches an uploaded poster and its URLs serve the image', async () => {
    const png = await sharp({ create: { width: 1200, height: 1800, channels: 3, background: '#f6c453' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'poster.png');
    const uploaded = await fetch(`${media.url}/api/media`, {
      method: 'POST',
      body: form,
      headers: { authorization: admin },
    });
    expect(uploaded.status).toBe(201);
    const mediaId = ((await uploaded.json()) as { id: string }).id;

    const attached = await svc.app.inject({
      method: 'PUT',
      url: `/api/events/${eventId}/poster`,
      headers: { authorization: admin },
      payload: { mediaId },
    });
    expect(attached.statusCode).toBe(200);

    const detail = (await svc.app.inject({ url: `/api/events/${eventId}` })).json();
    expect(detail.poster.mediaId).toBe(mediaId);
    const listed = (await svc.app.inject({ url: '/api/events' })).json();
    expect(listed.items[0].poster).toEqual(detail.poster);
    for (const [size, width] of [
      ['thumb', 200],
      ['large', 1200],
    ] as const) {
      const image = await fetch(`${media.url}${detail.poster.urls[size]}`);
      expect(image.status).toBe(200);
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      expect([meta.format, meta.width]).toEqual(['webp', width]);
    }
  });

  it('attaches an image to an artist', async () => {
    const png = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#3a5bd9' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'artist.png');
    const uploaded = (await (
      await fetch(`${media.url}/api/media`, { method: 'POST', body: form, headers: { authorization: admin } })
    ).json()) as { id: string };
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/api/artists/${ids.artistId}/image`,
      headers: { authorization: admin },
      payload: { mediaId: uploaded.id },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().image.mediaId).toBe(uploaded.id);
    expect((await svc.app.inject({ url: `/api/events/${eventId}` })).json().artist.image.mediaId).toBe(
      uploaded.id,
    );
  });

  it('refuses to attach an image the media service does not have', async () => {
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/api/events/${eventId}/poster`,
      headers: { authorization: admin },
      payload: { mediaId: '01936b2a-0000-7000-8000-0000000000ff' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'body.mediaId', message: 'is not an uploaded image' }]);
  });

  it('detaches the poster with null', async () => {
    const res = await svc.app.inject({
      method: 'PUT',
      url: `/api/events/${eventId}/poster`,
      headers: { authorization: admin },
      payload: { mediaId: null },
    });
    expect(res.json().poster).toBeNull();
  });
});
