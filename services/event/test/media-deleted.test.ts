import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, createAuth, makeEnvelope } from '@tiketi/kit';
import { createTestTokens, openTestInfra, testConfig, testLogger } from '@tiketi/kit/testing';
import { buildApp as buildMediaApp } from '@tiketi/media/app';
import type { DB as MediaDB } from '@tiketi/media/db';
import { diskStorage } from '@tiketi/media/storage';
import sharp from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mediaClient } from '../src/clients/media.client.ts';
import {
  createArtistAndVenue,
  type EventService,
  eventPayload,
  openEventService,
  startCatalogueConsumers,
} from './helpers.ts';

/**
 * The media service and the catalogue's consumer on one exchange of their own, the media outbox relayed as
 * in production: deleting an image through the media API must take it off every page that shows it.
 */
describe('deleting an image detaches it from the catalogue', () => {
  let admin: string;
  let mediaInfra: Awaited<ReturnType<typeof openTestInfra>>;
  let dir: string;
  let media: App;
  let mediaUrl: string;
  let svc: EventService;
  let consumerBus: Awaited<ReturnType<typeof openTestInfra>>;
  let ids: { artistId: string; venueId: string };
  let shared: string;
  let kept: string;
  let first: string;
  let second: string;
  let other: string;
  const config = testConfig('event-media-deleted');
  afterAll(async () => {
    await consumerBus.cleanup();
    await svc.close();
    await media.close();
    await mediaInfra.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (colour: string) => {
    const png = await sharp({ create: { width: 400, height: 600, channels: 3, background: colour } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'image.png');
    const res = await fetch(`${mediaUrl}/api/media`, {
      method: 'POST',
      body: form,
      headers: { authorization: admin },
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const put = async (url: string, mediaId: string) => {
    const res = await svc.app.inject({
      method: 'PUT',
      url,
      headers: { authorization: admin },
      payload: { mediaId },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const newEvent = async (ids: { artistId: string; venueId: string }, title: string) => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { authorization: admin },
      payload: eventPayload(ids, { title }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;
    await svc.app.inject({
      method: 'POST',
      url: `/api/events/${id}/publish`,
      headers: { authorization: admin },
    });
    return id;
  };
  const read = async (url: string) => (await svc.app.inject({ url })).json();
  beforeAll(async () => {
    const tokens = await createTestTokens();
    admin = `Bearer ${await tokens.sign({ id: uuidv7(), role: 'admin' })}`;
    mediaInfra = await openTestInfra<
      { service: 'media'; database: { name: string; migrations: string }; bus: true },
      MediaDB
    >(
      {
        service: 'media',
        database: { name: 'unused', migrations: new URL('../../media/migrations', import.meta.url).pathname },
        bus: true,
      },
      config,
    );
    dir = await mkdtemp(path.join(tmpdir(), 'event-media-deleted-'));
    media = await buildMediaApp({
      db: mediaInfra.db,
      logger: testLogger(),
      readiness: mediaInfra.readiness,
      storage: diskStorage(dir),
      auth: createAuth({ jwks: tokens.jwks }),
    });
    await media.listen({ port: 0, host: '127.0.0.1' });
    mediaUrl = `http://127.0.0.1:${(media.server.address() as AddressInfo).port}`;

    svc = await openEventService('event-media-deleted', {
      auth: createAuth({ jwks: tokens.jwks }),
      media: mediaClient(mediaUrl),
    });
    consumerBus = await startCatalogueConsumers(svc, config);
    await mediaInfra.start();

    ids = await createArtistAndVenue({ ...svc, admin }, 'Poster Artist');
    shared = await upload('#f6c453');
    kept = await upload('#3a5bd9');
    first = await newEvent(ids, 'First Night');
    second = await newEvent(ids, 'Second Night');
    other = await newEvent(ids, 'Other Night');
    await put(`/api/events/${first}/poster`, shared);
    await put(`/api/events/${second}/poster`, shared);
    await put(`/api/artists/${ids.artistId}/image`, shared);
    await put(`/api/events/${other}/poster`, kept);
  });

  it('drops the poster and artist image links of a deleted image, everywhere they were shown', async () => {
    // Read once first, so that what the pages show comes from the cache afterwards.
    expect((await read(`/api/events/${first}`)).poster.mediaId).toBe(shared);
    expect((await read('/api/events')).items.filter((e: { poster: unknown }) => e.poster)).toHaveLength(3);

    const deleted = await fetch(`${mediaUrl}/api/media/${shared}`, {
      method: 'DELETE',
      headers: { authorization: admin },
    });
    expect(deleted.status).toBe(204);

    await vi.waitFor(
      async () => {
        expect((await read(`/api/events/${first}`)).poster).toBeNull();
        expect((await read(`/api/events/${second}`)).poster).toBeNull();
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await read(`/api/artists/${ids.artistId}`)).image).toBeNull();
    expect((await read(`/api/events/${first}`)).artist.image).toBeNull();
    const listed = (await read('/api/events')).items as { id: string; poster: { mediaId: string } | null }[];
    expect(Object.fromEntries(listed.map((e) => [e.id, e.poster?.mediaId ?? null]))).toEqual({
      [first]: null,
      [second]: null,
      [other]: kept,
    });
  });

  it('changes nothing when the same deletion arrives again after an image was attached anew', async () => {
    await put(`/api/events/${first}/poster`, kept);
    const again = makeEnvelope('media.deleted', { mediaId: shared });
    await consumerBus.bus.publish(again);
    await consumerBus.bus.publish(again);
    // A deletion of the image now shown arrives after the replays, so once it is applied they were too.
    const unrelated = await upload('#000000');
    await put(`/api/events/${second}/poster`, unrelated);
    const gone = await fetch(`${mediaUrl}/api/media/${unrelated}`, {
      method: 'DELETE',
      headers: { authorization: admin },
    });
    expect(gone.status).toBe(204);
    await vi.waitFor(async () => expect((await read(`/api/events/${second}`)).poster).toBeNull(), {
      timeout: 10_000,
      interval: 100,
    });
    expect((await read(`/api/events/${first}`)).poster.mediaId).toBe(kept);
    expect((await read(`/api/events/${other}`)).poster.mediaId).toBe(kept);
  });
});
