import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtistAndVenue, type EventService, eventPayload, openEventService } from './helpers.ts';

describe('catalogue read cache', () => {
  let svc: EventService;
  let ids: { artistId: string; venueId: string };
  let eventId: string;
  afterAll(() => svc.close());
  beforeAll(async () => {
    svc = await openEventService('event-cache', { publicCacheSeconds: 2 });
    ids = await createArtistAndVenue(svc, 'Jannabi');
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { authorization: svc.admin },
      payload: eventPayload(ids, { title: 'Summer Tour' }),
    });
    eventId = created.json().id as string;
    await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/publish`,
      headers: { authorization: svc.admin },
    });
  });
  const detail = async () => (await svc.app.inject({ url: `/api/events/${eventId}` })).json();
  const list = async () => (await svc.app.inject({ url: '/api/events?q=tour' })).json();

  it('lets shared caches keep what the public sees, briefly, and never what an admin sees', async () => {
    for (const url of [`/api/events/${eventId}`, '/api/events?q=tour']) {
      const anonymous = await svc.app.inject({ url });
      expect(anonymous.headers['cache-control'], url).toBe('public, max-age=2');
      const fan = await svc.app.inject({ url, headers: { authorization: svc.user } });
      expect(fan.headers['cache-control'], url).toBe('public, max-age=2');
      const admin = await svc.app.inject({ url, headers: { authorization: svc.admin } });
      expect(admin.headers['cache-control'], url).toBe('private, no-store');
    }
  });

  it('answers repeated reads from Redis, not from the database', async () => {
    // Whatever title the other tests left: a change behind the service's back is invisible while the
    // cached copies live.
    const title = (await detail()).title;
    expect((await list()).items[0].title).toBe(title);
    await svc.db
      .updateTable('events')
      .set({ title: 'Changed Behind The Back' })
      .where('id', '=', eventId)
      .execute();
    expect((await detail()).title).toBe(title);
    expect((await list()).items[0].title).toBe(title);
    // Under this file's Redis prefix (the client adds it to keys, not to KEYS patterns).
    const generation = (await svc.infra.redis.get('catalogue:gen')) ?? '0';
    expect(await svc.infra.redis.exists(`catalogue:${generation}:event:${eventId}`)).toBe(1);
  });

  it('drops cached details and listings when the event is updated', async () => {
    const res = await svc.app.inject({
      method: 'PATCH',
      url: `/api/events/${eventId}`,
      headers: { authorization: svc.admin },
      payload: { title: 'Summer Tour — Encore' },
    });
    expect(res.statusCode).toBe(200);
    expect((await detail()).title).toBe('Summer Tour — Encore');
    expect((await list()).items[0].title).toBe('Summer Tour — Encore');
  });

  it('drops cached events when their artist is renamed', async () => {
    expect((await detail()).artist.name).toBe('Jannabi');
    const res = await svc.app.inject({
      method: 'PATCH',
      url: `/api/artists/${ids.artistId}`,
      headers: { authorization: svc.admin },
      payload: { name: 'JANNABI' },
    });
    expect(res.statusCode).toBe(200);
    expect((await detail()).artist.name).toBe('JANNABI');
    expect((await svc.app.inject({ url: `/api/artists/${ids.artistId}` })).json().name).toBe('JANNABI');
  });

  it('drops a cached venue when it is renamed', async () => {
    expect((await svc.app.inject({ url: `/api/venues/${ids.venueId}` })).json().name).toBe('Jannabi Hall');
    await svc.app.inject({
      method: 'PATCH',
      url: `/api/venues/${ids.venueId}`,
      headers: { authorization: svc.admin },
      payload: { name: 'Rolling Hall' },
    });
    expect((await svc.app.inject({ url: `/api/venues/${ids.venueId}` })).json().name).toBe('Rolling Hall');
    expect((await detail()).venue.name).toBe('Rolling Hall');
  });
});
