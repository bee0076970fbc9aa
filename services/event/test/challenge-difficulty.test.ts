import { eventCatalogue } from '@tiketi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtistAndVenue, type EventService, eventPayload, openEventService } from './helpers.ts';

describe("an event's bot-defence difficulty, set by the operator", () => {
  let svc: EventService;
  let ids: { artistId: string; venueId: string };
  afterAll(() => svc.close());
  beforeAll(async () => {
    svc = await openEventService('event-challenge');
    ids = await createArtistAndVenue(svc);
  });
  const waitingRoom = { enabled: true, admissionRatePerMinute: 600, maxActiveShoppers: 100 };
  const send = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
    svc.app.inject({ method, url, headers: { authorization: svc.admin }, ...(payload ? { payload } : {}) });

  it('defaults to the platform value, keeps a set one through other changes and announces it', async () => {
    const created = await send('POST', '/api/events', eventPayload(ids, { waitingRoom }));
    expect(created.statusCode).toBe(201);
    expect(created.json().waitingRoom.challengeMaxNumber).toBeNull();
    const id = created.json().id as string;
    expect((await send('POST', `/api/events/${id}/publish`)).statusCode).toBe(200);

    const set = await send('PATCH', `/api/events/${id}`, {
      waitingRoom: { ...waitingRoom, challengeMaxNumber: 200_000 },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().waitingRoom.challengeMaxNumber).toBe(200_000);
    // A waiting-room change that does not name the difficulty leaves it as it was.
    const kept = await send('PATCH', `/api/events/${id}`, {
      waitingRoom: { ...waitingRoom, maxActiveShoppers: 50 },
    });
    expect(kept.json().waitingRoom).toMatchObject({ maxActiveShoppers: 50, challengeMaxNumber: 200_000 });
    const updates = (await svc.outbox('event.updated')).map((d) => eventCatalogue['event.updated'].parse(d));
    expect(updates.map((u) => u.waitingRoom.challengeMaxNumber)).toEqual([200_000, 200_000]);
  });

  it('refuses a difficulty outside the bounds', async () => {
    for (const challengeMaxNumber of [10, 50_000_000, 1.5]) {
      const res = await send(
        'POST',
        '/api/events',
        eventPayload(ids, { waitingRoom: { ...waitingRoom, challengeMaxNumber } }),
      );
      expect(res.statusCode, String(challengeMaxNumber)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });
});
