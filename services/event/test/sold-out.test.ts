import { makeEnvelope } from '@tiketi/kit';
import { eventually, type openTestInfra, testConfig } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createArtistAndVenue,
  type EventService,
  eventPayload,
  openEventService,
  startCatalogueConsumers,
} from './helpers.ts';

/**
 * The reservation service's word that an event on sale has no seat left (`sale.availability_changed`),
 * delivered over RabbitMQ: the lists and the page say "sold out" until seats come back.
 */
describe('sold out, as the catalogue shows it', () => {
  const config = testConfig('event-sold-out');
  let svc: EventService;
  let consumers: Awaited<ReturnType<typeof openTestInfra>>;
  let eventId: string;

  beforeAll(async () => {
    svc = await openEventService('event-sold-out');
    consumers = await startCatalogueConsumers(svc, config);
    const ids = await createArtistAndVenue(svc, 'Sold Out Artist');
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: { authorization: svc.admin },
      payload: eventPayload(ids, { title: 'Gone in a Minute' }),
    });
    eventId = created.json().id;
    await svc.app.inject({
      method: 'POST',
      url: `/api/events/${eventId}/publish`,
      headers: { authorization: svc.admin },
    });
  });
  afterAll(async () => {
    await consumers?.cleanup();
    await svc?.close();
  });

  const statusOf = async () => (await svc.app.inject({ url: `/api/events/${eventId}` })).json().status;
  const listed = async (status: string) =>
    (await svc.app.inject({ url: `/api/events?status=${status}` }))
      .json()
      .items.map((e: { id: string; status: string }) => [e.id, e.status]);
  const say = (soldOut: boolean, at: Date) =>
    consumers.bus.publish(
      makeEnvelope('sale.availability_changed', { eventId, soldOut, at: at.toISOString() }),
    );

  it('says sold out while the reservation service says nothing is left, and on sale once seats come back', async () => {
    // Read once first, so that what the pages show comes from the cache afterwards.
    expect(await statusOf()).toBe('on_sale');
    expect(await listed('on_sale')).toContainEqual([eventId, 'on_sale']);

    const soldOutAt = new Date();
    await say(true, soldOutAt);
    await eventually(async () => expect(await statusOf()).toBe('sold_out'));
    expect(await listed('sold_out')).toEqual([[eventId, 'sold_out']]);
    expect(await listed('on_sale')).not.toContainEqual([eventId, expect.anything()]);

    // An older word, delivered late, does not undo the newer one.
    await say(false, new Date(soldOutAt.getTime() - 1000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await statusOf()).toBe('sold_out');
    await say(false, new Date(soldOutAt.getTime() + 1000));
    await eventually(async () => expect(await statusOf()).toBe('on_sale'));
    await say(true, new Date(soldOutAt.getTime() + 500));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await statusOf()).toBe('on_sale');
    expect(await listed('sold_out')).toEqual([]);
  });
});
